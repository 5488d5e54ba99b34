"""The voice loop: sound in -> command -> transcript -> assistant -> spoken reply, over and over.

Activation decides which commands reach the assistant:

- ``wake`` (default): a packaged wake word model ("okay nabu") hears every chunk; the speech
  recogniser runs only on speech that starts after it fired.
- ``phrase``: a wake phrase of your own, found in the transcript ("hey shop, two lattes"); the phrase
  alone opens a short window for the command that follows. The recogniser hears every sound.
- ``push``: a press (Enter in the terminal, or ``push()`` from a GPIO button) opens that window.
- ``always``: every command is heard.

After a reply, and longer after one that asks a question, the shopper goes on without waking the
device for a few seconds; a goodbye closes the conversation, and so do two turns in a row that were
not understood (a TV that woke the device by mistake is not listened to for as long as it talks).
Windows are measured on the audio's own timeline, so a recording drives the loop exactly as a
microphone would. While voiceshop speaks the microphone's sound is dropped: it never hears itself.
With barge-in, it listens while it speaks instead: the reply plays piece by piece, and between the
pieces the microphone is heard through an echo canceller that takes the reply's own sound back out
(``audio.echo``; the played samples are its reference). Three things cut the reply at once:

- the wake word: the window for a command opens, as after any wake word;
- "stop" (the language's stop phrases): voiceshop goes quiet, and no window is left open;
- "cancel" (its cancel phrases): what was said is the shopper's turn, answered like any command
  (it cancels the question or the cart action under way).

Either way the turn records that its reply was not heard in full (``HeardTurn.cut``), and
``VoiceLoop.cut`` keeps the reply so "repeat" can say it whole. A wake word over a reply is checked as
any other: the reply is turned down at the fire and cut only if the check confirms it (``runtime.ducking``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace

import numpy as np

from voiceshop.asr.base import GrammarRecognizer, Recognizer, RecognizerStream, Transcript
from voiceshop.audio.echo import EchoCanceller, echo_canceller
from voiceshop.audio.endpoint import CHUNK_S, Endpointer, Utterance
from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.sink import AudioSink, Playback
from voiceshop.audio.source import AudioSource, split
from voiceshop.audio.vad import SileroVad, VoiceActivity
from voiceshop.audio.wakeword import MicroWakeWordDetector, WakeCheck, WakeWordDetector
from voiceshop.dialog.state import Reply
from voiceshop.errors import LanguageError, MicrophoneLost, SpeechOutputError
from voiceshop.language import load as load_language
from voiceshop.nlu.sentences import TOP
from voiceshop.nlu.text import words
from voiceshop.runtime.assistant import Assistant
from voiceshop.runtime.confirm import Confirmer, Replay, default_check, transcript
from voiceshop.runtime.ducking import Heard, ReplyWake
from voiceshop.runtime.early import EARLY_QUIET, EarlyDecoder
from voiceshop.runtime.interrupt import InterruptSpotter, Spotted
from voiceshop.runtime.listen import Cut, HeardTurn, ListenSettings, Outcome, strip_phrase
from voiceshop.runtime.speaking import ahead
from voiceshop.tts.base import Synthesizer
from voiceshop.tts.earcons import earcon

RECONNECT_EVERY = 1.0
CLOSED = float("-inf")
"""The listening window's end when none is open: sound from the very start of a stream is not in it."""
MISSES_BEFORE_WAKE = 2
"""Turns in a row not understood (or with nothing recognised) since the device was last called, after
which it listens for the wake word again rather than go on without it: a TV or a conversation that
woke it by mistake is not listened to for as long as it goes on. A shopper it did not understand twice
calls it again and is heard as before."""


class VoiceLoop:
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
        self._open_until = CLOSED
        self._vocabulary_of: str | None = None
        self._wake = words(self.settings.wake_phrase) if self.settings.activation == "phrase" else []
        self._ended = False
        self._missed = 0
        """Turns not understood since the device was last called (wake word, wake phrase, a press)."""
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
        if self.settings.activation == "always":
            self._speak(self.assistant.start(), source)
        endpointer = self._endpointer
        while True:
            try:
                self._listen(source, endpointer)
                return self.turns
            except MicrophoneLost as lost:
                if not reconnect:
                    raise
                self.log(f"microphone: {lost}; trying again every {RECONNECT_EVERY:.0f} s")
                with suppress(SpeechOutputError):  # a headset unplugged takes its speaker along
                    self._speak([Reply(text="I can't hear the microphone. I'll say when I can again.")], source)
                self._wait_for(source)
                endpointer.reset()
                self._speak([Reply(text="I can hear you again.")], source)

    def _wait_for(self, source: AudioSource) -> None:
        while True:
            time.sleep(RECONNECT_EVERY)
            try:
                next(iter(source.chunks()))
                return
            except MicrophoneLost:
                continue

    def _listen(self, source: AudioSource, endpointer: Endpointer) -> None:
        stream: RecognizerStream | None = None
        fed = 0
        self._mic = Replay(source.chunks())
        for chunk in self._mic:
            if self._pressed.is_set():
                self._pressed.clear()
                self._missed = 0
                self._open(endpointer.now, self.settings.command_window)
                self._earcon("listening")
            if self.wake is not None and self._woke_by(chunk):
                endpointer.feed(chunk)  # keeps the timeline; the wake word itself is no command
                endpointer.reset()
                stream = None
                self._woken(endpointer.now, source, time.perf_counter())
                continue
            utterance = endpointer.feed(chunk)
            if endpointer.in_speech and self._hearing(endpointer.speech_start):
                if stream is None:
                    stream = self.recognizer.stream(self.assistant.hints())
                    fed = 0
                pending = endpointer.speech_so_far[fed:]
                for piece in pending:
                    stream.accept(piece)
                fed += len(pending)
            if utterance is None:
                if endpointer.in_speech and endpointer.quiet == EARLY_QUIET and self._hearing(endpointer.speech_start):
                    self._early.start(endpointer.speech_start, endpointer.speech_so_far, self.assistant.hints())
                if self.settings.activation != "always":
                    self._ran_out(endpointer)
                continue
            if self._finish(utterance, stream, endpointer.now, source):
                endpointer.reset()
            stream = None
            if self._ended and self.settings.activation == "always":
                return
        last = endpointer.flush()
        if last is not None:
            self._finish(last, stream, endpointer.now, source)

    def _hearing(self, start: float) -> bool:
        """Whether speech starting at ``start`` goes to the recogniser (with a wake word model, only
        speech inside an open window does: the recogniser never hears the room otherwise)."""
        return self.settings.activation != "wake" or start <= self._open_until

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
        self._missed = 0
        self._open(now, self.settings.command_window)
        self._earcon("listening")
        heard = transcript(verdict, "wake word") if verdict is not None else Transcript((), engine="wake word")
        turn = self._record(empty, heard, "woke", "")
        self._speak(self.assistant.start(), source, turn, detected)

    def _finish(self, utterance: Utterance, stream: RecognizerStream | None, now: float, source: AudioSource) -> bool:
        """A command has ended: get its transcript (the stream has its audio, if one was started)."""
        detected = time.perf_counter()
        if not self._hearing(utterance.start):
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
        awake = self.settings.activation == "always" or utterance.start <= self._open_until
        text = transcript.text
        said, woke = self._strip_wake(text)
        if not awake and not woke:
            self._record(utterance, transcript, "ignored", text)
            self.log(f"(ignored, no wake phrase: {text!r})" if text else "(ignored: noise)")
            return False
        if woke:
            self._missed = 0
        if woke and not said:
            self._open(now, self.settings.command_window)
            self._earcon("listening")
            replies = self.assistant.start()  # greets a new session, silent in one under way
            turn = self._record(utterance, transcript, "woke", "")
            self._speak(replies, source, turn, detected)
            return True
        if not said:
            self._record(utterance, transcript, "not_heard", "")
            self.log("(nothing recognised)")
            self._earcon("not_heard")
            self._missed += 1
            if not self._given_up():
                self._open(now, self.settings.answer_window)
            return True
        self._refresh_vocabulary()
        hypotheses = self._hypotheses(transcript, woke)
        second = self._hypotheses(transcript.second, woke) if transcript.second is not None else None
        self.log(f"heard: {said}" + (f" (and: {transcript.second.text})" if transcript.second is not None else ""))
        turn = self._record(utterance, transcript, "answered", said)
        replies = self.assistant.hear_nbest(hypotheses, second)
        # the dialog counts the misunderstandings in a row; the loop, those since it was last called
        self._missed = self._missed + 1 if self.assistant.state().misses else 0
        cut = self._speak(replies, source, turn, detected)
        if cut in ("stop", "cancel"):
            return True  # stopped: quiet; cancelled: that turn was answered and left its own windows
        self._after(replies, now)
        return True

    def _hypotheses(self, transcript: Transcript, woke: bool) -> list[tuple[str, float]]:
        """The readings of a transcript, without the wake phrase when the command began with it."""
        return [(self._strip_wake(h)[0] or h, c) for h, c in transcript.nbest()] if woke else transcript.nbest()

    def _strip_wake(self, text: str) -> tuple[str, bool]:
        return strip_phrase(text, self._wake)

    def _open(self, now: float, seconds: float) -> None:
        self._open_until = max(self._open_until, now + seconds)

    def _record(self, utterance: Utterance, transcript: Transcript, outcome: Outcome, said: str) -> HeardTurn:
        turn = HeardTurn(utterance=utterance, transcript=transcript, outcome=outcome, said=said)
        self.turns.append(turn)
        return turn

    # --- speaking -----------------------------------------------------------------------------------

    def _speak(
        self, replies: Sequence[Reply], source: AudioSource, turn: HeardTurn | None = None, since: float = 0.0
    ) -> Cut | None:
        """Say ``replies``; what cut them short, if anything did (see the module's docstring)."""
        heard = 0.0
        cut: Cut | None = None
        spotted: Spotted | None = None
        if self._barge_in and self._over_reply is not None:
            self._over_reply.start(live=source.live)
        for i, reply in enumerate(replies):
            self.log(f"assistant: {reply.text}")
            playback = self.sink.open("reply")
            if self.spotter is not None:
                self.spotter.start(live=source.live)
                self._reply_start = self._endpointer.now
            for n, audio in enumerate(ahead(self.voice, reply)):
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
        self.log(f"(reply cut short: {cut})")
        if self._over_reply is not None:  # stopped while a fire was checked: what it held was the reply's time
            self._endpointer.skip(self._over_reply.drop())
        if self.spotter is not None:
            self.spotter.finish()  # the recogniser is the loop's again (what else was being checked is moot)
        self._endpointer.reset()
        if cut == "wake word":
            # the shopper called the device over its own voice: they have something to say now
            self._open_until = CLOSED
            self._missed = 0
            self._earcon("listening")
            self._open(self._endpointer.now, self.settings.command_window)
        elif cut == "stop":
            self._open_until = CLOSED  # quiet means quiet: nothing more is taken without the wake word
        elif spotted is not None:
            self._interrupted(spotted, source)
        return cut

    def _interrupted(self, spotted: Spotted, source: AudioSource) -> None:
        """A cancel phrase said over a reply: it is the shopper's turn, answered like any command."""
        said = spotted.transcript.text
        self.log(f"heard: {said}")
        # the spotter's timeline starts with the reply; the turns' is the microphone's
        at = self._reply_start
        utterance = replace(spotted.utterance, start=at + spotted.utterance.start, end=at + spotted.utterance.end)
        turn = self._record(utterance, spotted.transcript, "answered", said)
        replies = self.assistant.hear_nbest(spotted.transcript.nbest())
        self._open_until = CLOSED
        if self._speak(replies, source, turn, time.perf_counter()) is None:
            self._after(replies, self._endpointer.now)

    def _ran_out(self, endpointer: Endpointer) -> None:
        """Close a window that ran out with nothing said, with the "done listening" earcon: from the
        moment no speech that starts later could still have begun inside it (its pre-roll)."""
        ends = self._open_until + self.settings.endpoint.pre_roll + CHUNK_S
        if self._open_until > CLOSED and ends < endpointer.now and not endpointer.in_speech:
            self._open_until = CLOSED
            self._earcon("done_listening")

    def _given_up(self) -> bool:
        """Whether the turns since the last call went unheard or not understood too often to go on
        listening without the wake word (``MISSES_BEFORE_WAKE``); if so, no window stays open."""
        if self._missed < MISSES_BEFORE_WAKE or self.settings.activation == "always":
            return False
        self._open_until = CLOSED
        self.log(f"(not understood {self._missed} times in a row: listening for the wake word again)")
        self._earcon("done_listening")
        return True

    def _after(self, replies: Sequence[Reply], now: float) -> None:
        """The windows a finished answer leaves open (none after a goodbye, nor after turns in a row
        that were not understood)."""
        if any(r.end for r in replies):
            self._open_until = CLOSED
            self._ended = True
        elif self._given_up():
            return
        else:
            # the shopper is mid-conversation: a question's answer, or "that's all" after an item
            asked = any(r.expects_answer for r in replies)
            self._open(now, self.settings.answer_window if asked else self.settings.follow_up_window)

    @property
    def _barge_in(self) -> bool:
        return self.settings.barge_in and self.wake is not None

    def _play_listening(self, audio: Samples, playback: Playback) -> tuple[float, Cut | None, Spotted | None]:
        """Play ``audio`` a chunk at a time, hearing the microphone between chunks: the seconds played
        (all of it unless something cut it), what cut it, and the stop or cancel phrase if one did."""
        assert self._over_reply is not None
        played = 0
        for piece in split(audio):
            piece = self._over_reply.turn(piece)
            playback.write(piece)
            played += len(piece)
            if self.spotter is not None:
                self.spotter.play(piece)  # the canceller's reference is what was played, turned down or not
            try:
                heard = next(self._mic, None)
            except MicrophoneLost:
                playback.stop()  # the loop waits for the microphone; the speaker must not hang on
                raise
            if heard is None:
                self._endpointer.skip()
                continue
            spotted = None
            if self.spotter is not None:
                heard, spotted = self.spotter.hear(heard)  # the wake word hears it without the reply
            if self._wake_heard(self._over_reply.hear(heard)):
                playback.stop()
                return min(played, len(audio)) / RATE, "wake word", None
            if spotted is not None:
                playback.stop()
                return min(played, len(audio)) / RATE, spotted.kind, spotted
        return len(audio) / RATE, None, None

    def _wake_heard(self, heard: Heard) -> bool:
        """What a chunk heard over a reply did for the wake word (``ReplyWake.hear``); whether it cuts the reply."""
        self._endpointer.skip(heard.passed)
        if heard.held:
            self._mic.give_back(heard.held)
        verdict = heard.verdict
        if verdict is not None and not verdict.accepted:
            now = self._endpointer.now
            empty = Utterance(samples=np.zeros(0, dtype=np.int16), start=now, end=now)
            self._record(empty, transcript(verdict, "wake check"), "rejected", "")
            self.log(f"(wake word over the reply not confirmed: heard {verdict.heard!r}, score {verdict.score:.1f})")
        return heard.cut

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
