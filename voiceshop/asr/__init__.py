"""Speech recognition, offline: audio -> transcript, alternatives and word confidences.

base             the Recognizer interface and the Transcript it returns
vosk_engine      Vosk, constrained to the shop's vocabulary (the only module importing vosk)
whisper_engine   faster-whisper with a bundled model, biased by a prompt (the only module importing it)

Engines know nothing of shopping: the runtime hands them the shop's words and phrases.
"""

from voiceshop.asr.base import Hypothesis, Recognizer, RecognizerStream, Transcript, Word, transcribe

__all__ = ["Hypothesis", "Recognizer", "RecognizerStream", "Transcript", "Word", "transcribe"]
