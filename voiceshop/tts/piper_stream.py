"""A Piper sentence's sound in pieces, the first out after a fraction of the sentence's time.

Piper's model (VITS) turns a sentence's phonemes into a latent sequence (text encoder, durations,
flow: about 30 % of its time), then a decoder turns that into sound (70 %). The decoder is a stack
of convolutions, so any stretch of the latent sequence decodes to the same sound as within the whole
sentence, given enough of its neighbours: ``CONTEXT`` frames either side leave it within 2e-6 of
full scale (an int16 step is 3e-5). So the model is cut in two where the decoder starts, once, at
load; a sentence's latent sequence is made whole (the randomness of Piper's voice is drawn there),
then decoded in stretches that double in length: the first (0.46 s of sound) is out in about 35 ms
of decoding, and each later one is made while the one before it plays.

The only module importing ``onnx`` (part of the piper extra); without it, or for a model this cut
does not fit (several speakers, a decoder under another name), ``open_stream`` gives None and Piper
makes each sentence whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

DECODER_WEIGHT = "dec.conv_pre.weight"
"""The decoder's first convolution's weights: its input is where the model is cut (the name PyTorch
gives it in every Piper export)."""
FIRST_FRAMES = 40
"""Latent frames in the first stretch (hop 256 at 22.05 kHz: 0.46 s of sound); each next one doubles."""
CONTEXT = 16
"""Frames decoded either side of a stretch and thrown away, so its edges sound as in the whole."""


class DecoderStream:
    """Piper's model as two onnxruntime sessions: phonemes -> latent frames, frames -> sound."""

    def __init__(self, front: Any, back: Any, latent: str, hop: int) -> None:
        self.front, self.back, self.latent, self.hop = front, back, latent, hop

    def audio(self, inputs: dict[str, npt.NDArray[Any]]) -> Iterator[npt.NDArray[np.float32]]:
        """The sentence's raw sound (floats, as the model makes them), stretch by stretch."""
        frames = self.front.run(None, inputs)[0]
        total = frames.shape[2]
        start, size = 0, FIRST_FRAMES
        while start < total:
            end = min(total, start + size)
            low, high = max(0, start - CONTEXT), min(total, end + CONTEXT)
            sound = self.back.run(None, {self.latent: frames[:, :, low:high]})[0].reshape(-1)
            yield np.asarray(sound[(start - low) * self.hop : (end - low) * self.hop], dtype=np.float32)
            start, size = end, size * 2


def open_stream(path: str, options: Any, hop: int) -> DecoderStream | None:
    """The model at ``path`` cut in two, or None where it cannot be (see the module docstring)."""
    try:
        import onnx
        import onnxruntime
        from onnx.utils import Extractor
    except ImportError:
        return None
    try:
        model = onnx.load(path)
        inputs = [i.name for i in model.graph.input]
        latent = next((n.input[0] for n in model.graph.node if DECODER_WEIGHT in n.input), None)
        if latent is None or "sid" in inputs or len(model.graph.output) != 1:
            return None
        extractor = Extractor(model)
        front = extractor.extract_model(inputs, [latent])
        back = extractor.extract_model([latent], [model.graph.output[0].name])
        del model, extractor
    except Exception:  # a model onnx cannot read or cut is made whole (or reported as broken then)
        return None

    def session(part: Any) -> Any:
        return onnxruntime.InferenceSession(
            part.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
        )

    return DecoderStream(session(front), session(back), latent, hop)
