"""Where the shopper's wait goes: from the moment the endpointer is sure a command ended to the
reply's first sample reaching the sink, stage by stage.

A spoken coffee order (``benchmarks/voice.py``'s ``ORDER``) runs through the real voice loop with
Whisper tiny.en, espeak-ng, the wake word model, the VAD and a real SQLite store on disk
(``synchronous=FULL``: every commit waits for the disk), paced like a microphone. The stages are
timed by wrapping the loop's own parts (nothing in voiceshop is changed for it), on the wall clock and
in the processor time of the thread that ran them, so a figure means something on a shared machine:

- ``decode_wait``: what was left of the decode when the endpointer was sure (it starts early, in the
  trailing quiet); ``decode`` and ``decode_cpu``: the whole early decode (and its understanding, in a
  tree that understands there) and its processor time, the whole process's (Whisper computes on
  threads of its own; the loop's own work meanwhile is a few milliseconds); ``redecoded_in_30s``:
  the answers whose command went to Whisper's full 30 s window;
- ``understand``, ``policy``, ``store`` (the turn's transaction, its commit and fsync included) and
  ``hear`` (all of ``Assistant.hear_nbest``), counted after the endpointer was sure;
- ``after_hear``: from ``hear``'s end to the first reply's synthesis starting (below zero: it started
  before the turn was committed);
- ``synth``: that synthesis until its first piece is made (``synth_cpu``: the loop's side; espeak-ng
  is a process of its own);
- ``to_sink``: from then to the first sample written to the sink;
- ``total``: end of speech to the first sample at the sink (the loop's own ``HeardTurn.latency``
  is printed as ``loop``).

Every figure is a median over the answered turns (and the p95 of the total), with the load average
beside it.

    PYTHONPATH=. .venv/bin/python benchmarks/reply.py [ROUNDS] [--piper]   # 5 rounds of 4 answers by default

``--piper`` speaks with the packaged Piper voice (the piper extra) instead of espeak-ng; ``synth`` is
then Piper's first piece, made in the loop's own process (``synth_cpu``: all its threads').
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORDER = ["okay nabu", "two large soy lattes and a blueberry muffin", "that's all", "i'll pick it up", "yes"]


class Trace:
    """Spans (label, wall start, wall end, thread processor seconds) from whichever thread ran them."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, float, float, float]] = []
        self.marks: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def span(self, label: str, start: float, cpu: float, clock: Any = time.thread_time) -> None:
        with self._lock:
            self.spans.append((label, start, time.perf_counter(), clock() - cpu))

    def mark(self, label: str) -> None:
        with self._lock:
            self.marks.append((label, time.perf_counter()))

    def wrap(self, owner: Any, name: str, label: str, *, process: bool = False) -> None:
        """``process``: the processor time of the whole process (an engine computing on threads of its own)."""
        original = getattr(owner, name)
        clock = time.process_time if process else time.thread_time

        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), clock()
            try:
                return original(*args, **kwargs)
            finally:
                with self._lock:
                    self.spans.append((label, start, time.perf_counter(), clock() - cpu))

        setattr(owner, name, timed)

    def wrap_context(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        trace = self

        @contextlib.contextmanager
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                with original(*args, **kwargs) as inner:
                    yield inner
            finally:
                trace.span(label, start, cpu)

        setattr(owner, name, timed)

    def wrap_first(self, owner: Any, name: str, label: str, *, process: bool = False) -> None:
        """A generator: the span ends at its first item (``process``: as for ``wrap``)."""
        original = getattr(owner, name)
        trace = self
        clock = time.process_time if process else time.thread_time

        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            start, cpu = time.perf_counter(), clock()
            first = True
            for item in original(*args, **kwargs):
                if first:
                    trace.span(label, start, cpu, clock)
                    first = False
                yield item

        setattr(owner, name, timed)

    def between(self, label: str, start: float, end: float) -> list[tuple[float, float, float]]:
        return [(s, e, c) for name, s, e, c in self.spans if name == label and start <= e and s <= end]


class TimedSink:
    """A sink that notes when the first sample of each sound reached it."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace

    def play(self, samples: Any, label: str = "sound") -> None:
        pass

    def open(self, label: str = "sound") -> Any:
        trace = self.trace

        class Playback:
            def write(self, samples: Any) -> None:
                if label == "reply" and len(samples):
                    trace.mark("first sample")

            def stop(self) -> None:
                pass

            def close(self) -> None:
                pass

        return Playback()


def run(rounds: int, piper: bool = False) -> dict[str, object]:

    from tests.speech import conversation
    from voiceshop.asr.whisper_engine import WhisperRecognizer
    from voiceshop.audio.source import SamplesSource
    from voiceshop.nlu.matcher import Understander
    from voiceshop.runtime import Assistant, assistant, early
    from voiceshop.runtime.engines import open_recognizer, open_voice
    from voiceshop.runtime.shops import open_shop
    from voiceshop.runtime.voice import VoiceLoop
    from voiceshop.storage.sqlite.db import SQLiteDatabase
    from voiceshop.tts.base import Synthesizer
    from voiceshop.tts.piper_voice import PiperVoice
    from voiceshop.tts.voice import Pyttsx3Voice

    trace = Trace()
    trace.wrap(early.EarlyDecoder, "finish", "decode_wait")
    trace.wrap(early.EarlyDecoder, "_decode", "decode", process=True)
    trace.wrap(Understander, "understand_nbest", "understand")
    trace.wrap(assistant, "decide", "policy")
    trace.wrap_context(SQLiteDatabase, "transaction", "store")
    trace.wrap(Assistant, "hear_nbest", "hear")
    trace.wrap_first(PiperVoice if piper else Pyttsx3Voice, "sentences", "synth", process=piper)
    frames: list[tuple[float, int]] = []
    original_decode = WhisperRecognizer._decode

    def windowed(self: Any, audio: Any, prompt: str, window: int) -> Any:
        frames.append((time.perf_counter(), window))
        return original_decode(self, audio, prompt, window)

    WhisperRecognizer._decode = windowed  # type: ignore[method-assign]

    audio = conversation(ORDER)
    recognizer = open_recognizer("whisper", "en")
    started = time.perf_counter()
    voice: Synthesizer = open_voice("piper", "en") if piper else Pyttsx3Voice()
    voice_load = time.perf_counter() - started
    loads = [os.getloadavg()[0]]
    rows: list[dict[str, float]] = []
    redecoded = 0
    with tempfile.TemporaryDirectory(dir=ROOT) as folder:  # the store on the disk, not in memory
        db = SQLiteDatabase(Path(folder) / "bench.db")
        slug = open_shop(db, str(ROOT / "examples" / "coffee-bar"))
        for n in range(rounds):
            trace.spans.clear()
            trace.marks.clear()
            frames.clear()
            loop = VoiceLoop(Assistant(db, slug, device=f"bench-{n}"), recognizer, voice, TimedSink(trace))
            loop.run(SamplesSource(audio, realtime=True))
            loads.append(os.getloadavg()[0])
            waits = sorted(s for s in trace.spans if s[0] == "decode_wait")
            firsts = sorted(t for label, t in trace.marks if label == "first sample")
            answered = [t for t in loop.turns if t.outcome == "answered"]
            for (_, detected, waited, _), turn in zip(waits, answered, strict=False):
                first = next(t for t in firsts if t >= waited)
                row = {"total": first - detected, "loop": turn.latency, "decode_wait": waited - detected}
                decodes = [d for d in trace.between("decode", detected - 2.0, waited) if d[1] <= waited + 1e-3]
                if decodes:
                    s, e, c = decodes[-1]
                    row["decode"] = e - s
                    row["decode_cpu"] = c
                redecoded += sum(1 for t, w in frames if detected - 2.0 <= t <= waited and w == 3000)
                for label in ("understand", "policy", "store", "hear", "synth"):
                    spans = trace.between(label, waited, first)
                    row[label] = sum(e - s for s, e, _ in spans)
                    row[f"{label}_cpu"] = sum(c for _, _, c in spans)
                hear = trace.between("hear", waited, first)
                synth = trace.between("synth", waited, first)
                if hear and synth:
                    row["after_hear"] = synth[0][0] - hear[-1][1]
                    row["to_sink"] = first - synth[0][1]
                rows.append(row)
        db.close()
    keys = list(dict.fromkeys(k for row in rows for k in row))
    totals = sorted(r["total"] for r in rows)
    result: dict[str, object] = {
        "load_average": f"{min(loads):.2f}-{max(loads):.2f}",
        "voice": f"{voice.name}, loaded in {voice_load:.2f} s",
        "answers": len(rows),
        "redecoded_in_30s": redecoded,
        "median_ms": {k: round(1000 * statistics.median(r[k] for r in rows if k in r), 1) for k in keys},
        "p95_total_ms": round(1000 * totals[min(len(totals) - 1, round(0.95 * (len(totals) - 1)))]),
        "max_total_ms": round(1000 * totals[-1]),
        "totals_ms": [round(1000 * t) for t in sorted(totals)],
    }
    return result


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--piper"]
    rounds = int(args[0]) if args else 5
    result = run(rounds, piper="--piper" in sys.argv[1:])
    for key, value in result.items():
        print(f"  {key}: {json.dumps(value) if isinstance(value, dict | list) else value}")


if __name__ == "__main__":
    main()
