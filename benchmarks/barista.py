"""Spoken-command acceptance on real recorded coffee orders (Picovoice's speech-to-intent benchmark).

Every recording of the folder (``clean/*.wav`` + ``labels.json``, see its README) is heard by the
engine voiceshop would use (``--engine``, default the bundled one), with the coffee-bar's phrases as
the engine's vocabulary, exactly as ``voiceshop run`` does; the engine's own transcript goes into
understanding. A command is **accepted** when understanding returns one item of the labelled drink
with exactly the labelled options (size, roast, shots, milk and sweetener with their amounts) and
nothing else: the benchmark's rule.

Noise is the benchmark's kitchen recording, mixed the benchmark's way (scaled by the ratio of the
loudest 2048-sample frame energies, at a random offset fixed per file), at each SNR asked.

Transcripts are cached (``--cache``, keyed by engine, model, file and SNR), so changing understanding
re-scores in seconds; ``--fresh`` transcribes again.

    .venv/bin/python benchmarks/barista.py ../shared/barista-dev [--snr clean,24,18,12,9,6] [--failures]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceshop.asr import transcribe  # noqa: E402  (the path above makes the package importable)
from voiceshop.asr.whisper_engine import WhisperRecognizer  # noqa: E402
from voiceshop.audio.pcm import read_wav  # noqa: E402
from voiceshop.nlu import Grammar, Understander, Understanding, grammar_dir  # noqa: E402
from voiceshop.runtime.engines import open_recognizer, pick_engine  # noqa: E402
from voiceshop.shopfiles.loader import load_shop_folder  # noqa: E402

SNRS = ("clean", "24", "18", "12", "9", "6")
LABEL_GROUPS = {"size": "size", "roast": "roast", "numberOfShots": "shots"}
ADD_ONS = {"milkAmount": "milk", "sugarAmount": "sweetener"}


def max_frame_energy(pcm: np.ndarray[Any, Any], frame: int = 2048) -> float:
    frames = pcm[: pcm.size // frame * frame].reshape(-1, frame)
    return float((frames**2).sum(axis=1).max())


def mix(clean: np.ndarray[Any, Any], noise: np.ndarray[Any, Any], snr_db: float, seed: str) -> np.ndarray[Any, Any]:
    """The benchmark's mixing: noise scaled by loudest-frame energies, at a random (seeded) offset."""
    speech = clean.astype(np.float64) / 32768.0
    rng = np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16))
    start = int(rng.integers(0, len(noise) - len(speech)))
    piece = noise[start : start + len(speech)].astype(np.float64) / 32768.0
    scale = np.sqrt(max_frame_energy(speech) / (max_frame_energy(piece) * 10 ** (snr_db / 10)))
    mixed = speech + scale * piece
    mixed /= 2 * np.max(np.abs(mixed))
    return (mixed * 32767).astype(np.int16)


def expected(slots: dict[str, str], amounts: list[str]) -> dict[str, tuple[str, str | None]]:
    """Labelled slots as voiceshop options: group -> (choice, amount)."""
    out: dict[str, tuple[str, str | None]] = {}
    for slot, value in slots.items():
        if slot in LABEL_GROUPS:
            out[LABEL_GROUPS[slot]] = (value.strip(), None)
        elif slot in ADD_ONS:
            said = value.strip()
            amount = next((a for a in sorted(amounts, key=len, reverse=True) if said.startswith(a + " ")), None)
            out[ADD_ONS[slot]] = (said[len(amount) + 1 :] if amount else said, amount)
    return out


def verdict(u: Understanding, label: dict[str, Any], skus: dict[str, str], amounts: list[str]) -> str:
    """'ok', or why the command was not accepted."""
    if not u.understood:
        return "not understood"
    if len(u.items) != 1:
        return f"{u.intent} with {len(u.items)} items"
    item = u.items[0]
    want_sku = skus[label["slots"]["coffeeDrink"]]
    if item.sku != want_sku:
        return f"product {item.sku} (candidates {[c.value for c in item.candidates][:3]})"
    got = {o.group: (o.choice, o.amount) for o in item.options}
    want = expected(label["slots"], amounts)
    if got != want or item.unfit_options or item.quantity != 1:
        return f"options {got} unfit {[o.choice for o in item.unfit_options]} q{item.quantity}"
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the benchmark folder (clean/, labels.json, kitchen.wav)")
    parser.add_argument("--snr", default=",".join(SNRS), help="conditions: clean and/or SNRs in dB")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "voiceshop-bench" / "barista")
    parser.add_argument("--fresh", action="store_true", help="transcribe again instead of using the cache")
    parser.add_argument("--failures", action="store_true", help="print every command not accepted")
    parser.add_argument("--limit", type=int, default=0, help="only the first N recordings")
    parser.add_argument("--beam", type=int, default=0, help="Whisper beam size (default: the engine's own)")
    args = parser.parse_args()

    labels: dict[str, Any] = json.loads((args.folder / "labels.json").read_text())
    names = sorted(labels)[: args.limit or None]
    kitchen, _ = read_wav(args.folder / "kitchen.wav")
    bundle = load_shop_folder(ROOT / "examples" / "coffee-bar")
    started = time.perf_counter()
    understander = Understander(bundle.shop, bundle.catalog, Grammar.from_dir(grammar_dir("en")))
    compile_s = time.perf_counter() - started
    skus = {p.name: p.sku for p in bundle.catalog.products}
    amounts = sorted({a.name for g in bundle.catalog.option_groups for a in g.amounts})
    kind, model = pick_engine(args.engine, "en", None)
    recognizer = None
    print(f"engine {kind} ({model.name}); {len(names)} recordings; understander compiled in {compile_s:.2f} s")
    print(f"{'condition':>9} {'accepted':>9} {'not underst.':>12} {'asr s/cmd':>9} {'nlu ms p50/p95':>15}")
    for condition in args.snr.split(","):
        beam = f"-beam{args.beam}" if args.beam else ""
        # The engine hears with the shop's phrases (Whisper's prompt): another vocabulary, another cache;
        # and so does another version of the engine's code (its front end, its decoding).
        heard_with = hashlib.sha256("\n".join(understander.phrases()).encode()).hexdigest()[:8]
        engine_code = hashlib.sha256((ROOT / "voiceshop" / "asr" / f"{kind}_engine.py").read_bytes()).hexdigest()[:8]
        cache_file = args.cache / f"{kind}-{model.name}{beam}-{heard_with}-{engine_code}-{condition}.json"
        cache: dict[str, list[tuple[str, float]]] = (
            json.loads(cache_file.read_text()) if cache_file.exists() and not args.fresh else {}
        )
        asr_times: list[float] = []
        nlu_times: list[float] = []
        accepted = 0
        missed = 0
        failures: list[tuple[str, str, str]] = []
        for name in names:
            if name not in cache:
                if recognizer is None:
                    recognizer = (
                        WhisperRecognizer(model, "en", beam_size=args.beam)
                        if args.beam and kind == "whisper"
                        else open_recognizer(kind, "en", model)
                    )
                    recognizer.set_vocabulary(understander.vocabulary(), understander.phrases())
                samples, _ = read_wav(args.folder / "clean" / name)
                if condition != "clean":
                    samples = mix(samples, kitchen, float(condition), name + condition)
                t = time.perf_counter()
                cache[name] = transcribe(recognizer, samples).nbest()
                asr_times.append(time.perf_counter() - t)
            heard = [(text, confidence) for text, confidence in cache[name]]
            t = time.perf_counter()
            # as the assistant hears: understanding picks the recogniser's reading it understands best
            u = understander.understand_nbest(heard) if heard else understander.understand("")
            nlu_times.append(time.perf_counter() - t)
            why = verdict(u, labels[name], skus, amounts)
            accepted += why == "ok"
            missed += not u.understood
            if why != "ok":
                failures.append((name, u.text, why))
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(json.dumps(cache, indent=0))
        nlu_times.sort()
        p95 = nlu_times[int(0.95 * (len(nlu_times) - 1))] * 1000
        asr = f"{statistics.mean(asr_times):.2f}" if asr_times else "cached"
        label = condition if condition == "clean" else f"{condition} dB"
        print(
            f"{label:>9} {100 * accepted / len(names):8.1f}% {missed:>12} {asr:>9} "
            f"{statistics.median(nlu_times) * 1000:7.1f}/{p95:<6.1f}",
            flush=True,
        )
        if args.failures:
            for name, text, why in failures:
                print(f"    {name[:8]}  {text!r}: {why}; wanted {labels[name]['slots']}")


if __name__ == "__main__":
    main()
