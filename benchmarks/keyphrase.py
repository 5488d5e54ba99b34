"""pocketsphinx's wake check, score by score: the phrase and its last word on many renderings.

The packaged Piper voice says each phrase a little differently each time, so a threshold chosen on a
few renderings flakes on the next. This renders each real phrase and each near miss COUNT times at
each of three paces (30 by default), keeps the sound a wake check would hear if the wake word model
fired at its highest probability (the 2 s before and ``keyphrase.AFTER`` after; renderings it would not
fire on, below 0.85, are left out, as no check would run), and prints per phrase the likelihood ratios
(powers of ten) of the phrase and of its last word spotted alone within it
(``PocketsphinxRecognizer.keyphrase_scores``): lowest, percentiles, highest; how many the check
accepts (``KEYPHRASE_ACCEPT`` and ``KEYWORD_ACCEPT``); and what the phrase's ratio alone would keep
and let through at thresholds from 1e10 to 1e25. The load average is printed (the machine is shared).

    PYTHONPATH=. .venv/bin/python benchmarks/keyphrase.py [COUNT]
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

from voiceshop.asr.keyphrase import AFTER
from voiceshop.asr.pocketsphinx_engine import KEYPHRASE_ACCEPT, KEYWORD_ACCEPT, PocketsphinxRecognizer
from voiceshop.asr.wakecheck import BEFORE
from voiceshop.audio.pcm import RATE, silence
from voiceshop.audio.source import CHUNK, split
from voiceshop.audio.wakeword import MicroWakeWordDetector
from voiceshop.runtime.engines import open_voice

REAL = ["okay nabu", "okay nabu, two lattes please"]
NEAR = ["okay number two", "okay now who", "okay, can do", "okay now, listen"]
PHRASE = "okay nabu"
FIRES = 0.85
"""The wake word model's probability a rendering must reach to count (the model's own cutoff is near it)."""


def scores(count: int) -> dict[str, list[tuple[float, float]]]:
    """Per text, the (phrase, last word) ratios of each rendering the model fires on."""
    voice, engine = open_voice("piper", "en"), PocketsphinxRecognizer()
    found: dict[str, list[tuple[float, float]]] = {}
    for text in REAL + NEAR:
        found[text] = []
        for pace in (-1, 0, 1):
            for _ in range(count):
                audio = np.concatenate([silence(1.0), voice.synthesize(text, pace=pace), silence(1.0)])
                detector, peaks = MicroWakeWordDetector(PHRASE), []
                for chunk in split(audio):
                    detector.feed(chunk)
                    peaks.append(detector.probability)
                if max(peaks) < FIRES:
                    continue
                end = (int(np.argmax(peaks)) + 1) * CHUNK
                window = audio[max(0, end - round(BEFORE * RATE)) : end + round(AFTER * RATE)]
                found[text].append(engine.keyphrase_scores(window, PHRASE))
    return found


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    started = time.perf_counter()
    found = scores(count)
    result: dict[str, object] = {"load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    for text, pairs in found.items():
        whole = [w for w, _ in pairs]
        word = [x for _, x in pairs]
        accepted = sum(w >= KEYPHRASE_ACCEPT and x >= KEYWORD_ACCEPT for w, x in pairs)
        if not pairs:
            result[text] = {"renderings_fired": f"0/{3 * count}"}
            continue
        result[text] = {
            "renderings_fired": f"{len(pairs)}/{3 * count}",
            "phrase_min_p5_p50_max": [round(float(np.percentile(whole, q)), 1) for q in (0, 5, 50, 100)],
            "last_word_min_p5_p50_max": [round(float(np.percentile(word, q)), 1) for q in (0, 5, 50, 100)],
            "accepted": f"{accepted}/{len(pairs)}",
            "phrase_alone_at_1eN": {n: sum(w >= n for w in whole) for n in (10, 15, 18, 20, 22, 25)},
        }
    result["elapsed_s"] = round(time.perf_counter() - started)
    for key, value in result.items():
        print(f"{key}: {json.dumps(value, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
