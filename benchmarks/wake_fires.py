"""The wake word's second check, fire by fire: false wake-ups per hour and real phrases kept, in minutes.

``benchmarks/voice.py activations`` plays the stream through the whole voice loop (about 8 minutes of
a shared 2-core machine per hour of audio). This plays the same stream (``tests.broadcast``, the same
seed, a real "okay nabu, <order>" every four minutes) through the wake word model alone, keeps the
sound the voice loop's ``Confirmer`` would hand the check at each fire (``before`` seconds up to the
end of the fire's chunk, ``after`` past it), and puts every fire to the check afterwards. So the
figures before the check (every fire wakes the device) and with it come from the same fires of the
same audio, and a check (or a margin) can be weighed on many hours.

Printed: hours of audio, fires by kind of sound, false wake-ups per hour without and with the check
(by kind), real phrases found by the model and confirmed by the check, the scores of the real
phrases' fires and of the others (lowest, percentiles), how a stricter or looser margin would have
done on the same scores, the check's computing time, and the load average (the machine is shared).
``--seed`` picks another stream, to check a margin chosen on one stream against one it never saw;
``--kinds near=0.75,talk=0.25 --wake-every 60`` makes it mostly talk that opens like the phrase, with a
real phrase every minute (many fires of both sorts an hour). ``--check-model`` has another Whisper
model check (``whisper-base``, as ``voiceshop run --wake-check-model``), and prints the memory it adds;
``--fires FILE`` keeps the fires (their kind and sound) the first time and replays them after, so two
models are weighed on the same fires without playing the hours through the wake word model again.

    PYTHONPATH=. .venv/bin/python benchmarks/wake_fires.py [HOURS] [--seed N] [--kinds K=SHARE,...] [--wake-every S]
        [--check-model NAME|FOLDER] [--fires FILE.npz]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import time

import numpy as np

from tests.broadcast import Programme
from voiceshop.asr.base import PhraseScorer
from voiceshop.asr.wakecheck import LikelihoodWakeCheck
from voiceshop.audio.pcm import RATE
from voiceshop.audio.source import CHUNK
from voiceshop.audio.wakeword import MicroWakeWordDetector
from voiceshop.runtime.engines import open_recognizer, open_wake_check

WAKE_EVERY = 240.0
"""Seconds between the real phrases put into the stream (as ``benchmarks/voice.py activations``)."""
MARGINS = (3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0)


def percentiles(scores: list[float], which: tuple[int, ...]) -> list[float] | None:
    return [round(float(np.percentile(scores, q)), 2) for q in which] if scores else None


def fires(programme: Programme, before: float, after: float) -> list[tuple[float, np.ndarray]]:
    """Each fire of the model on the stream: its time (the end of its chunk) and the check's sound."""
    detector = MicroWakeWordDetector("okay nabu")
    recent: collections.deque[np.ndarray] = collections.deque(maxlen=max(1, round(before * RATE / CHUNK)))
    wanted = round(after * RATE / CHUNK)
    waiting: list[tuple[float, list[np.ndarray], list[np.ndarray]]] = []
    found: list[tuple[float, np.ndarray]] = []
    heard = 0
    for chunk in programme.chunks():
        for _, _, later in waiting:
            later.append(chunk)
        heard += len(chunk)
        fired = detector.feed(chunk)
        recent.append(chunk)
        if fired:
            waiting.append((heard / RATE, list(recent), []))
        while waiting and len(waiting[0][2]) >= wanted:
            at, earlier, later = waiting.pop(0)
            found.append((at, np.concatenate([*earlier, *later[:wanted]])))
    return found


def resident_mb() -> float:
    """This process's resident memory now (``/proc/self/status``), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


Fires = list[tuple[str, np.ndarray]]
"""Each fire of the wake word model: the kind of sound it fired on and the sound its check hears."""


def stream_fires(programme: Programme, before: float, after: float) -> tuple[Fires, dict[str, float]]:
    """The fires on the stream, and the stream's own figures (hours, real phrases and near-miss lines in it)."""
    found = [(programme.piece_at(at - 0.001).kind, sound) for at, sound in fires(programme, before, after)]
    facts = {
        "audio_hours": programme.pieces[-1].end / 3600,
        "inserted": sum(p.kind == "wake" for p in programme.pieces),
        "near_said": sum(p.text.count(" / ") + 1 for p in programme.pieces if p.kind == "near"),
        "model_s": programme.making,
    }
    return found, facts


def cached_fires(path: str, programme: Programme, before: float, after: float) -> tuple[Fires, dict[str, float]]:
    """``stream_fires``, played once and kept in ``path`` (for the same stream and window) after."""
    if os.path.exists(path):
        with np.load(path) as kept:
            facts = {k: float(v) for k, v in json.loads(str(kept["facts"])).items()}
            return [(str(k), kept[f"sound{i}"]) for i, k in enumerate(kept["kinds"])], facts
    found, facts = stream_fires(programme, before, after)
    sounds = {f"sound{i}": sound for i, (_, sound) in enumerate(found)}
    np.savez(path, kinds=np.array([k for k, _ in found]), facts=np.array(json.dumps(facts)), **sounds)
    return found, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hours", nargs="?", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wake-every", type=float, default=WAKE_EVERY, help="seconds between real phrases")
    parser.add_argument("--kinds", default="", help="shares of the stream's kinds of sound: near=0.75,talk=0.25")
    parser.add_argument("--check-model", default="", help="Whisper model that checks (default: tiny.en)")
    parser.add_argument("--fires", default="", help="keep the fires in this .npz, or replay them from it")
    args = parser.parse_args()
    memory = resident_mb()
    if args.check_model:
        check = open_wake_check("okay nabu", args.check_model)
    else:
        recognizer = open_recognizer("whisper", "en")
        assert isinstance(recognizer, PhraseScorer)  # Whisper scores a phrase against the sound
        check = LikelihoodWakeCheck(recognizer, "okay nabu")
    loaded = resident_mb() - memory
    started = time.perf_counter()
    kinds = {k: float(v) for k, v in (pair.split("=") for pair in args.kinds.split(",") if pair)} or None
    programme = Programme(args.hours * 3600, seed=args.seed, wake_every=args.wake_every, kinds=kinds)
    if args.fires:
        found, facts = cached_fires(args.fires, programme, check.before, check.after)
    else:
        found, facts = stream_fires(programme, check.before, check.after)
    playing = time.perf_counter() - started
    scored: list[tuple[str, float, str, float]] = []
    for kind, sound in found:
        verdict = check.check(sound)
        scored.append((kind, verdict.score, verdict.heard, verdict.seconds))
    audio_h = facts["audio_hours"]
    real = [s for kind, s, _, _ in scored if kind == "wake"]
    other = [s for kind, s, _, _ in scored if kind != "wake"]
    inserted = int(facts["inserted"])

    def by_kind(accept: float | None) -> dict[str, int]:
        kinds = collections.Counter(k for k, s, _, _ in scored if k != "wake" and (accept is None or s >= accept))
        return dict(kinds)

    costs = sorted(c for _, _, _, c in scored)
    result = {
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "stream": f"seed {args.seed}, a real phrase every {args.wake_every:g} s, kinds {kinds or 'as broadcast.KINDS'}",
        "audio_hours": round(audio_h, 2),
        "check": check.name,
        "check_model": getattr(check.scorer, "model_path", "?"),
        "check_model_resident_mb_loaded_after_checks": [round(loaded), round(resident_mb() - memory)],
        "false_wakeups_per_hour_without_check": round(len(other) / audio_h, 2),
        "false_wakeups_per_hour_with_check": round(sum(s >= -check.margin for s in other) / audio_h, 2),
        "false_fires_by_kind": by_kind(None),
        "false_wakeups_with_check_by_kind": by_kind(-check.margin),
        "near_phrases_said": int(facts["near_said"]),
        "real_phrases_found_by_model": f"{len(real)}/{inserted}",
        "real_phrases_confirmed": f"{sum(s >= -check.margin for s in real)}/{len(real)}",
        "real_scores_lowest": sorted(round(s, 2) for s in real)[:5],
        "real_scores_p5_p50": percentiles(real, (5, 50)),
        "other_scores_p50_p95_max": percentiles(other, (50, 95, 100)),
        "by_margin (margin: false wake-ups/h, real kept)": {
            f"{m:g}": [round(sum(s >= -m for s in other) / audio_h, 2), f"{sum(s >= -m for s in real)}/{len(real)}"]
            for m in MARGINS
        },
        "check_ms_median_p95": [round(c * 1000) for c in (statistics.median(costs), costs[int(0.95 * len(costs))])]
        if costs
        else None,
        "accepted_false_fires_heard": [h for k, s, h, _ in scored if k != "wake" and s >= -check.margin][:12],
        "model_s_per_audio_hour": round((playing - facts["model_s"]) / audio_h) if programme.pieces else "replayed",
    }
    for key, value in result.items():
        print(f"  {key}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")


if __name__ == "__main__":
    main()
