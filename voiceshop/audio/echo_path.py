"""The echo path a device has learnt, kept from one start to the next.

A device on a counter does not move: the speaker-to-microphone path the echo canceller learnt today
is the one it will meet tomorrow. Without it, the first reply after start-up is heard through a
canceller that knows nothing yet (the delay is found after half a second of sound, the filter learns
in about a second more), and a "stop" said over the greeting is taken for echo. ``EchoPath`` is what
is kept (the delay, the filter's partitions, how deep it cancels, what the residual echo suppressor
leaves per band); ``PathFile`` reads and writes it as a small JSON file in the device's data
folder. The canceller (``audio.echo``) decides what to do with it: a kept path from another sample
rate or block size, or one that is clearly wrong (the room changed), is dropped and the room learnt
again, as on a first start.

Reading never raises: a file that is missing, unreadable or damaged is no kept path, and says why
(``PathFile.problem``); a file that cannot be written (a read-only or full disk) leaves the
canceller working as before.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

VERSION = 1
"""The file's layout; another one is not read (the room is learnt again)."""
LARGEST = 1 << 20
"""Bytes: a kept path is about 20 kB; a file larger than this is not one."""


class EchoPath(BaseModel):
    """What the canceller learnt of one speaker and microphone in one room."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = VERSION
    rate: int
    """Samples per second the canceller worked at."""
    block: int
    """Samples per block of the frequency-domain filter."""
    partitions: int
    """Blocks of the room's response the filter covers."""
    delay: int = Field(ge=0)
    """Samples from the speaker to the microphone."""
    erle_db: float
    """Echo return loss enhancement the filter reached: how much quieter it leaves the echo."""
    weights: list[list[tuple[float, float]]]
    """The filter's partitions: per partition, per frequency bin, (real, imaginary)."""
    leak: list[float]
    """Per band of the residual echo suppressor: the share of the echo estimate the filter leaves."""
    saved: float = 0.0
    """When it was kept (seconds since the epoch)."""

    @field_validator("erle_db", "leak", "weights")
    @classmethod
    def _finite(cls, value: object) -> object:
        def numbers(v: object) -> list[float]:
            if isinstance(v, (list, tuple)):
                return [x for item in v for x in numbers(item)]
            return [float(v)]  # type: ignore[arg-type]  # pydantic has checked the types already

        if not all(math.isfinite(x) for x in numbers(value)):
            raise ValueError("not a finite number")
        return value


class PathFile:
    """An ``EchoPath`` kept in a file (written whole, then renamed over the old one)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None
        """Why the last read found no usable path, or the last write failed (for logs and doctor)."""

    def load(self) -> EchoPath | None:
        """The kept path, or None (missing, unreadable, damaged or of another layout: ``problem``)."""
        self.problem = None
        try:
            if self.path.stat().st_size > LARGEST:
                self.problem = f"{self.path} is too large to be a kept echo path"
                return None
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            self.problem = f"cannot read {self.path}: {err.strerror or err}"
            return None
        try:
            kept = EchoPath.model_validate_json(text)
        except ValidationError as err:
            self.problem = f"{self.path} is damaged ({err.error_count()} problems, first: {err.errors()[0]['msg']})"
            return None
        if kept.version != VERSION:
            self.problem = f"{self.path} was written by another voiceshop (layout {kept.version})"
            return None
        return kept

    def save(self, kept: EchoPath) -> bool:
        """Keep ``kept``; False (and ``problem``) when it cannot be written."""
        text = kept.model_copy(update={"saved": time.time()}).model_dump_json()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".echo-", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as err:
            self.problem = f"cannot keep the echo path in {self.path}: {err.strerror or err}"
            return False
        self.problem = None
        return True
