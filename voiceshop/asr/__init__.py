"""Speech recognition, offline: audio -> transcript, alternatives and word confidences.

base             the Recognizer interface and the Transcript it returns
vosk_engine      Vosk, constrained to the shop's vocabulary (the only module importing vosk)
whisper_engine   faster-whisper with a bundled model, biased by a prompt (the only module importing it)
pocketsphinx_engine  pocketsphinx held to the grammar's sentences (the only module importing it)
ngram            a grammar's rules -> sampled sentences -> a small ARPA language model
agreeing         two engines hear the same command; the second one's transcript rides along

Engines know nothing of shopping: the runtime hands them the shop's words and phrases (and, to an
engine held to a grammar, the grammar's sentences as plain rules).
"""

from voiceshop.asr.base import (
    GrammarRecognizer,
    Hypothesis,
    Recognizer,
    RecognizerStream,
    Transcript,
    Word,
    transcribe,
)

__all__ = ["GrammarRecognizer", "Hypothesis", "Recognizer", "RecognizerStream", "Transcript", "Word", "transcribe"]
