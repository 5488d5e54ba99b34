"""A trained wake verifier: a small classifier that tells the wake phrase from talk that sounds like it.

The wake word model fires on talk that opens like the phrase ("okay now who", "okay, Bruno") as
readily as on the phrase. When it fires, ``VerifierWakeCheck`` runs the speech recogniser's acoustic
encoder (Whisper's, already in memory for the commands: about 30 ms over the 2.25 s the check hears)
and averages its output over a few stretches of time counted back from the fire, in order (the
phrase and a sound-alike differ at its end: "okay nabu" against "okay now who"). A small network
trained on that (``benchmarks/train_wake_verifier.py``: the phrase said by many synthetic voices,
against sound-alikes found in a pronouncing dictionary and ordinary talk) says how likely it is the
phrase. Inference is numpy alone: the weights are a small ``.npz`` shipped in ``asr/verifiers/``,
one per packaged wake word model, named after it.

The file describes itself: which encoder its features come from, the window and the stretches it
pools, the layers, the cutoff and how it was trained (``WakeVerifier.facts``). A missing or damaged
file is a ``ModelError`` that says so; the caller falls back to another check and says why.
"""

from __future__ import annotations

import itertools
import json
import time
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from voiceshop.asr.base import Floats, SoundEncoder
from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.wakeword import WAKE_WORDS, WakeVerdict
from voiceshop.errors import ModelError

RETRAIN = "reinstall voiceshop, or train it again: PYTHONPATH=. python benchmarks/train_wake_verifier.py"
Vector = np.ndarray[tuple[int], np.dtype[np.float32]]


def verifier_path(phrase: str) -> Path:
    """Where the packaged verifier for a packaged wake phrase is (whether it is there or not)."""
    key = " ".join(phrase.lower().replace(",", " ").split())
    name = WAKE_WORDS.get(key, key.replace(" ", "_"))
    return Path(str(resources.files("voiceshop.asr").joinpath("verifiers", f"{name}.npz")))


def with_verifier() -> list[str]:
    """The packaged wake phrases that ship a trained verifier, in ``wake_words.toml``'s order."""
    return [phrase for phrase in WAKE_WORDS if verifier_path(phrase).is_file()]


def pooled(encoded: Floats, edges: list[int]) -> Vector:
    """The encoder's output averaged over each stretch ``edges[i]:edges[i + 1]`` (encoder steps), in order."""
    parts = [encoded[a:b].mean(axis=0) for a, b in itertools.pairwise(edges)]
    return np.concatenate(parts).astype(np.float32)


def aligned(samples: Samples, before: float, after: float) -> Samples:
    """The sound with the fire ``before`` seconds in: a short start (the stream just began) is padded
    with silence in front, a long one loses its oldest samples."""
    wanted = round((before + after) * RATE)
    if len(samples) >= wanted:
        return samples[len(samples) - wanted :]
    return np.concatenate([np.zeros(wanted - len(samples), dtype=samples.dtype), samples])


def quantised(weights: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A layer's weights as 8-bit integers and a scale per output: a quarter of their float size, so a
    wider network still ships as small package data (the rounding moves a probability by less than 0.01)."""
    scale = np.maximum(np.abs(weights).max(axis=0), 1e-12) / 127
    return np.round(weights / scale).astype(np.int8), scale.astype(np.float32)


def weights_of(kept: Any, i: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Layer ``i``'s weights from an open ``.npz``: 8-bit with a scale per output, or (older files) float16."""
    weights = kept[f"w{i}"].astype(np.float32)
    if f"q{i}" in kept.files:
        weights = weights * kept[f"q{i}"].astype(np.float32)
    return weights  # type: ignore[no-any-return]


@dataclass(frozen=True)
class WakeVerifier:
    """The trained classifier, as its ``.npz`` file describes it."""

    phrase: str
    encoder: str
    """The encoder its features come from (``SoundEncoder.encoder_name``: "whisper:" and a digest)."""
    before: float
    after: float
    frames: int
    """10 ms feature frames the window is encoded in."""
    edges: list[int]
    """Encoder steps bounding the stretches it averages over."""
    mean: Vector
    scale: Vector
    layers: list[tuple[np.ndarray[Any, np.dtype[np.float32]], Vector]]
    """Weights and biases, ReLU between layers, a sigmoid after the last (one output)."""
    cutoff: float
    """A fire is the phrase at or above this probability."""
    facts: dict[str, Any]
    """How it was trained and how it did on voices it never heard (for ``voiceshop doctor`` and logs)."""

    def probability(self, features: Vector) -> float:
        x = (features - self.mean) / self.scale
        for i, (weights, bias) in enumerate(self.layers):
            x = x @ weights + bias
            if i < len(self.layers) - 1:
                x = np.maximum(x, 0.0)
        return float(1.0 / (1.0 + np.exp(-float(np.clip(x[0], -60, 60)))))

    def save(self, path: Path) -> None:
        meta = {
            "phrase": self.phrase,
            "encoder": self.encoder,
            "before": self.before,
            "after": self.after,
            "frames": self.frames,
            "edges": self.edges,
            "cutoff": self.cutoff,
            "facts": self.facts,
        }
        arrays: dict[str, Any] = {"mean": self.mean, "scale": self.scale}
        for i, (weights, bias) in enumerate(self.layers):
            arrays[f"w{i}"], arrays[f"q{i}"] = quantised(weights)
            arrays[f"b{i}"] = bias.astype(np.float32)
        arrays["meta"] = np.array(json.dumps(meta))
        np.savez_compressed(path, **arrays)


def load_verifier(path: Path) -> WakeVerifier:
    """A verifier from its file; ``ModelError`` saying what is wrong when it is missing or damaged."""
    if not path.is_file():
        raise ModelError(f"no wake verifier at {path}; {RETRAIN}")
    try:
        with np.load(path, allow_pickle=False) as kept:
            meta = json.loads(str(kept["meta"]))
            count = sum(1 for name in kept.files if name.startswith("w"))
            layers = [(weights_of(kept, i), kept[f"b{i}"].astype(np.float32)) for i in range(count)]
            verifier = WakeVerifier(
                phrase=str(meta["phrase"]),
                encoder=str(meta["encoder"]),
                before=float(meta["before"]),
                after=float(meta["after"]),
                frames=int(meta["frames"]),
                edges=[int(e) for e in meta["edges"]],
                mean=kept["mean"].astype(np.float32),
                scale=kept["scale"].astype(np.float32),
                layers=layers,
                cutoff=float(meta["cutoff"]),
                facts=dict(meta.get("facts", {})),
            )
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"the wake verifier {path} is damaged ({type(exc).__name__}: {exc}); {RETRAIN}") from None
    width = verifier.mean.shape[0]
    fits = bool(layers) and layers[0][0].shape[0] == width and layers[-1][0].shape[-1] == 1
    fits = fits and all(a[0].shape[1] == b[0].shape[0] for a, b in itertools.pairwise(layers))
    fits = fits and verifier.scale.shape == (width,) and len(verifier.edges) > 1
    if not fits or width % (len(verifier.edges) - 1):
        raise ModelError(f"the wake verifier {path} is damaged (its layers do not fit together); {RETRAIN}")
    return verifier


class VerifierWakeCheck:
    """Confirms a fire when the trained verifier finds the phrase in the encoder's view of the sound.
    ``phrase``: the wake phrase it is to verify, when a file of another phrase would be a mistake."""

    def __init__(self, encoder: SoundEncoder, verifier: WakeVerifier, phrase: str | None = None) -> None:
        if phrase is not None and " ".join(phrase.lower().replace(",", " ").split()) != verifier.phrase:
            raise ModelError(f"the wake verifier of {verifier.phrase!r} cannot verify {phrase!r}")
        if encoder.encoder_name != verifier.encoder:
            raise ModelError(
                f"the wake verifier for {verifier.phrase!r} was trained on the encoder of {verifier.encoder}, "
                f"not {encoder.encoder_name}"
            )
        self.encoder = encoder
        self.verifier = verifier
        self.before = verifier.before
        self.after = verifier.after
        self.name = (
            f"a trained verifier of {verifier.phrase!r} on {verifier.encoder}'s encoder "
            f"(cutoff {verifier.cutoff:g}; {verifier.facts.get('summary', 'trained on synthetic voices')})"
        )

    def features(self, samples: Samples) -> Vector:
        window = aligned(samples, self.before, self.after)
        return pooled(self.encoder.encode_sound(window, self.verifier.frames), self.verifier.edges)

    def check(self, samples: Samples) -> WakeVerdict:
        started = time.perf_counter()
        probability = self.verifier.probability(self.features(samples))
        return WakeVerdict(
            accepted=probability >= self.verifier.cutoff,
            score=round(probability, 4),
            seconds=time.perf_counter() - started,
        )
