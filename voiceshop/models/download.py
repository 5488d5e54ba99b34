"""Fetching a model file: resumable, size- and digest-checked, never half-trusted.

The file grows in ``NAME.part`` beside the models. A download cut off half-way keeps what arrived,
and the next attempt asks the server for the rest (an HTTP range request); a server that ignores the
range sends the whole file again. Only a file of the manifest's exact size and digest (SHA-256, or
MD5 where that is all its publisher gives) is handed on. A full disk stops the download with a
message saying how much room is missing, not as a network failure to retry.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from voiceshop.errors import DownloadError

Progress = Callable[[int, int], None]
"""Called with (bytes so far, bytes in all) as the download goes."""
BLOCK = 1 << 16
TIMEOUT = 30.0


DIGEST_NAMES = {"sha256": "SHA-256", "md5": "MD5"}
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def digest_of(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    return digest_of(path, "sha256")


def disk_full(folder: Path, needed: int) -> DownloadError:
    return DownloadError(
        f"the disk holding {folder} is full: {needed / 1e6:.0f} MB more are needed; free some space "
        "(or put the models elsewhere with --dir or VOICESHOP_MODELS) and run the same command again"
    )


def check_room(folder: Path, needed: int) -> None:
    """Refuse to start a download that cannot fit (a filled disk troubles everything else on it)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < needed:
        raise disk_full(folder, needed - free)


def fetch(
    url: str,
    partial: Path,
    size: int,
    digest: str,
    progress: Progress | None = None,
    algorithm: str = "sha256",
) -> Path:
    """Download ``url`` into ``partial`` (resuming it) and return it once size and digest are right."""
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
    got_digest = digest_of(partial, algorithm)
    if got_digest != digest:
        partial.unlink()
        name = DIGEST_NAMES.get(algorithm, algorithm)
        raise DownloadError(
            f"the file from {url} is damaged or not the expected one ({name} {got_digest[:12]}..., expected "
            f"{digest[:12]}...); it was deleted, run the command again"
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
            f"cannot download {url} ({reason}); check the network, or download that file elsewhere "
            "and pass it to the same command with --file"
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
            if isinstance(exc, OSError) and exc.errno in DISK_FULL:
                raise disk_full(partial.parent, size - partial.stat().st_size) from None
            raise DownloadError(
                f"the download of {url} was cut off at {done:,} of {size:,} bytes ({exc.__class__.__name__}); "
                "run the same command again to resume"
            ) from None
