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
``--keyphrase`` also scores every fire with pocketsphinx's keyphrase search (the pocketsphinx extra; both
cues of ``PocketsphinxRecognizer.keyphrase_scores`` on the 2 s before the fire and 0.5 s after it, so
fires are kept with 0.5 s after them and each check hears its own window of that): alone at its own
thresholds, and after the verifier and the likelihood check, at its thresholds and as a veto only under
``--veto-below PHRASE,WORD`` (powers of ten; by default this stream's lowest real phrase's, so a veto
chosen on one stream can be measured on another). The false wake-ups the two checks leave are printed
with Whisper's reading of each and the sound it fell in (the first lines of its piece of the stream).

    PYTHONPATH=. .venv/bin/python benchmarks/wake_fires.py [HOURS] [--seed N] [--kinds K=SHARE,...] [--wake-every S]
        [--check-model NAME|FOLDER] [--fires FILE.npz] [--check likelihood|verifier|all]
        [--phrase "hey jarvis"] [--verifier FILE.npz] [--keyphrase [--veto-below PHRASE,WORD]]
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
from voiceshop.asr.keyphrase import AFTER as KEYPHRASE_AFTER
from voiceshop.asr.keyphrase import KeyphraseWakeCheck
from voiceshop.asr.pocketsphinx_engine import KEYPHRASE_ACCEPT, KEYPHRASE_FLOOR, KEYWORD_ACCEPT, PocketsphinxRecognizer
from voiceshop.asr.wakecheck import AFTER, BEFORE, LikelihoodWakeCheck
from voiceshop.asr.wakeverifier import VerifierWakeCheck, load_verifier, verifier_path
from voiceshop.audio.pcm import RATE
from voiceshop.audio.source import CHUNK
from voiceshop.audio.wakeword import MicroWakeWordDetector, WakeCheck, WakeVerdict
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
"""Each fire of the wake word model: the kind of sound it fired on and the sound around it (``KEPT``)."""
KEPT = (BEFORE, KEYPHRASE_AFTER)
"""Seconds kept before and after each fire: the widest any check hears (pocketsphinx's keyphrase check
waits 0.5 s after the fire, Whisper's checks 0.25 s); each check hears its own window of it (``heard``)."""


def heard(sound: np.ndarray, after: float, check: WakeCheck) -> np.ndarray:
    """The window of a kept fire's ``sound`` (``after`` seconds past the fire) that ``check`` hears, in
    whole chunks as the loop's ``Confirmer`` keeps them for a check of its own (the same sound as a fire
    kept with the check's own window)."""
    fire = len(sound) - round(after * RATE / CHUNK) * CHUNK
    start = fire - round(check.before * RATE / CHUNK) * CHUNK
    return sound[max(0, start) : fire + round(check.after * RATE / CHUNK) * CHUNK]


def stream_fires(programme: Programme, before: float, after: float) -> tuple[Fires, dict[str, float], list[str]]:
    """The fires on the stream, the stream's own figures (hours, real phrases and near-miss lines in it,
    the window kept) and what was said in the piece each fire fell in."""
    found, said = [], []
    for at, sound in fires(programme, before, after):
        piece = programme.piece_at(at - 0.001)
        found.append((piece.kind, sound))
        said.append(f"{at - piece.start:.1f} s into: {piece.text}")
    facts = {
        "audio_hours": programme.pieces[-1].end / 3600,
        "inserted": sum(p.kind == "wake" for p in programme.pieces),
        "near_said": sum(p.text.count(" / ") + 1 for p in programme.pieces if p.kind == "near"),
        "model_s": programme.making,
        "before": before,
        "after": after,
    }
    return found, facts, said


def cached_fires(
    path: str, programme: Programme, before: float, after: float
) -> tuple[Fires, dict[str, float], list[str]]:
    """``stream_fires``, played once and kept in ``path`` (for the same stream and window) after. A file
    kept before the window and what was said were recorded holds the Whisper checks' window (2 s
    before, 0.25 s after) and no text."""
    if os.path.exists(path):
        with np.load(path) as kept:
            facts = {"before": BEFORE, "after": AFTER}
            facts |= {k: float(v) for k, v in json.loads(str(kept["facts"])).items()}
            said = [str(t) for t in kept["said"]] if "said" in kept.files else [""] * len(kept["kinds"])
            return [(str(k), kept[f"sound{i}"]) for i, k in enumerate(kept["kinds"])], facts, said
    found, facts, said = stream_fires(programme, before, after)
    sounds = {f"sound{i}": sound for i, (_, sound) in enumerate(found)}
    np.savez(
        path,
        kinds=np.array([k for k, _ in found]),
        said=np.array(said),
        facts=np.array(json.dumps(facts)),
        **sounds,
    )
    return found, facts, said


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


Spot = tuple[float, float, float]
"""pocketsphinx's keyphrase scores of one fire: the phrase's likelihood ratio and its last word's (powers
of ten, ``PocketsphinxRecognizer.keyphrase_scores``), and the seconds they took."""


def spotted(found: Fires, after: float, phrase: str) -> list[Spot]:
    """pocketsphinx's keyphrase scores (both cues) of each fire, on the window its own check hears."""
    engine = PocketsphinxRecognizer()
    window = KeyphraseWakeCheck(engine, phrase)  # says so when pocketsphinx cannot pronounce the phrase
    spots = []
    for _, sound in found:
        started = time.perf_counter()
        whole, word = engine.keyphrase_scores(heard(sound, after, window), phrase)
        spots.append((whole, word, time.perf_counter() - started))
    return spots


def spot_verdict(spot: Spot, floor: tuple[float, float]) -> WakeVerdict:
    """A fire accepted when the phrase and its last word reach ``floor``'s powers of ten."""
    return WakeVerdict(spot[0] >= floor[0] and spot[1] >= floor[1], min(spot[0], spot[1]), seconds=spot[2])


def then(first: WakeVerdict, second: WakeVerdict) -> WakeVerdict:
    """Two checks in a row, as the loop runs them: the second only on what the first accepts."""
    accepted = first.accepted and second.accepted
    return WakeVerdict(
        accepted, second.score, second.heard or first.heard, first.seconds + second.seconds * first.accepted
    )


def keyphrase_figures(
    kinds: list[str], spots: list[Spot], both: list[WakeVerdict], floor: tuple[float, float] | None, audio_h: float
) -> dict[str, object]:
    """pocketsphinx's keyphrase check on the fires: alone, and after the verifier and the likelihood check
    (``both``), at its own thresholds, as a veto under ``floor`` (default: the lowest real phrase's), and
    as a veto only where it finds the phrase but not its last word within it (abstaining elsewhere)."""
    real = [s for k, s in zip(kinds, spots, strict=True) if k == "wake"]
    left = [s for k, s, b in zip(kinds, spots, both, strict=True) if k != "wake" and b.accepted]
    found = [s for s in real if s[0] > KEYPHRASE_FLOOR - 10]
    veto = floor or ((min(s[0] for s in real), min(s[1] for s in real)) if real else (0.0, 0.0))
    shipped = (float(KEYPHRASE_ACCEPT), float(KEYWORD_ACCEPT))
    inserted = -1  # the stream's count is printed above
    alone = [(k, spot_verdict(s, shipped)) for k, s in zip(kinds, spots, strict=True)]
    after = [(k, then(b, spot_verdict(s, shipped))) for k, s, b in zip(kinds, spots, both, strict=True)]
    vetoed = [(k, then(b, spot_verdict(s, veto))) for k, s, b in zip(kinds, spots, both, strict=True)]
    nowhere = KEYPHRASE_FLOOR - 10
    wordless = [  # a veto only where it found the phrase but not its last word within it; else it abstains
        (k, then(b, WakeVerdict(not (s[0] > nowhere >= s[1]), s[1], seconds=s[2])))
        for k, s, b in zip(kinds, spots, both, strict=True)
    ]
    return {
        "keyphrase_real_phrase_found_at_all": f"{len(found)}/{len(real)} (above 1e{KEYPHRASE_FLOOR})",
        "keyphrase_real_p5_p50 (phrase, last word)": [percentiles([s[i] for s in real], (5, 50)) for i in (0, 1)],
        "keyphrase_of_false_fires_both_checks_accept (phrase, last word)": [
            sorted(round(s[i], 1) for s in left) for i in (0, 1)
        ],
        "keyphrase_alone": figures(f"keyphrase at 1e{KEYPHRASE_ACCEPT}, 1e{KEYWORD_ACCEPT}", alone, audio_h, inserted),
        "verifier_likelihood_then_keyphrase": figures("the two, then keyphrase", after, audio_h, inserted),
        "verifier_likelihood_then_keyphrase_veto": figures(
            f"the two, then a veto under 1e{veto[0]:.2f} (phrase), 1e{veto[1]:.2f} (last word)"
            + ("" if floor else ": this stream's lowest real phrase"),
            vetoed,
            audio_h,
            inserted,
        ),
        "verifier_likelihood_then_keyphrase_wordless_veto": figures(
            "the two, then a veto where pocketsphinx finds the phrase but not its last word within it",
            wordless,
            audio_h,
            inserted,
        ),
    }


def figures(name: str, scored: list[tuple[str, WakeVerdict]], audio_h: float, inserted: int) -> dict[str, object]:
    """One check's figures on the fires: false wake-ups an hour (by kind), real phrases kept, its time."""
    real = [v for kind, v in scored if kind == "wake"]
    false = collections.Counter(kind for kind, v in scored if kind != "wake" and v.accepted)
    costs = sorted(v.seconds for _, v in scored)
    return {
        "check": name,
        "false_wakeups_per_hour": round(sum(false.values()) / audio_h, 2),
        "false_wakeups_by_kind": dict(false),
        "real_phrases_confirmed": f"{sum(v.accepted for v in real)}/{len(real)}"
        + (f" (of {inserted} put in)" if inserted >= 0 else ""),
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
    parser.add_argument(
        "--piper", action="store_true", help="the real phrases and half the talk said by the packaged Piper voice"
    )
    parser.add_argument(
        "--keyphrase", action="store_true", help="also score each fire with pocketsphinx's keyphrase search"
    )
    parser.add_argument(
        "--veto-below",
        default="",
        help="PHRASE,WORD: powers of ten under which pocketsphinx vetoes a fire (default: the lowest real phrase's)",
    )
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
    programme = Programme(
        args.hours * 3600,
        seed=args.seed,
        wake_every=args.wake_every,
        kinds=kinds,
        phrase=phrase,
        piper=args.piper or None,
    )
    if args.fires:
        found, facts, said = cached_fires(args.fires, programme, *KEPT)
    else:
        found, facts, said = stream_fires(programme, *KEPT)
    playing = time.perf_counter() - started
    likely: list[tuple[str, WakeVerdict]] = []
    verified: list[tuple[str, WakeVerdict]] = []
    for kind, sound in found:
        if args.check != "verifier":
            likely.append((kind, check.check(heard(sound, facts["after"], check))))
        if verifier is not None:
            verified.append((kind, verifier.check(heard(sound, facts["after"], verifier))))
    audio_h = facts["audio_hours"]
    inserted = int(facts["inserted"])
    result: dict[str, object] = {
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "stream": f"{phrase!r}, seed {args.seed}, a real phrase every {args.wake_every:g} s, "
        f"kinds {kinds or 'as broadcast.KINDS'}" + (", said by Piper" if args.piper else ""),
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
        both = [(kind, then(b, a)) for (kind, a), (_, b) in zip(likely, verified, strict=True)]
        result["verifier_then_likelihood"] = figures("verifier, then likelihood", both, audio_h, inserted)
        result["false_wakeups_left (Whisper's reading | the sound it fell in)"] = [
            f"{v.heard} | {text[:140]}"
            for (kind, v), text in zip(both, said, strict=True)
            if kind != "wake" and v.accepted
        ]
        if args.keyphrase:
            lowest = [float(x) for x in args.veto_below.split(",")] if args.veto_below else None
            floor = (lowest[0], lowest[1]) if lowest else None
            spots = spotted(found, facts["after"], phrase)
            verdicts = [v for _, v in both]
            result |= keyphrase_figures([k for k, _ in found], spots, verdicts, floor, audio_h)
    result["model_s_per_audio_hour"] = round((playing - facts["model_s"]) / audio_h) if programme.pieces else "replayed"
    for key, value in result.items():
        print(f"  {key}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")


if __name__ == "__main__":
    main()
