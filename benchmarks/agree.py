"""Two engines agreeing, on real recorded coffee orders: Whisper (biased by the shop's phrases) and
pocketsphinx (held to the grammar's sentences) hear every recording of the folder (see barista.py);
each transcript is understood on its own and the two understandings are compared (``nlu.agree``).

Printed per condition (clean, and kitchen noise at each SNR asked):

- each engine's time per recording: Whisper's after the end of the audio (it cannot start before),
  pocketsphinx's while the audio streams in and after its end;
- how often the two agree on every slot, and how often such an agreed result is wrong (the point of
  agreement: accepting without a question must be safe);
- how often a slot is heard apart and the dialog would confirm it, and whether confirming settles it
  (the labelled value is one of the two readings) or asks needlessly (Whisper alone had it right);
- acceptance (the benchmark's rule, barista.py's ``verdict``) of Whisper alone, pocketsphinx alone,
  and of the pair: an agreed or unconfirmed result as understood, a confirmed one as the shopper's
  answer settles it.

Transcripts are cached per engine (``--cache``). Whisper's come from barista.py's own cache when it has
them for this vocabulary and engine code (``--timed N`` hears the first N again to time Whisper).

    .venv/bin/python benchmarks/agree.py ../shared/barista-dev [--snr clean,6] [--timed 30] [--failures]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from barista import expected, mix, verdict  # noqa: E402  (the paths above make them importable)

from voiceshop.asr import Recognizer, transcribe  # noqa: E402
from voiceshop.audio.pcm import read_wav  # noqa: E402
from voiceshop.nlu import Grammar, Understander, Understanding, grammar_dir  # noqa: E402
from voiceshop.nlu.agree import agree  # noqa: E402
from voiceshop.nlu.result import ItemMention, OptionMention  # noqa: E402
from voiceshop.runtime.engines import open_recognizer, pick_engine, tune  # noqa: E402
from voiceshop.shopfiles.loader import load_shop_folder  # noqa: E402

BARISTA_CACHE = Path.home() / ".cache" / "voiceshop-bench" / "barista"


def code_hash(*names: str) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update((ROOT / "voiceshop" / "asr" / name).read_bytes())
    return digest.hexdigest()[:8]


def settled(u: Understanding, label: dict[str, Any], skus: dict[str, str], amounts: list[str]) -> Understanding:
    """``u`` after the shopper answered the confirmation truthfully: the labelled reading taken where it
    is one of the two; otherwise the doubt stays open (the question would be asked again)."""
    want = expected(label["slots"], amounts)
    want_sku = skus[label["slots"]["coffeeDrink"]]
    items: list[ItemMention] = []
    for item in u.items:
        update: dict[str, Any] = {}
        if item.doubted and any(c.value == want_sku for c in item.candidates):
            update.update(sku=want_sku, candidates=(), doubted=False)
        options = list(item.options)
        for group in dict.fromkeys(o.group for o in item.doubts):
            readings = [o for o in item.doubts if o.group == group]
            right = next((o for o in readings if (o.choice, o.amount) == want.get(group)), None)
            right = right or next((o for o in readings if want.get(group, ("",))[0] == o.choice), None)
            if right is not None:
                options.append(OptionMention(group=group, choice=right.choice, amount=right.amount, text=right.text))
        update.update(options=tuple(options), doubts=())
        items.append(item.model_copy(update=update))
    return u.model_copy(update={"items": tuple(items)})


def hear(recognizer: Recognizer, samples: Any) -> dict[str, Any]:
    started = time.perf_counter()
    heard = transcribe(recognizer, samples)
    return {
        "nbest": heard.nbest(),
        "seconds": time.perf_counter() - started,
        "after_end": heard.compute_seconds,
        "streaming": float(heard.extra.get("decode_seconds", 0.0)),
    }


def recording(folder: Path, name: str, condition: str, kitchen: Any) -> Any:
    samples, _ = read_wav(folder / "clean" / name)
    return samples if condition == "clean" else mix(samples, kitchen, float(condition), name + condition)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the benchmark folder (clean/, labels.json, kitchen.wav)")
    parser.add_argument("--snr", default="clean,6", help="conditions: clean and/or SNRs in dB")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "voiceshop-bench" / "agree")
    parser.add_argument("--fresh", action="store_true", help="transcribe again instead of using the caches")
    parser.add_argument("--timed", type=int, default=20, help="Whisper heard again on the first N, for its time")
    parser.add_argument("--limit", type=int, default=0, help="only the first N recordings")
    parser.add_argument("--failures", action="store_true", help="print every agreed result that is wrong")
    args = parser.parse_args()

    labels: dict[str, Any] = json.loads((args.folder / "labels.json").read_text())
    names = sorted(labels)[: args.limit or None]
    kitchen, _ = read_wav(args.folder / "kitchen.wav")
    bundle = load_shop_folder(ROOT / "examples" / "coffee-bar")
    understander = Understander(bundle.shop, bundle.catalog, Grammar.from_dir(grammar_dir("en")))
    skus = {p.name: p.sku for p in bundle.catalog.products}
    amounts = sorted({a.name for g in bundle.catalog.option_groups for a in g.amounts})
    _, whisper_model = pick_engine("whisper", "en", None)
    heard_with = hashlib.sha256("\n".join(understander.phrases()).encode()).hexdigest()[:8]
    rules = json.dumps(understander.speech_rules(), sort_keys=True)
    sphinx_key = hashlib.sha256(rules.encode()).hexdigest()[:8] + "-" + code_hash("pocketsphinx_engine.py", "ngram.py")
    whisper_key = f"{whisper_model.name}-{heard_with}-{code_hash('whisper_engine.py')}"
    engines: dict[str, Recognizer] = {}

    def engine(kind: str) -> Recognizer:
        if kind not in engines:
            engines[kind] = open_recognizer(kind, "en")
            started = time.perf_counter()
            tune(engines[kind], understander)
            print(f"({kind}: given the shop's words and grammar in {time.perf_counter() - started:.2f} s)")
        return engines[kind]

    print(f"{len(names)} recordings; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = (
        f"{'condition':>9} {'whisper s':>9} {'sphinx s':>13} {'agreed':>7} {'agr.wrong':>9} {'confirm':>8} "
        f"{'settled':>7} {'needless':>8} {'differ':>7} {'alone':>6} {'accepted: whisper':>17} {'sphinx':>7} "
        f"{'pair':>7}"
    )
    print(header)
    for condition in args.snr.split(","):
        mine_whisper = args.cache / f"whisper-{whisper_key}-{condition}.json"
        mine_sphinx = args.cache / f"pocketsphinx-{sphinx_key}-{condition}.json"
        whisper: dict[str, Any] = {} if args.fresh else load(mine_whisper)
        sphinx: dict[str, Any] = {} if args.fresh else load(mine_sphinx)
        theirs = {} if args.fresh else load(BARISTA_CACHE / f"whisper-{whisper_key}-{condition}.json")
        counts: Counter[str] = Counter()
        wrong_agreed: list[tuple[str, str, str, str]] = []
        args.cache.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(names):
            if i % 20 == 19:  # a long run under load keeps what it has heard
                mine_whisper.write_text(json.dumps(whisper, indent=0))
                mine_sphinx.write_text(json.dumps(sphinx, indent=0))
            if name not in sphinx:
                sphinx[name] = hear(engine("pocketsphinx"), recording(args.folder, name, condition, kitchen))
            if name not in whisper or (i < args.timed and whisper[name].get("seconds") is None):
                if i < args.timed or name not in theirs:
                    whisper[name] = hear(engine("whisper"), recording(args.folder, name, condition, kitchen))
                else:
                    whisper[name] = {"nbest": theirs[name], "seconds": None}
            first = understander.understand_nbest([tuple(h) for h in whisper[name]["nbest"]])
            second = understander.understand_nbest([tuple(h) for h in sphinx[name]["nbest"]])
            agreement = agree(first, second)
            label = labels[name]
            alone = verdict(first, label, skus, amounts) == "ok"
            counts["whisper ok"] += alone
            counts["sphinx ok"] += verdict(second, label, skus, amounts) == "ok"
            counts[agreement.verdict] += 1
            if agreement.verdict == "agreed" and not alone:
                counts["agreed wrong"] += 1
                wrong_agreed.append((name, first.text, second.text, verdict(first, label, skus, amounts)))
            if agreement.verdict == "confirm":
                after = settled(agreement.understanding, label, skus, amounts)
                fixed = verdict(after, label, skus, amounts) == "ok"
                counts["settled"] += fixed
                counts["needless"] += alone
                counts["pair ok"] += fixed
            else:
                counts["pair ok"] += alone
        mine_whisper.write_text(json.dumps(whisper, indent=0))
        mine_sphinx.write_text(json.dumps(sphinx, indent=0))
        timed = [whisper[n]["seconds"] for n in names if whisper[n].get("seconds") is not None]
        w_time = f"{statistics.median(timed):.2f} ({len(timed)})" if timed else "cached"
        s_after = statistics.median(sphinx[n]["after_end"] for n in names)
        s_stream = statistics.median(sphinx[n]["streaming"] for n in names)
        n = len(names)

        def pct(key: str, of: int = n, counts: Counter[str] = counts) -> str:
            return f"{100 * counts[key] / of:.1f}%" if of else "-"

        label = condition if condition == "clean" else f"{condition} dB"
        print(
            f"{label:>9} {w_time:>9} {s_stream:>6.2f}+{s_after:<6.3f} {pct('agreed'):>7} "
            f"{pct('agreed wrong', counts['agreed']):>9} {pct('confirm'):>8} {pct('settled', counts['confirm']):>7} "
            f"{pct('needless', counts['confirm']):>8} {pct('differ'):>7} {pct('alone'):>6} {pct('whisper ok'):>17} "
            f"{pct('sphinx ok'):>7} {pct('pair ok'):>7}",
            flush=True,
        )
        if args.failures:
            for name, heard, other, why in wrong_agreed:
                print(f"    {name[:8]} whisper {heard!r} / sphinx {other!r}: {why}; wanted {labels[name]['slots']}")
    print(
        "whisper s: median seconds after the end of the audio (recordings timed); sphinx s: median seconds "
        "decoding while the audio streams + after its end; agr.wrong: share of the agreed results that are "
        "wrong; settled / needless: share of the confirmations the labelled answer settles / where Whisper "
        "alone was right; differ: heard apart where no question settles it (Whisper's reading kept); "
        f"alone: the rest. Load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )


if __name__ == "__main__":
    main()
