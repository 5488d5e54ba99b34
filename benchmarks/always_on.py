"""What listening costs while nobody talks to the device: CPU per hour of audio of the always-on path.

Between commands the voice loop runs three things on every 30 ms chunk: the wake word model, the
voice activity model (Silero VAD, 32 ms frames of its own) and the loudness endpointer that asks it.
This plays MINUTES (default 5) of ``tests.broadcast``'s stream (talk, music, noise, TV, with a real
"okay nabu, <order>" every two minutes), made from a fixed seed, through exactly those parts as
``runtime.voice`` wires them, and prints:

- CPU seconds per hour of audio (process time, so threads a library starts count too) of the VAD with
  the endpointer, and of the wake word model, with the load average before and after;
- a fingerprint of what was detected: the chunks the wake word fired on, the speech segments the
  endpointer cut (start, end) and a checksum of the VAD's probabilities, so two trees can be compared
  (a saving must not change what is detected);
- with ``--profile``, the functions that took the most time (cProfile).

    .venv/bin/python benchmarks/always_on.py [MINUTES] [--profile] [--json FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.broadcast import Programme  # noqa: E402 (after the path is set)
from voiceshop.audio.endpoint import Endpointer  # noqa: E402
from voiceshop.audio.pcm import RATE, Samples  # noqa: E402
from voiceshop.audio.vad import SileroVad  # noqa: E402
from voiceshop.audio.wakeword import MicroWakeWordDetector  # noqa: E402


class Noted:
    """The VAD, noting every probability it gives (to compare trees)."""

    def __init__(self) -> None:
        self.vad = SileroVad()
        self.seen = hashlib.sha256()

    def probability(self, chunk: Samples) -> float:
        found = self.vad.probability(chunk)
        self.seen.update(np.float64(found).tobytes())
        return found


def listen(chunks: list[Samples], profile: bool) -> dict[str, object]:
    vad = Noted()
    endpointer = Endpointer(vad=vad)
    wake = MicroWakeWordDetector("okay nabu")
    fired: list[int] = []
    segments: list[tuple[float, float]] = []
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    # one pass each (they are independent), timed as a whole: timing every chunk costs more than a
    # chunk's endpointing on some virtual machines
    started = time.process_time()
    for chunk in chunks:
        utterance = endpointer.feed(chunk)
        if utterance is not None:
            segments.append((round(utterance.start, 2), round(utterance.end, 2)))
    vad_cpu = time.process_time() - started
    started = time.process_time()
    for i, chunk in enumerate(chunks):
        if wake.feed(chunk):
            fired.append(i)
    wake_cpu = time.process_time() - started
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
    hours = len(chunks) * len(chunks[0]) / RATE / 3600
    return {
        "vad_endpointer_cpu_s_per_hour": round(vad_cpu / hours, 1),
        "wake_word_cpu_s_per_hour": round(wake_cpu / hours, 1),
        "wake_fired_at_chunks": fired,
        "speech_segments": len(segments),
        "segments_sha256": hashlib.sha256(json.dumps(segments).encode()).hexdigest()[:16],
        "vad_probabilities_sha256": vad.seen.hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("minutes", nargs="?", type=float, default=5.0)
    parser.add_argument("--profile", action="store_true", help="print the top functions (cProfile)")
    parser.add_argument("--json", type=Path, help="also write the segments and firings here")
    args = parser.parse_args()
    programme = Programme(args.minutes * 60, seed=3, wake_every=120.0)
    chunks = list(programme.chunks())  # made first: the stream's making is not the loop's cost
    before = os.getloadavg()
    found = listen(chunks, args.profile)
    after = os.getloadavg()
    print(f"audio: {args.minutes:g} min of tests.broadcast (seed 3), {len(chunks)} chunks")
    print(f"load average: {before[0]:.2f} before, {after[0]:.2f} after")
    for key, value in found.items():
        print(f"  {key}: {value}")
    if args.json is not None:
        args.json.write_text(json.dumps(found))


if __name__ == "__main__":
    main()
