"""The voice loop: sound in -> command -> transcript -> assistant -> spoken reply, over and over.

Activation decides which commands reach the assistant:

- ``wake`` (default): a packaged wake word model ("okay nabu") hears every chunk; the speech
  recogniser runs only on speech that starts after it fired.
- ``phrase``: a wake phrase of your own, found in the transcript ("hey shop, two lattes"); the phrase
  alone opens a short window for the command that follows. The recogniser hears every sound.
- ``push``: a press (Enter in the terminal, or ``push()`` from a GPIO button) opens that window.
- ``always``: every command is heard.

After a reply the shopper goes on without waking the device for a few seconds (``runtime.windows``).
While voiceshop speaks the microphone's sound is dropped: it never hears itself.
With barge-in, it listens while it speaks instead: the reply plays piece by piece, and between the
pieces the microphone is heard through an echo canceller that takes the reply's own sound back out
(``audio.echo``; the played samples are its reference); on a start where the canceller knows nothing
of the room, a short start-up sound is heard through it first (``ListenSettings.startup_sound``), and
always-on, the greeting is said once the microphone is open. Three things cut the reply at once:

- the wake word: the window for a command opens, as after any wake word;
- "stop" (the language's stop phrases): voiceshop goes quiet, and no window is left open;
- "cancel" (its cancel phrases): what was said is the shopper's turn, answered like any command
  (it cancels the question or the cart action under way).

Either way the turn records that its reply was not heard in full (``HeardTurn.cut``), and
``VoiceLoop.cut`` keeps the reply so "repeat" can say it whole. A wake word over a reply is checked as
any other: the reply is turned down at the fire, held silent once the check's fast stage accepts, and
cut only if the whole check confirms it; else it plays on from where it was held (``runtime.ducking``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace

import numpy as np

from voiceshop.asr.base import GrammarRecognizer, Recognizer, RecognizerStream, Transcript
from voiceshop.audio.echo import MAX_DELAY, EchoCanceller, echo_canceller
from voiceshop.audio.endpoint import Endpointer, Utterance
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.sink import AudioSink
from voiceshop.audio.source import AudioSource
from voiceshop.audio.vad import SileroVad, VoiceActivity
from voiceshop.audio.wakeword import MicroWakeWordDetector, WakeCheck, WakeWordDetector
from voiceshop.dialog.state import Reply
from voiceshop.errors import LanguageError, MicrophoneLost, SpeechOutputError
from voiceshop.language import load as load_language
from voiceshop.nlu.sentences import TOP
from voiceshop.nlu.text import words
from voiceshop.runtime.assistant import Assistant
from voiceshop.runtime.confirm import Confirmer, Replay, default_check, transcript
from voiceshop.runtime.ducking import ReplyWake
from voiceshop.runtime.early import EARLY_QUIET, EarlyDecoder
from voiceshop.runtime.interrupt import InterruptSpotter, Spotted
from voiceshop.runtime.listen import Cut, HeardTurn, ListenSettings, strip_phrase
from voiceshop.runtime.playing import PlaysListening
from voiceshop.runtime.speaking import Ahead
from voiceshop.runtime.windows import Windows
from voiceshop.tts.base import Synthesizer
from voiceshop.tts.earcons import earcon, starting

RECONNECT_EVERY = 1.0


class VoiceLoop(PlaysListening):
    def __init__(
        self,
        assistant: Assistant,
        recognizer: Recognizer,
        voice: Synthesizer,
        sink: AudioSink,
        settings: ListenSettings | None = None,
        log: Callable[[str], None] | None = None,
        wake: WakeWordDetector | None = None,
        vad: VoiceActivity | None = None,
        echo: EchoCanceller | None = None,
        wake_check: WakeCheck | None = None,
    ) -> None:
        self.assistant = assistant
        self.recognizer = recognizer
        self.voice = voice
        self.sink = sink
        self.settings = settings or ListenSettings()
        self.log = log or (lambda line: None)
        self.turns: list[HeardTurn] = []
        self._pressed = threading.Event()
        self.windows = Windows(self.settings, self._earcon, self.log)
        self._vocabulary_of: str | None = None
        self._wake = words(self.settings.wake_phrase) if self.settings.activation == "phrase" else []
        needs_model = self.settings.activation == "wake" or self.settings.barge_in
        self.wake = wake if wake is not None or not needs_model else MicroWakeWordDetector(self.settings.wake_word)
        checks = self.settings.wake_check and self.wake is not None
        chosen = wake_check if checks and wake_check is not None else None
        self.wake_check = (chosen or default_check(recognizer, self.settings.wake_word, self.log)) if checks else None
        """What confirms a fire of the wake word model, over a reply too (``--no-wake-check``: none)."""
        if checks and self.wake_check is None:
            self.log(f"(wake check: none with the {recognizer.name} engine; every fire of the wake word counts)")
        self._confirmer = Confirmer(self.wake_check) if self.wake_check is not None else None
        self._over_reply = ReplyWake(self.wake, self._confirmer) if self.wake is not None else None
        self._mic = Replay(())
        self.vad = vad if vad is not None or not self.settings.vad else SileroVad()
        self._endpointer = Endpointer(self.settings.endpoint, self.vad)
        self._early = EarlyDecoder(recognizer)
        self._reply_start = 0.0
        self.spotter: InterruptSpotter | None = None
        """Hears "stop" and "cancel" over a reply (with barge-in, in a language with those words)."""
        if self._barge_in:
            try:
                language = load_language(recognizer.language)
            except LanguageError:
                self.log(f"(barge-in: no stop or cancel words for {recognizer.language!r}; the wake word cuts replies)")
            else:
                self.spotter = InterruptSpotter(recognizer, language, echo or echo_canceller(), self.vad)
        self._started = False
        self.cut: Reply | None = None
        """The last reply the shopper cut short, if the latest one was ("repeat" says it whole)."""

    # --- hooks ------------------------------------------------------------------------------------

    def push(self) -> None:
        """Push-to-talk: the next command is heard (thread-safe; call it from a key or a GPIO button)."""
        self._pressed.set()

    @property
    def decoded_early(self) -> int:
        """Commands whose transcript was ready before their trailing silence had ended (benchmarks)."""
        return self._early.used

    # --- the loop ---------------------------------------------------------------------------------

    def run(self, source: AudioSource, *, reconnect: bool = True) -> list[HeardTurn]:
        """Listen until the source ends (a recording) or the shopper says goodbye in always-on mode."""
        self._refresh_vocabulary()
        # always-on, the greeting is the first reply: said once the microphone is open, so it is heard
        # over like any other (barge-in) and the echo canceller learns the room from it
        first = self.assistant.start() if self.settings.activation == "always" else []
        endpointer = self._endpointer
        while True:
            try:
                self._listen(source, endpointer, first)
                return self.turns
            except MicrophoneLost as lost:
                if not reconnect:
                    raise
                self.log(f"microphone: {lost}; trying again every {RECONNECT_EVERY:.0f} s")
                with suppress(SpeechOutputError):  # a headset unplugged takes its speaker along
                    self._speak([Reply(text="I can't hear the microphone. I'll say when I can again.")], source)
                self._wait_for(source)
                endpointer.reset()
                first = [Reply(text="I can hear you again.")]

    def _wait_for(self, source: AudioSource) -> None:
        while True:
            time.sleep(RECONNECT_EVERY)
            try:
                next(iter(source.chunks()))
                return
            except MicrophoneLost:
                continue

    def _listen(self, source: AudioSource, endpointer: Endpointer, first: Sequence[Reply] = ()) -> None:
        """Hear ``source`` until it ends, saying ``first`` as soon as the microphone is open."""
        stream: RecognizerStream | None = None
        fed = 0
        self._mic = Replay(source.chunks())
        if not self._started:
            self._started = True
            self._start_up(source)
        if first:
            self._speak(first, source)
        for chunk in self._mic:
            if self._pressed.is_set():
                self._pressed.clear()
                self.windows.called(endpointer.now)
            if self.wake is not None and self._woke_by(chunk):
                endpointer.feed(chunk)  # keeps the timeline; the wake word itself is no command
                endpointer.reset()
                stream = None
                self._woken(endpointer.now, source, time.perf_counter())
                continue
            utterance = endpointer.feed(chunk)
            hearing = endpointer.in_speech and self.windows.hearing(endpointer.speech_start)
            if hearing:
                if stream is None:
                    stream = self.recognizer.stream(self.assistant.hints())
                    fed = 0
                pending = endpointer.speech_so_far[fed:]
                for piece in pending:
                    stream.accept(piece)
                fed += len(pending)
            if utterance is None:
                if hearing and endpointer.quiet == EARLY_QUIET:
                    self._decode_early(endpointer)
                if self.settings.activation != "always":
                    self.windows.ran_out(endpointer)
                continue
            if self._finish(utterance, stream, endpointer.now, source):
                endpointer.reset()
            stream = None
            if self.windows.ended and self.settings.activation == "always":
                return
        last = endpointer.flush()
        if last is not None:
            self._finish(last, stream, endpointer.now, source)

    def _woke_by(self, chunk: Samples) -> bool:
        assert self.wake is not None
        fired = self.wake.feed(chunk)
        if self._confirmer is not None:
            self._confirmer.hear(chunk)
        return fired

    def _woken(self, now: float, source: AudioSource, detected: float) -> None:
        """The wake word model fired: if its check confirms it, open the window for a command and
        greet a new session (the check's time counts in the shopper's wait, from ``detected``)."""
        assert self.wake is not None
        empty = Utterance(samples=np.zeros(0, dtype=np.int16), start=now, end=now)
        verdict = self._confirmer.confirm(self._mic) if self._confirmer is not None else None
        if verdict is not None and not verdict.accepted:
            self._record(empty, transcript(verdict, "wake check"), "rejected", "")
            self.log(f"(wake word not confirmed: heard {verdict.heard!r}, score {verdict.score:.1f})")
            return
        self.log(f"(wake word: {self.wake.name})")
        self.windows.called(now)
        heard = transcript(verdict, "wake word") if verdict is not None else Transcript((), engine="wake word")
        turn = self._record(empty, heard, "woke", "")
        self._speak(self.assistant.start(), source, turn, detected)

    def _finish(self, utterance: Utterance, stream: RecognizerStream | None, now: float, source: AudioSource) -> bool:
        """A command has ended: get its transcript (the stream has its audio, if one was started)."""
        detected = time.perf_counter()
        if not self.windows.hearing(utterance.start):
            self._record(utterance, Transcript(alternatives=()), "ignored", "")
            self.log("(ignored: no wake word)")
            return False
        if stream is None:  # the command ended on the chunk that started it
            stream = self.recognizer.stream(self.assistant.hints())
            stream.accept(utterance.samples)
        transcript = self._early.finish(utterance, stream.finish)
        return self._handle(utterance, transcript, now, source, detected)

    # --- one command --------------------------------------------------------------------------------

    def _handle(
        self, utterance: Utterance, transcript: Transcript, now: float, source: AudioSource, detected: float
    ) -> bool:
        """Decide what a command is for and answer it; True when voiceshop spoke.

        ``detected`` is when the end of speech was noticed: the shopper's wait is counted from it."""
        awake = self.windows.awake(utterance.start)
        text = transcript.text
        said, woke = self._strip_wake(text)
        if not awake and not woke:
            self._record(utterance, transcript, "ignored", text)
            self.log(f"(ignored, no wake phrase: {text!r})" if text else "(ignored: noise)")
            return False
        if woke:
            self.windows.missed = 0
        if woke and not said:
            self.windows.called(now)
            replies = self.assistant.start()  # greets a new session, silent in one under way
            turn = self._record(utterance, transcript, "woke", "")
            self._speak(replies, source, turn, detected)
            return True
        if not said:
            self._record(utterance, transcript, "not_heard", "")
            self.log("(nothing recognised)")
            self._earcon("not_heard")
            self.windows.missed += 1
            if not self.windows.given_up():
                self.windows.open(now, self.settings.answer_window)
            return True
        self._refresh_vocabulary()
        hypotheses, second = self._readings(transcript)
        self.log(f"heard: {said}" + (f" (and: {transcript.second.text})" if transcript.second is not None else ""))
        turn = self._record(utterance, transcript, "answered", said)
        made = Ahead(self.voice)
        replies = self.assistant.hear_nbest(hypotheses, second, ready=made.start)
        # the dialog counts the misunderstandings in a row; the loop, those since it was last called
        self.windows.missed = self.windows.missed + 1 if self.assistant.state().misses else 0
        cut = self._speak(replies, source, turn, detected, made)
        if cut in ("stop", "cancel"):
            return True  # stopped: quiet; cancelled: that turn was answered and left its own windows
        self.windows.after(replies, now)
        return True

    def _decode_early(self, endpointer: Endpointer) -> None:
        """Decode the command under way, and understand it, while the endpointer waits to be sure it
        has ended (``runtime.early``); the understanding is used if the turn hears the same readings."""
        understander = self.assistant.understander()

        def understand(transcript: Transcript) -> None:
            if self._strip_wake(transcript.text)[0]:
                self.assistant.understand_ahead(understander, *self._readings(transcript))

        self._early.start(endpointer.speech_start, endpointer.speech_so_far, self.assistant.hints(), understand)

    def _readings(self, transcript: Transcript) -> tuple[list[tuple[str, float]], list[tuple[str, float]] | None]:
        """What the assistant hears of a transcript: its readings, and a second engine's."""
        woke = self._strip_wake(transcript.text)[1]
        second = self._hypotheses(transcript.second, woke) if transcript.second is not None else None
        return self._hypotheses(transcript, woke), second

    def _hypotheses(self, transcript: Transcript, woke: bool) -> list[tuple[str, float]]:
        """The readings of a transcript, without the wake phrase when the command began with it."""
        return [(self._strip_wake(h)[0] or h, c) for h, c in transcript.nbest()] if woke else transcript.nbest()

    def _strip_wake(self, text: str) -> tuple[str, bool]:
        return strip_phrase(text, self._wake)

    # --- speaking -----------------------------------------------------------------------------------

    def _speak(
        self,
        replies: Sequence[Reply],
        source: AudioSource,
        turn: HeardTurn | None = None,
        since: float = 0.0,
        made: Ahead | None = None,
    ) -> Cut | None:
        """Say ``replies`` (the first maybe made ahead, ``made``); what cut them short, if anything did (see
        the module's docstring)."""
        heard = 0.0
        cut: Cut | None = None
        spotted: Spotted | None = None
        if self._barge_in and self._over_reply is not None:
            self._over_reply.start(live=source.live)
        for i, reply in enumerate(replies):
            self.log(f"assistant: {reply.text}")
            pieces = (made or Ahead(self.voice)).pieces(reply)  # made while the speaker opens
            playback = self.sink.open("reply")
            if self.spotter is not None:
                self.spotter.start(live=source.live)
                self._reply_start = self._endpointer.now
            for n, audio in enumerate(pieces):
                if i == 0 and n == 0 and turn is not None:
                    turn.latency = time.perf_counter() - since
                if self._barge_in:
                    played, cut, spotted = self._play_listening(audio, playback)
                else:
                    playback.write(audio)
                    played = len(audio) / RATE
                heard += played
                if cut is not None:
                    self.cut = reply
                    break
            if cut is None and self._barge_in and self.spotter is not None:
                # a phrase said near the reply's end may still be being decoded: it is heard all the same
                spotted = self.spotter.finish()
                if spotted is not None:
                    playback.stop()
                    cut, self.cut = spotted.kind, reply
            over = self._over_reply  # a wake word said as the replies ended is checked as over them
            if cut is None and i == len(replies) - 1 and over and over.checking and self._wake_heard(over.finish()):
                playback.stop()
                cut, self.cut = "wake word", reply
            if cut is not None:
                break
            playback.close()
        if replies and cut is None:
            self.cut = None
        if turn is not None:
            turn.replies = list(replies)
            turn.cut = cut is not None
            turn.cut_by = cut
            turn.heard = heard
        if cut is None:
            source.drain()  # what the microphone caught meanwhile was voiceshop's own voice
            return None
        self._cut_short(cut, spotted, source)
        return cut

    def _cut_short(self, cut: Cut, spotted: Spotted | None, source: AudioSource) -> None:
        """What a cut leaves: quiet after "stop", a window after the wake word, an answer to "cancel"."""
        self.log(f"(reply cut short: {cut})")
        if self._over_reply is not None:  # stopped while a fire was checked: what it held was the reply's time
            self._endpointer.skip(self._over_reply.drop())
        if self.spotter is not None:
            self.spotter.finish()  # the recogniser is the loop's again (what else was being checked is moot)
        self._endpointer.reset()
        if cut == "wake word":
            # the shopper called the device over its own voice: they have something to say now
            self.windows.close()
            self.windows.called(self._endpointer.now)
        elif cut == "stop":
            self.windows.close()  # quiet means quiet: nothing more is taken without the wake word
        elif spotted is not None:
            self._interrupted(spotted, source)

    def _start_up(self, source: AudioSource) -> None:
        """A start where the echo canceller knows nothing of the room (no usable path kept): the
        start-up sound, heard through it as a reply is, so it has measured the room before any word
        is spoken (``tts.earcons.STARTING``); then what the speaker's echo can still bring."""
        spotter, over = self.spotter, self._over_reply
        wanted = self.settings.startup_sound and self.settings.earcons
        if not (wanted and self._barge_in and spotter and over and spotter.canceller.cold):
            return
        self.log("(start-up sound: the echo canceller measures the room)")
        over.start(live=source.live)
        spotter.start(live=source.live)
        self._reply_start = self._endpointer.now
        playback = self.sink.open("starting")
        _, cut, spotted = self._play_listening(np.concatenate([starting(), silence(MAX_DELAY)]), playback)
        if cut is not None:
            self._cut_short(cut, spotted, source)
            return
        spotter.finish()
        self._endpointer.skip(over.drop())  # a fire still being checked: it was the sound's own
        playback.close()
        source.drain()

    def _interrupted(self, spotted: Spotted, source: AudioSource) -> None:
        """A cancel phrase said over a reply: it is the shopper's turn, answered like any command."""
        said = spotted.transcript.text
        self.log(f"heard: {said}")
        # the spotter's timeline starts with the reply; the turns' is the microphone's
        at = self._reply_start
        utterance = replace(spotted.utterance, start=at + spotted.utterance.start, end=at + spotted.utterance.end)
        turn = self._record(utterance, spotted.transcript, "answered", said)
        replies = self.assistant.hear_nbest(spotted.transcript.nbest())
        self.windows.close()
        if self._speak(replies, source, turn, time.perf_counter()) is None:
            self.windows.after(replies, self._endpointer.now)

    @property
    def _barge_in(self) -> bool:
        return self.settings.barge_in and self.wake is not None

    def _earcon(self, name: str) -> None:
        if self.settings.earcons:
            self._play(earcon(name), name.replace("_", "-"))

    def _play(self, audio: Samples, label: str) -> None:
        self.sink.play(audio, label)

    def _refresh_vocabulary(self) -> None:
        """Hand the recogniser the shop's words again, but only when the shop has changed."""
        fingerprint = self.assistant.fingerprint()
        if fingerprint != self._vocabulary_of:
            vocabulary, phrases = self.assistant.vocabulary()
            # a recogniser held to a grammar (Vosk) must know "stop" and "cancel" to hear them over a reply
            interrupt = self.spotter.language.interrupt_words.words if self.spotter is not None else []
            self.recognizer.set_vocabulary(
                [*vocabulary, *self._wake, *interrupt], [self.settings.wake_phrase, *phrases]
            )
            if isinstance(self.recognizer, GrammarRecognizer):
                self.recognizer.set_grammar(self.assistant.speech_rules(), TOP)
            self._vocabulary_of = fingerprint
