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
``--check`` scores the fires with the likelihood check, the trained verifier
(``voiceshop/asr/wakeverifier.py``, with its figures at other cutoffs) or both (``all``, the default:
each alone and the two in a row, as the voice loop runs them). ``--phrase`` weighs another packaged
wake word ("hey jarvis": its model, its own stream of near misses and real phrases,
``tests.broadcast.Programme(phrase=...)``, its checks); ``--verifier FILE`` weighs a verifier's weights
other than the packaged ones (a phrase without packaged weights is scored by the likelihood check alone).

    PYTHONPATH=. .venv/bin/python benchmarks/wake_fires.py [HOURS] [--seed N] [--kinds K=SHARE,...] [--wake-every S]
        [--check-model NAME|FOLDER] [--fires FILE.npz] [--check likelihood|verifier|all]
        [--phrase "hey jarvis"] [--verifier FILE.npz]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from tests.broadcast import Programme
from voiceshop.asr.base import PhraseScorer, SoundEncoder
from voiceshop.asr.wakecheck import LikelihoodWakeCheck
from voiceshop.asr.wakeverifier import VerifierWakeCheck, load_verifier, verifier_path
from voiceshop.audio.pcm import RATE
from voiceshop.audio.source import CHUNK
from voiceshop.audio.wakeword import MicroWakeWordDetector, WakeVerdict
from voiceshop.runtime.engines import open_recognizer, open_wake_check

WAKE_EVERY = 240.0
"""Seconds between the real phrases put into the stream (as ``benchmarks/voice.py activations``)."""
MARGINS = (3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0)
CUTOFFS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
"""Cutoffs of the trained verifier's probability the figures are also given at."""


def percentiles(scores: list[float], which: tuple[int, ...]) -> list[float] | None:
    return [round(float(np.percentile(scores, q)), 2) for q in which] if scores else None


def fires(programme: Programme, before: float, after: float) -> list[tuple[float, np.ndarray]]:
    """Each fire of the model on the stream: its time (the end of its chunk) and the check's sound."""
    detector = MicroWakeWordDetector(programme.phrase)
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


def verifier_check(scorer: object, phrase: str, path: str = "") -> VerifierWakeCheck | None:
    """The trained verifier of ``phrase`` (the packaged one, or ``path``) on the checking Whisper model's
    encoder; None when the phrase has no packaged verifier."""
    assert isinstance(scorer, SoundEncoder)  # Whisper's encoder can be read directly
    weights = Path(path) if path else verifier_path(phrase)
    if not path and not weights.is_file():
        return None
    verifier = load_verifier(weights)
    if verifier.phrase != phrase:
        raise SystemExit(f"{weights} verifies {verifier.phrase!r}, not {phrase!r}")
    return VerifierWakeCheck(scorer, verifier)


def figures(name: str, scored: list[tuple[str, WakeVerdict]], audio_h: float, inserted: int) -> dict[str, object]:
    """One check's figures on the fires: false wake-ups an hour (by kind), real phrases kept, its time."""
    real = [v for kind, v in scored if kind == "wake"]
    false = collections.Counter(kind for kind, v in scored if kind != "wake" and v.accepted)
    costs = sorted(v.seconds for _, v in scored)
    return {
        "check": name,
        "false_wakeups_per_hour": round(sum(false.values()) / audio_h, 2),
        "false_wakeups_by_kind": dict(false),
        "real_phrases_confirmed": f"{sum(v.accepted for v in real)}/{len(real)} (of {inserted} put in)",
        "ms_median_p95": [round(c * 1000) for c in (statistics.median(costs), costs[int(0.95 * len(costs))])]
        if costs
        else None,
        "accepted_false_fires_heard": [v.heard for k, v in scored if k != "wake" and v.accepted and v.heard][:8],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hours", nargs="?", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wake-every", type=float, default=WAKE_EVERY, help="seconds between real phrases")
    parser.add_argument("--kinds", default="", help="shares of the stream's kinds of sound: near=0.75,talk=0.25")
    parser.add_argument("--check-model", default="", help="Whisper model that checks (default: tiny.en)")
    parser.add_argument("--fires", default="", help="keep the fires in this .npz, or replay them from it")
    parser.add_argument(
        "--check", choices=["likelihood", "verifier", "all"], default="all", help="which checks to score (all: both)"
    )
    parser.add_argument("--phrase", default="okay nabu", help="the packaged wake word weighed")
    parser.add_argument("--verifier", default="", help="the verifier's weights (default: the packaged ones)")
    args = parser.parse_args()
    phrase = " ".join(args.phrase.lower().replace(",", " ").split())
    memory = resident_mb()
    if args.check_model:
        check = open_wake_check(phrase, args.check_model)
    else:
        recognizer = open_recognizer("whisper", "en")
        assert isinstance(recognizer, PhraseScorer)  # Whisper scores a phrase against the sound
        check = LikelihoodWakeCheck(recognizer, phrase)
    verifier = verifier_check(check.scorer, phrase, args.verifier) if args.check != "likelihood" else None
    if verifier is None and args.check == "verifier":
        raise SystemExit(f"no packaged verifier for {phrase!r}: name its weights with --verifier FILE")
    loaded = resident_mb() - memory
    started = time.perf_counter()
    kinds = {k: float(v) for k, v in (pair.split("=") for pair in args.kinds.split(",") if pair)} or None
    programme = Programme(args.hours * 3600, seed=args.seed, wake_every=args.wake_every, kinds=kinds, phrase=phrase)
    if args.fires:
        found, facts = cached_fires(args.fires, programme, check.before, check.after)
    else:
        found, facts = stream_fires(programme, check.before, check.after)
    playing = time.perf_counter() - started
    likely: list[tuple[str, WakeVerdict]] = []
    verified: list[tuple[str, WakeVerdict]] = []
    for kind, sound in found:
        if args.check != "verifier":
            likely.append((kind, check.check(sound)))
        if verifier is not None:
            verified.append((kind, verifier.check(sound)))
    audio_h = facts["audio_hours"]
    inserted = int(facts["inserted"])
    result: dict[str, object] = {
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "stream": f"{phrase!r}, seed {args.seed}, a real phrase every {args.wake_every:g} s, "
        f"kinds {kinds or 'as broadcast.KINDS'}",
        "audio_hours": round(audio_h, 2),
        "check_model": getattr(check.scorer, "model_path", "?"),
        "check_model_resident_mb_loaded_after_checks": [round(loaded), round(resident_mb() - memory)],
        "near_phrases_said": int(facts["near_said"]),
        "false_wakeups_per_hour_without_check": round(sum(k != "wake" for k, _ in found) / audio_h, 2),
        "false_fires_by_kind": dict(collections.Counter(k for k, _ in found if k != "wake")),
        "real_phrases_found_by_model": f"{sum(k == 'wake' for k, _ in found)}/{inserted}",
    }
    if likely:
        real = [v.score for kind, v in likely if kind == "wake"]
        other = [v.score for kind, v in likely if kind != "wake"]
        result["likelihood"] = figures(check.name, likely, audio_h, inserted)
        result["likelihood_real_scores_lowest"] = sorted(round(s, 2) for s in real)[:5]
        result["likelihood_real_p5_p50_other_p50_p95_max"] = [
            percentiles(real, (5, 50)),
            percentiles(other, (50, 95, 100)),
        ]
        result["likelihood_by_margin (margin: false wake-ups/h, real kept)"] = {
            f"{m:g}": [round(sum(s >= -m for s in other) / audio_h, 2), f"{sum(s >= -m for s in real)}/{len(real)}"]
            for m in MARGINS
        }
    if verifier is not None:
        cutoff = verifier.verifier.cutoff
        real = [v.score for kind, v in verified if kind == "wake"]
        other = [v.score for kind, v in verified if kind != "wake"]
        result["verifier"] = figures(verifier.name, verified, audio_h, inserted)
        result["verifier_real_scores_lowest"] = sorted(round(s, 3) for s in real)[:5]
        result["verifier_by_cutoff (cutoff: false wake-ups/h, real kept)"] = {
            f"{c:g}": [round(sum(s >= c for s in other) / audio_h, 2), f"{sum(s >= c for s in real)}/{len(real)}"]
            for c in sorted({*CUTOFFS, cutoff})
        }
    if likely and verified:  # as the loop runs them: the likelihood check only on what the verifier accepts
        both = [
            (kind, WakeVerdict(a.accepted and b.accepted, b.score, a.heard, b.seconds + a.seconds * b.accepted))
            for (kind, a), (_, b) in zip(likely, verified, strict=True)
        ]
        result["verifier_then_likelihood"] = figures("verifier, then likelihood", both, audio_h, inserted)
    result["model_s_per_audio_hour"] = round((playing - facts["model_s"]) / audio_h) if programme.pieces else "replayed"
    for key, value in result.items():
        print(f"  {key}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")


if __name__ == "__main__":
    main()
