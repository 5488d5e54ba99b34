"""Fetching a model archive: resumable, size- and SHA-256-checked, never half-trusted.

The archive grows in ``NAME.part`` beside the models. A download cut off half-way keeps what arrived,
and the next attempt asks the server for the rest (an HTTP range request); a server that ignores the
range sends the whole file again. Only an archive of the manifest's exact size and hash is handed on.
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from voiceshop.errors import DownloadError

Progress = Callable[[int, int], None]
"""Called with (bytes so far, bytes in all) as the download goes."""
BLOCK = 1 << 16
TIMEOUT = 30.0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, partial: Path, size: int, sha256: str, progress: Progress | None = None) -> Path:
    """Download ``url`` into ``partial`` (resuming it) and return it once size and hash are right."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    have = partial.stat().st_size if partial.exists() else 0
    if have > size:
        partial.unlink()  # not the file we want: start again
        have = 0
    if have < size:
        _get(url, partial, have, size, progress)
    got = partial.stat().st_size
    if got != size:
        raise DownloadError(
            f"the download of {url} stopped at {got:,} of {size:,} bytes; run the same command again to resume"
        )
    digest = sha256_of(partial)
    if digest != sha256:
        partial.unlink()
        raise DownloadError(
            f"the file from {url} is damaged or not the expected one (SHA-256 {digest[:12]}..., expected "
            f"{sha256[:12]}...); it was deleted, run the command again"
        )
    return partial


def _get(url: str, partial: Path, have: int, size: int, progress: Progress | None) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "voiceshop"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT)  # noqa: S310 - URLs come from the manifest
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the server says there is nothing more: check what we have
            return
        raise DownloadError(f"cannot download {url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"cannot download {url} ({reason}); check the network, or copy the archive here by hand "
            f"and pass it with --file"
        ) from None
    with response:
        resumed = have and response.status == 206
        mode = "ab" if resumed else "wb"
        done = have if resumed else 0
        try:
            with partial.open(mode) as out:
                while block := response.read(BLOCK):
                    out.write(block)
                    done += len(block)
                    if done > size:
                        break
                    if progress is not None:
                        progress(done, size)
        except (http.client.IncompleteRead, OSError) as exc:
            raise DownloadError(
                f"the download of {url} was cut off at {done:,} of {size:,} bytes ({exc.__class__.__name__}); "
                "run the same command again to resume"
            ) from None
