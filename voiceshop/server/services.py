"""What every request shares: where the store is, the staff tokens, and one lock per chat session.

SQLite connections belong to the thread that opened them and requests run on a pool of threads, so
each request opens a SQLite store for itself (cheap: a file open and a few pragmas) and closes it
after. A PostgreSQL store is opened once: its connection pool serves every thread.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from voiceshop.server.auth import StaffTokens
from voiceshop.storage import Database, parse_target
from voiceshop.storage.db import POSTGRES

MAX_BODY = 64 * 1024
"""Bytes a request body may have: an order of 100 lines is a few kilobytes."""


@dataclass
class Services:
    db_path: str | Path | None
    """The store file; None: the default (``$VOICESHOP_DB`` or the user data folder)."""
    tokens: StaffTokens
    max_body: int = MAX_BODY
    page_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    """The key of the staff pages' CSRF tokens; made anew each time the server starts."""
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shared: Database | None = field(default=None, repr=False)

    @contextmanager
    def store(self) -> Iterator[Database]:
        if parse_target(self.db_path)[0] == POSTGRES:
            with self._guard:
                if self._shared is None:
                    self._shared = Database(self.db_path)
            yield self._shared
            return
        db = Database(self.db_path)
        try:
            yield db
        finally:
            db.close()

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None

    def session_lock(self, key: str) -> threading.Lock:
        """One turn at a time per chat session: a second request waits instead of racing the first."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def services(request: Request) -> Services:
    svc = request.app.state.services
    assert isinstance(svc, Services)
    return svc
