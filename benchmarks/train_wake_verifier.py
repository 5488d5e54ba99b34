"""Train the wake verifier (``voiceshop/asr/wakeverifier.py``) for a packaged wake phrase, from nothing but it.

Renders thousands of clips (``benchmarks/wake_data.py``): the phrase said by espeak-ng's English voices
and variants at many speeds and pitches and by the packaged Piper voice (length and noise scales),
alone or with a command after it, and the phrase's first word followed by sound-alikes found in the
pronouncing dictionary ("okay nah blue", "okay now who"), ordinary talk, with echo and a background
(fan, kitchen, music, babble, noise) at 0-25 dB or none. Each clip goes through the wake word model
and the sound its check would hear at the fire (or at the highest probability) through Whisper
tiny.en's encoder (``WhisperRecognizer.encode_sound``). A small network (numpy: one hidden layer,
Adam, weight decay, early stop) learns the phrase from the rest on the encoder's output averaged over
stretches counted back from the fire; ``--members`` trains several from different seeds and ships
them as one network whose output is the mean of theirs (``merged``).

Hard negatives: the verifier only ever hears fires, and in an ordinary run only one sound-alike clip in
ten makes the wake word model fire. ``--mine`` adds runs that render mostly sound-alikes and the
first word followed by common words (``HARD_SHARES``) and keep only the clips on which the model's
probability reached ``MINE_PEAK`` (about one in five): several times the fires on talk that is not
the phrase, for the same rendering time.

A phrase whose wake word model never fires on espeak-ng's voices ("hey jarvis") learns from the Piper
voice alone: its phrases and sound-alikes are the only fires there are. ``--piper 0.5`` gives it half
the clips (0.12 by default); every Piper clip is made another voice by a small shift of its pitch and
formants (``wake_data.piper``), since one packaged Piper voice is one speaker.

Honesty: some voices (``wake_data.HELD_OUT_BASES`` and ``HELD_OUT_VARIANTS``), a fifth of the
sound-alikes and a fifth of the Piper renderings are never trained on; the figures printed (and
written into the weights file's facts) are on them. The validation voices choose the cutoff: the
lowest that keeps all but 0.5 % of the phrases there that the wake word model fired on (the verifier
never hears the others; ``--cutoff-from near`` also counts those it only came near, as the okay nabu
and hey jarvis weights were made); ``--validation`` keeps more variants out of training for it.
``--recut`` trains nothing: it sets the cutoff of weights already made (``--out``) again from the
clips' validation voices they never trained on (okay nabu's: 0.131, was 0.21; hey jarvis's: 0.5, was 0.34;
neither shipped, README).
Nothing of ``tests/broadcast.py`` (its lines, voices lists or seeds) is used: the benchmark streams
stay a test nothing was tuned on.

    PYTHONPATH=. /work/main/.venv/bin/python benchmarks/train_wake_verifier.py [--phrase "okay nabu"]
        [--clips 8000] [--cache /tmp/a.npz [--cache /tmp/b.npz]] [--mine /tmp/m.npz ...] [--mine-clips 12000]
        [--members 3] [--piper 0.12] [--out voiceshop/asr/verifiers/okay_nabu.npz] [--recut]

Needs only the shared venv (numpy, faster-whisper, pymicro-wakeword, pocketsphinx, piper-tts) and
espeak-ng, as ``scripts/setup.sh`` installs them; not torch. Rendering and encoding take most of the
time: 8,000 clips took 27 minutes at load average 5 on the 2 shared cores, 7,000 took 56 at load 10;
the training itself a minute. Each ``--cache`` keeps one run's encoded clips (seed, seed + 1, ...), so
changing the network only retrains; each ``--mine`` keeps one mining run (seed + 100, + 101, ...;
12,000 scenes took 40 minutes at load average 6-10). The packaged weights come from two ordinary runs
(seed 7, 8,000 clips, made before the first word + common words negatives were added to ``scene``;
seed 8, 7,000 clips, with them; re-training with this script makes both with them) and one mining
run (seed 107: 12,000 scenes, 2,494 clips kept, 688 of them fires on talk that is not the phrase,
against 522 in the two ordinary runs), with ``--members 3``:

    ... --cache A --cache B --mine C --members 3

The packaged "hey jarvis" weights come from one ordinary run (seed 7, 3,500 clips, half of them Piper's,
44 minutes at load average 12-18), with ``--members 3``:

    ... --phrase "hey jarvis" --clips 3500 --piper 0.5 --cache A --members 3

A mining run added to it (seed 107, 3,000 scenes at ``--piper 0.8``: 379 kept, 71 of them fires on
talk that is not the phrase) let 15 of the 36 held-out sound-alike fires through instead of 18, but
kept 58 of the 62 held-out phrases instead of 61 (3 of the 7 said by espeak-ng's voices, against 6),
so it is not what ships: the phrase in voices other than Piper's is what the verifier knows least.

The packaged "hey mycroft" weights come from three ordinary runs (seeds 7-9, 5,000 clips each, a fifth
of them Piper's, 31 minutes at load average 2-8), with six more validation variants and ``--members 3``:

    ... --phrase "hey mycroft" --clips 5000 --piper 0.2 --validation m2,f4,klatt3,Storm,belinda,max
        --cache A --cache B --cache C --members 3
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import multiprocessing
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import wake_data
from voiceshop.asr.wakeverifier import WakeVerifier, load_verifier, pooled, verifier_path
from voiceshop.runtime.engines import open_recognizer

BEFORE, AFTER = 2.0, 0.25
FRAMES = 240
"""10 ms frames encoded: the 2.25 s heard, padded to 2.4 s (the encoder's step is 20 ms: 120 steps)."""
FIRE = 100
"""The encoder step where the fire is (2.0 s in)."""
BLOCK = 4
"""Encoder steps averaged together in the cache (80 ms): the verifier's stretches are made of blocks."""
EDGES = [FIRE - 12 * k for k in range(8, -1, -1)] + [FIRE + 12]
"""Stretches of 12 steps (0.24 s): eight up to the fire, one after it."""
VALIDATION_VARIANTS = {"m4", "f2", "klatt2", "Gene", "grandpa", "norbert", "zac"}
"""Voices (variants) kept out of training to choose the cutoff and when to stop."""
MINE_PEAK = 0.5
"""A mining run keeps the clips on which the wake word model's probability reached this (its cutoff is
0.85-0.97): the fires, and what came near firing, as a different voice or room would make fire."""
KEEP = 0.995
"""Share of the validation phrases the cutoff keeps: losing a real wake word is worse than a false one."""


def held_out_text(text: str) -> bool:
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % 5 == 0


SHARES = (0.36, 0.62, 0.84, 0.93)
"""Where a clip's roll falls: below the first, the phrase; then a sound-alike, the first word and
common words, the first word and talk, and talk alone."""
HARD_SHARES = (0.15, 0.70, 1.0, 1.0)
"""The same for a run that mines hard negatives (``--hard``): what the wake word model fires on is the
sound-alikes and the first word followed by common words, so those are rendered most."""


PIPER = 0.12
"""Share of the clips the packaged Piper voice says (``--piper``); espeak-ng's voices say the rest."""


def scene(
    i: int, phrase: str, alikes: list[str], seed: int, hard: bool = False, piper: float = PIPER
) -> wake_data.Scene:
    rng = random.Random(seed * 1_000_003 + i)
    words = wake_data.phrase_words(phrase)
    head = words[:1] if len(words) > 1 else []
    shares = HARD_SHARES if hard else SHARES
    roll = rng.random()
    if roll < shares[0]:
        positive = True
        core = phrase
        text = rng.choice([phrase, f"{words[0]}, {' '.join(words[1:])}" if len(words) > 1 else phrase])
    else:
        positive = False
        if roll < shares[1]:
            text = core = rng.choice(alikes)
            if rng.random() < 0.2:  # the sound-alike opened some other way
                text = " ".join([rng.choice(wake_data.OPENERS), *text.split()[len(head) :]])
        elif roll < shares[2]:  # the first word, then any common words (names among them)
            core = " ".join(rng.sample(wake_data.common_words(), rng.choice([1, 1, 2, 3])))
            text = f"{' '.join(head)}{rng.choice([' ', ', '])}{core}".strip()
        elif roll < shares[3]:
            text = core = f"{' '.join(head)}, {rng.choice(wake_data.TALK)}".lstrip(", ")
        else:
            text = core = rng.choice(wake_data.TALK)
    if rng.random() < 0.6:
        after = rng.choice(wake_data.AFTER if positive or rng.random() < 0.5 else wake_data.TALK)
        text = f"{text}{rng.choice([' ', ', ', '. '])}{after}"
    if rng.random() < 0.2:
        text = f"{rng.choice(wake_data.TALK)}. {text}"
    if rng.random() < piper:  # its pitch: the whole voice a little higher or lower (wake_data.piper)
        voice, speed, pitch = "piper", rng.uniform(0.8, 1.25), rng.randrange(30, 71)
    else:
        variant = rng.choice(wake_data.VARIANTS)
        voice = rng.choice(wake_data.BASES) + (f"+{variant}" if variant else "")
        speed, pitch = rng.uniform(0.75, 1.35), rng.randrange(15, 85)
    backgrounds = ["quiet", "quiet", "fan", "kitchen", "music", "babble", "white", "brown"]
    return wake_data.Scene(
        words=text,
        positive=positive,
        voice=voice,
        speed=speed,
        pitch=pitch,
        noise=rng.uniform(0.3, 1.0),
        lead=rng.uniform(0.2, 1.5),
        room=0.0 if rng.random() < 0.5 else rng.uniform(0.15, 0.6),
        background=rng.choice(backgrounds),
        snr=rng.uniform(0, 25),
        seed=rng.randrange(10**9),
        core=core,
    )


def split_of(s: wake_data.Scene, i: int, validation: frozenset[str] = frozenset()) -> str:
    """The clip's part: "test" (voices, sound-alikes or Piper renderings never trained on), "validation" or
    "train". ``validation``: variants kept out of training besides ``VALIDATION_VARIANTS``."""
    if s.held_out or (not s.positive and held_out_text(s.core)) or (s.voice == "piper" and i % 5 == 0):
        return "test"
    if s.voice.partition("+")[2] in VALIDATION_VARIANTS | validation or (s.voice == "piper" and i % 5 == 1):
        return "validation"
    return "train"


def _render(job: tuple[wake_data.Scene, float, float, str]) -> tuple[np.ndarray[Any, Any], float, bool]:
    return wake_data.render(*job)


def encode_clips(
    phrase: str,
    clips: int,
    seed: int,
    cache: str,
    hard: float = 0.0,
    piper: float = PIPER,
    validation: frozenset[str] = frozenset(),
) -> dict[str, np.ndarray[Any, Any]]:
    """``clips`` scenes rendered and encoded (or read from ``cache``). With ``hard``, a run that mines hard
    negatives: mostly sound-alikes (``HARD_SHARES``), and only the clips on which the wake word model's
    probability reached ``hard`` are encoded and kept, since only a fire is ever put to the verifier and
    the clips it never came near teach it little."""
    if cache and os.path.exists(cache):
        with np.load(cache) as kept:
            return {k: kept[k] for k in kept.files}
    alikes = wake_data.sound_alikes(phrase)
    scenes = [scene(i, phrase, alikes, seed, hard=hard > 0, piper=piper) for i in range(clips)]
    recognizer = open_recognizer("whisper", "en")
    encode = recognizer.encode_sound  # type: ignore[attr-defined]
    blocks, peaks, fired, kept_at = [], [], [], []
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        jobs = [(s, BEFORE, AFTER, phrase) for s in scenes]
        for n, (window, peak, fire) in enumerate(pool.imap(_render, jobs, chunksize=4)):
            if n % 500 == 0:
                print(f"  {n}/{clips} clips ({len(kept_at)} kept), {time.perf_counter() - started:.0f} s", flush=True)
            if peak < hard:
                continue
            encoded = encode(window, FRAMES)
            blocks.append(encoded[: len(encoded) // BLOCK * BLOCK].reshape(-1, BLOCK, encoded.shape[1]).mean(1))
            peaks.append(peak)
            fired.append(fire)
            kept_at.append(n)
    chosen = [scenes[n] for n in kept_at]
    data = {
        "blocks": np.array(blocks, dtype=np.float16),
        "peak": np.array(peaks),
        "fired": np.array(fired),
        "positive": np.array([s.positive for s in chosen]),
        "split": np.array([split_of(scenes[n], n, validation) for n in kept_at]),
        "voice": np.array([s.voice for s in chosen]),
        "text": np.array([s.words for s in chosen]),
        "render_s": np.array(time.perf_counter() - started),
    }
    if cache:
        np.savez(cache, **data)
    return data


def features(blocks: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The verifier's input from the cached blocks: the same means ``wakeverifier.pooled`` takes."""
    edges = [e // BLOCK for e in EDGES]
    return np.stack([pooled(b.astype(np.float32), edges) for b in blocks])


class Network:
    """One hidden layer (ReLU), a sigmoid out; Adam on weighted cross-entropy with weight decay."""

    def __init__(self, width: int, hidden: int, rng: np.random.Generator) -> None:
        self.params = [
            rng.standard_normal((width, hidden)) * np.sqrt(2 / width),
            np.zeros(hidden),
            rng.standard_normal((hidden, 1)) * np.sqrt(1 / hidden),
            np.zeros(1),
        ]
        self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in self.params]
        self.steps = 0

    def forward(self, x: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        w1, b1, w2, b2 = self.params
        hidden = np.maximum(x @ w1 + b1, 0)
        return hidden, (hidden @ w2 + b2)[:, 0]

    def step(self, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], weight: np.ndarray[Any, Any], lr: float,
             decay: float, dropout: float, rng: np.random.Generator) -> None:  # fmt: skip
        w1, _, w2, _ = self.params
        x = x * (rng.random(x.shape) > dropout) / (1 - dropout)
        hidden, logit = self.forward(x)
        error = (1 / (1 + np.exp(-logit)) - y) * weight / weight.sum()
        g_w2 = hidden.T @ error[:, None]
        back = (error[:, None] @ w2.T) * (hidden > 0)
        grads = [x.T @ back + decay * w1, back.sum(0), g_w2 + decay * w2, error.sum(keepdims=True)]
        self.steps += 1
        for p, g, (m, v) in zip(self.params, grads, self.moments, strict=True):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= lr * (m / (1 - 0.9**self.steps)) / (np.sqrt(v / (1 - 0.999**self.steps)) + 1e-8)

    def probability(self, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return 1 / (1 + np.exp(-np.clip(self.forward(x)[1], -60, 60)))


def train(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], xv: np.ndarray[Any, Any], yv: np.ndarray[Any, Any],
          hidden: int, epochs: int, seed: int) -> Network:  # fmt: skip
    """Trained until the validation loss stops falling (the best epoch's weights kept)."""
    rng = np.random.default_rng(seed)
    net = Network(x.shape[1], hidden, rng)
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    best, kept, since = np.inf, [p.copy() for p in net.params], 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 128):
            batch = order[start : start + 128]
            net.step(x[batch], y[batch], weight[batch], 1e-3, 1e-3, 0.2, rng)
        p = np.clip(net.probability(xv), 1e-7, 1 - 1e-7)
        loss = -float(np.mean(yv * np.log(p) * 2 + (1 - yv) * np.log(1 - p)))  # a lost phrase counts double
        if loss < best - 1e-4:
            best, kept, since = loss, [q.copy() for q in net.params], 0
        else:
            since += 1
            if since >= 8:
                break
    net.params = kept
    return net


def merged(nets: list[Network]) -> Network:
    """Networks trained from different starts as one, its hidden layer theirs side by side and its output
    the mean of their logits: an ensemble (steadier than any one of them) in the verifier's own format."""
    if len(nets) == 1:
        return nets[0]
    one = Network(nets[0].params[0].shape[0], 1, np.random.default_rng(0))
    one.params = [
        np.concatenate([n.params[0] for n in nets], axis=1),
        np.concatenate([n.params[1] for n in nets]),
        np.concatenate([n.params[2] for n in nets]) / len(nets),
        np.mean([n.params[3] for n in nets], axis=0),
    ]
    return one


def rates(p: np.ndarray[Any, Any], y: np.ndarray[Any, Any], cutoff: float) -> dict[str, str]:
    return {
        "phrases_kept": f"{int(np.sum(p[y == 1] >= cutoff))}/{int(np.sum(y == 1))}",
        "sound_alikes_let_through": f"{int(np.sum(p[y == 0] >= cutoff))}/{int(np.sum(y == 0))}",
    }


def cutoff_of(p: np.ndarray[Any, Any], y: np.ndarray[Any, Any], fired: np.ndarray[Any, Any], rule: str) -> float:
    """The lowest probability that keeps ``KEEP`` of the validation phrases (``p``: theirs and the others'):
    those the wake word model fired on, or (``rule`` "near") also those it only came near."""
    # the verifier only ever hears fires: a phrase the model came near without firing, cut at its highest
    # probability, is never put to it, and set "hey mycroft"'s cutoff near 0 (``--cutoff-from near``: as before)
    chooses = y == 1 if rule == "near" else (y == 1) & fired
    return round(min(float(np.quantile(p[chooses], 1 - KEEP)), 0.5), 4)


def evaluate(
    data: dict[str, np.ndarray[Any, Any]],
    part: dict[str, np.ndarray[Any, Any]],
    probability: dict[str, np.ndarray[Any, Any]],
    rule: str,
) -> tuple[dict[str, Any], str]:
    """The cutoff (from the validation part's ``probability``) and the figures at it on the validation and
    test parts; and the summary the weights file keeps (the test part, where the wake word model fired)."""
    y_all = data["positive"].astype(np.float64)
    cutoff = cutoff_of(probability["validation"], y_all[part["validation"]], data["fired"][part["validation"]], rule)
    report: dict[str, Any] = {"clips": {k: int(v.sum()) for k, v in part.items()}, "cutoff": cutoff}
    for name in ("validation", "test"):
        p, y = probability[name], y_all[part[name]]
        fired = data["fired"][part[name]]
        report[name] = {"all": rates(p, y, cutoff), "where the wake model fired": rates(p[fired], y[fired], cutoff)}
        if name == "test":
            piper = data["voice"][part[name]] == "piper"
            report[name]["piper renderings"] = rates(p[piper], y[piper], cutoff)
            report[name]["espeak-ng voices never trained on"] = rates(p[~piper], y[~piper], cutoff)
            missed = [str(t) for t, q, w in zip(data["text"][part[name]], p, y, strict=True) if w == 1 and q < cutoff]
            through = [str(t) for t, q, w in zip(data["text"][part[name]], p, y, strict=True) if w == 0 and q >= cutoff]
            report[name]["phrases lost"] = missed[:8]
            report[name]["let through"] = through[:12]
    test = report["test"]["where the wake model fired"]
    summary = (
        f"on voices and sound-alikes it was not trained on: {test['phrases_kept']} phrases kept, "
        f"{test['sound_alikes_let_through']} sound-alike fires let through"
    )
    return report, summary


def recut(
    path: Path,
    data: dict[str, np.ndarray[Any, Any]],
    x_all: np.ndarray[Any, Any],
    part: dict[str, np.ndarray[Any, Any]],
    validation: frozenset[str],
    rule: str,
) -> None:
    """``--recut``: the weights in ``path`` kept, their cutoff set again by ``rule`` from clips rendered afresh,
    by the validation voices they never trained on (``VALIDATION_VARIANTS``, ``validation`` as they were made,
    Piper's); the figures are on the clips' test part, which no weights train on."""
    old = load_verifier(path)
    variant = np.array([str(v).partition("+")[2] for v in data["voice"]])
    unseen = np.isin(variant, sorted(VALIDATION_VARIANTS | validation)) | (data["voice"] == "piper")
    part = {**part, "validation": part["validation"] & unseen}
    probability = {name: np.array([old.probability(x) for x in x_all[part[name]]]) for name in ("validation", "test")}
    report, summary = evaluate(data, part, probability, rule)
    facts = {**old.facts, "summary": summary, "cutoff_set": f"--cutoff-from {rule}, was {old.cutoff:g}"}
    dataclasses.replace(old, cutoff=report["cutoff"], facts=facts).save(path)
    report["weights"] = f"{path}: cutoff {old.cutoff:g} -> {report['cutoff']:g}"
    for key, value in report.items():
        print(f"  {key}: {json.dumps(value, ensure_ascii=False)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrase", default="okay nabu")
    parser.add_argument("--clips", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--members", type=int, default=1, help="networks trained from different seeds, averaged")
    parser.add_argument(
        "--cache",
        action="append",
        default=[],
        help="keep the encoded clips in this .npz (or read them from it); again for more clips (the next seed)",
    )
    parser.add_argument(
        "--mine",
        action="append",
        default=[],
        help="keep a run that mines hard negatives in this .npz (or read it); again for another (seed + 100, ...)",
    )
    parser.add_argument("--mine-clips", type=int, default=12000, help="scenes a mining run renders")
    parser.add_argument(
        "--piper", type=float, default=PIPER, help="share of clips the Piper voice says (the rest: espeak-ng)"
    )
    parser.add_argument(
        "--validation",
        default="",
        help="more espeak-ng variants kept out of training to choose the cutoff on (m2,f4,...)",
    )
    parser.add_argument(
        "--cutoff-from",
        choices=["fired", "near"],
        default="fired",
        help="validation phrases the cutoff keeps 99.5 %% of: those the wake word model fired on, or also those "
        "it only came near (probability 0.5; how the okay nabu and hey jarvis weights were made)",
    )
    parser.add_argument("--out", default="", help="the weights file (default: the packaged one for the phrase)")
    parser.add_argument("--recut", action="store_true", help="train nothing: set --out's cutoff again from the clips")
    args = parser.parse_args()
    validation = frozenset(v for v in args.validation.split(",") if v)
    unknown = validation - set(wake_data.VARIANTS) or validation & wake_data.HELD_OUT_VARIANTS
    if unknown:
        parser.error(f"--validation: {', '.join(sorted(unknown))}: not an espeak-ng variant trained on")
    runs = enumerate(args.cache or [""])
    parts = [
        encode_clips(args.phrase, args.clips, args.seed + i, c, piper=args.piper, validation=validation)
        for i, c in runs
    ]
    parts += [
        encode_clips(
            args.phrase,
            args.mine_clips,
            args.seed + 100 + i,
            c,
            hard=MINE_PEAK,
            piper=args.piper,
            validation=validation,
        )
        for i, c in enumerate(args.mine)
    ]
    data = {k: np.concatenate([p[k] for p in parts]) if parts[0][k].ndim else parts[0][k] for k in parts[0]}
    data["render_s"] = np.array(sum(float(p["render_s"]) for p in parts))
    x_all = features(data["blocks"])
    y_all = data["positive"].astype(np.float64)
    # a phrase the wake model never got near is never put to the verifier: its alignment means nothing
    usable = ~data["positive"] | (data["peak"] >= 0.5)
    part = {name: usable & (data["split"] == name) for name in ("train", "validation", "test")}
    if args.recut:
        weights = Path(args.out) if args.out else verifier_path(args.phrase)
        recut(weights, data, x_all, part, validation, args.cutoff_from)
        return
    mean = x_all[part["train"]].mean(0)
    scale = x_all[part["train"]].std(0) + 1e-3
    x_all = (x_all - mean) / scale
    learn = (x_all[part["train"]], y_all[part["train"]], x_all[part["validation"]], y_all[part["validation"]])
    nets = [train(*learn, args.hidden, 200, args.seed + k) for k in range(args.members)]
    net = merged(nets)
    probability = {name: net.probability(x_all[part[name]]) for name in ("validation", "test")}
    report, summary = evaluate(data, part, probability, args.cutoff_from)
    layers = [(net.params[0], net.params[1]), (net.params[2], net.params[3])]
    verifier = WakeVerifier(
        phrase=args.phrase,
        encoder=open_recognizer("whisper", "en").encoder_name,  # type: ignore[attr-defined]
        before=BEFORE,
        after=AFTER,
        frames=FRAMES,
        edges=EDGES,
        mean=(mean + 0).astype(np.float32),
        scale=scale.astype(np.float32),
        layers=[(w.astype(np.float32), b.astype(np.float32)) for w, b in layers],
        cutoff=report["cutoff"],
        facts={"summary": summary, "trained": report["clips"], "script": "benchmarks/train_wake_verifier.py"},
    )
    out = Path(args.out) if args.out else verifier_path(args.phrase)
    out.parent.mkdir(parents=True, exist_ok=True)
    verifier.save(out)
    report["weights"] = f"{out} ({out.stat().st_size // 1024} KB)"
    report["render_and_encode_s"] = round(float(data["render_s"]))
    for key, value in report.items():
        print(f"  {key}: {json.dumps(value, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
