"""The shop's transcript retention applied while the server runs, not only when it starts.

A server runs for weeks; the words shoppers said (session transcripts, callbacks, recorded turns)
must still go when the retention period ends, so they are pruned every hour.
"""

from __future__ import annotations

import logging
import threading

from voiceshop.errors import VoiceshopError
from voiceshop.server.services import Services
from voiceshop.storage.privacy import prune_transcripts

EVERY_SECONDS = 3600.0
log = logging.getLogger("voiceshop.server")


def prune_in_background(services: Services, stop: threading.Event, every: float = EVERY_SECONDS) -> threading.Thread:
    """Prune every ``every`` seconds until ``stop`` is set; a failed round (the store busy) waits for the next."""

    def loop() -> None:
        while not stop.wait(every):
            try:
                with services.store() as db:
                    prune_transcripts(db)
            except VoiceshopError as exc:
                log.warning("transcripts not pruned this hour: %s", exc)

    thread = threading.Thread(target=loop, name="voiceshop-retention", daemon=True)
    thread.start()
    return thread
