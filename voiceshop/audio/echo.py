"""Echo suppression: the reply's own sound taken back out of the microphone while it plays.

The device knows what it is playing, so the played samples are the reference: the microphone hears them again a little
later (the sound card's buffers, the air), quieter and coloured by the room. ``MdfEchoCanceller`` finds that delay by
cross-correlating the microphone with the reference (GCC-PHAT, sharp even through a coloured room), then an adaptive
filter over the delayed reference learns the room's response and subtracts its estimate of the echo: what is left (the
residual) is the shopper, the room's noise, and a little echo the filter did not catch. The filter works in the
frequency domain (``audio.mdf``: partitioned blocks, a step normalised per frequency bin): it learns the room in about
a second, and once learnt the canceller leaves the echo 38-56 dB down (the filter alone, 31-41).

A real device's speaker is often late and not steady: USB and Bluetooth speakers buffer 100 to 500 ms, and the
buffering changes while they play. The delay is looked for up to ``MAX_DELAY`` and found again every ``TRACK_EVERY``
over the last ``TRACK_WINDOW`` of sound (more often while the residual is louder than it should be). A new peak of the
correlation is tried on the latest sound: it replaces the delay in use when the filter, moved there, leaves clearly
less (the room's response moved as a whole, so the filter learnt stays valid at the new delay).

A microphone whose gain is set too high clips: where the echo is louder than its full scale it hears a flattened echo,
which no linear filter explains. The canceller notices the level the microphone saturates at (many samples piled up at
one peak), predicts the echo clipped at that level, and learns only from samples below it, so a few clipped peaks do
not spoil the room's response.

What the filter leaves of the echo (more where the microphone clips, or while the filter is still learning) goes
through a residual echo suppressor (``audio.residual``): band by band, the share of the filter's echo estimate that it
leaves is learnt while nobody speaks, and bands that this explains are turned down. The residual comes ``LATENCY`` (15
ms) late for it.

It also tells double talk from echo: a chunk is ``near_end`` (someone is speaking over the reply) when the residual is
clearly louder than the echo the filter expected to leave behind (the echo estimate over the echo return loss
enhancement it has been reaching), or, band by band, than what the suppressor expects to be left. The filter learns
only from chunks whose residual is not even a little louder than expected (3 dB), and within those its step shrinks in
the bands where the error is more than the echo it expects to leave, so the shopper's voice does not teach it to
cancel the shopper; the filter that cancels is only replaced by the one that learns when that one does better.

The device does not move, so what the canceller has learnt (the delay, the filter, how deep it cancels, what the
suppressor leaves per band) is kept in a small file when a sound ends with the filter converged (``audio.echo_path``),
and read back at the next start, on trial over the first ``TRIAL`` chunks of loud sound: if the filter, in most of
them, leaves more than the microphone heard (it adds an echo that is not there: the speaker, its delay or the room
changed), it is dropped and the room learnt again, as on a first start; a voice over the reply does not do that. A
path the filter cancels less deeply than it was kept with shows as a residual louder than expected in most chunks:
loud sound mostly doubted for much longer than anyone's interruption (``STUCK``) is the room, and the depth expected
is lowered to what is measured there. With no path kept, as soon as the delay is known the filter is solved on the
sound heard so far (least squares, ``audio.echo_fit``), and how deep it cancels there is the depth expected: a first
start tells a word from echo about 0.5 s into its first sound (learning, 0.9 s, with ``COLD_PACE``). The voice loop's
start-up sound, a sweep, lets it do that before the first word is spoken.

The voice loop needs only the small ``EchoCanceller`` protocol. Pure numpy: about 1.2 ms of processor time per 30 ms
chunk on this machine (the NLMS filter: 2.2 ms).
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voiceshop.audio.echo_fit import FIT_WINDOW, correlate, fit, loud_enough
from voiceshop.audio.echo_path import EchoPath, PathFile
from voiceshop.audio.mdf import BlockFilter
from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.residual import ResidualSuppressor

Floats = npt.NDArray[np.float64]

MAX_DELAY = 0.6
"""Seconds: the longest speaker-to-microphone delay looked for (a Bluetooth speaker's buffers plus the room)."""
LEAD = 32
"""Taps placed before the estimated delay, so an estimate a little late still covers the direct sound."""
DELAY_AFTER = 0.5
"""Seconds of loud reference needed before the delay is estimated."""
SHARP = 8.0
"""A correlation peak this many times the mean is an echo (a few is noise)."""
TRACK_EVERY = 0.5
"""Seconds between two new estimates of the delay while a sound plays."""
TRACK_WINDOW = 1.0
"""Seconds of the microphone each new estimate looks at."""
DOUBT_EVERY = 0.09
"""... and while the residual is louder than the echo should leave (a moved delay, or someone speaking)."""
MOVED = 8
"""Samples: a new estimate this far from the delay in use is a move (closer is the same delay)."""
VERIFY = 0.2
"""Seconds of the latest sound a new delay is tried on: it is taken when the filter leaves less than
``HALF`` of what it leaves at the delay in use (the shopper's voice is in both: no move)."""
HALF = 0.5
PILED = 4
"""Samples of a chunk at its own peak (within ``FLAT``) that make that peak the microphone's full scale."""
FLAT = 0.002
"""How close to its peak a sample counts as piled up there (a clipped microphone gives one value)."""
DOUBLE_TALK = 8.0
"""A residual this many times (in energy) the echo expected to remain is someone speaking (9 dB)."""
FREEZE = 2.0
"""A residual this many times the expected one is left out of the echo return loss estimate (3 dB)."""
CONVERGED_DB = 8.0
"""Echo return loss enhancement the filter must reach before it can tell double talk from echo."""
HOLD = 4
"""Chunks over which the echo's loudest estimate is held when judging double talk (120 ms)."""
FLOOR_WINDOW = 2.0
"""Seconds over which the room's noise is the quietest residual heard (minimum statistics)."""
NOISE_OVER_FLOOR = 2.0
"""The room's noise in a chunk, against the quietest chunk: the minimum sits below the mean."""
ECHO_OVER_FLOOR = 100.0
"""A chunk counts towards the echo return loss enhancement only when the microphone heard this many
times the room's noise (20 dB): in quieter ones the residual is the room's noise (counted apart), and
40-50 dB would read as far less (a "stop" whose "s" is 28 dB under the reply would pass for echo)."""
PACE = 0.05
"""How fast the echo return loss enhancement estimate follows each chunk's, once converged."""
COLD_PACE = 0.2
"""... and before (the filter learns fast then; its own step still follows one at ``PACE``)."""
TRIAL = 10
"""Chunks of loud sound a kept echo path is tried on before it is trusted (0.3 s or more)."""
KEEP_DB = 20.0
"""Echo return loss enhancement the filter must have reached for its path to be kept."""
KEEP_EVERY = 10.0
"""Seconds of sound learnt from between two writes of the kept path (the first is written at once)."""
STUCK = 4.0
"""Seconds of loud sound (the latest) that, when mostly doubted, say the doubt is the room and not a
voice (an interruption is at most 2 s): the depth expected is lowered to the one measured there."""
STUCK_SHARE = 0.6
"""... the share of those chunks doubted (an echo cancelled too little is, except between words)."""


class EchoCanceller(Protocol):
    def play(self, samples: Samples) -> None:
        """What the speaker has just been given, in order (the reference)."""
        ...

    def cancel(self, chunk: Samples) -> Samples:
        """The next microphone chunk, with the echo of what was played taken out."""
        ...

    @property
    def near_end(self) -> bool:
        """Whether the last chunk held sound the echo does not explain (someone speaking over the reply)."""
        ...

    filtered: Samples
    """The last chunk as the linear filter left it, before residual echo suppression (a little earlier)."""

    def start(self) -> None:
        """A new sound starts: the reference and the microphone are counted from here again."""
        ...

    @property
    def cold(self) -> bool:
        """Whether it knows nothing of the room yet (no usable path kept, nothing learnt since)."""
        ...

    def finish(self) -> None:
        """The sound has been played out (a canceller that keeps what it learnt keeps it now)."""
        ...


class MdfEchoCanceller:
    """Delay by cross-correlation, a frequency-domain adaptive filter, residual echo suppression.

    The delay is followed while a sound plays; the filter (``audio.mdf``) works over the reference
    delayed by it, its estimate clipped where the microphone clips; the suppressor
    (``audio.residual``) takes out what the filter leaves."""

    def __init__(self, *, max_delay: float = MAX_DELAY, kept: PathFile | None = None) -> None:
        self.filter = BlockFilter()
        self.taps = self.filter.taps
        self.max_lag = round(max_delay * RATE)
        self.delay: int | None = None
        """Samples from the speaker to the microphone, once estimated (kept from one sound to the next)."""
        self.moves = 0
        """How often the delay was found to have moved while a sound played."""
        self.full_scale = 32767.0
        """Where the microphone clips: int16's limit, or lower once its sound is seen piling up there."""
        self._pile: tuple[float, int] = (0.0, 0)
        self.erle_db = 0.0
        """Echo return loss enhancement reached lately: how much quieter the residual is than the echo."""
        self._learning_db = 0.0
        """... followed at ``PACE`` from the start, for the filter's step: the filter learns at its
        fastest for as long as before, and settles as deep (a step cut down early settles 5 dB higher)."""
        self._near = self._doubt = False
        self.filtered: Samples = np.zeros(0, dtype=np.int16)
        self.suppressor = ResidualSuppressor()
        self._reference: Floats = np.zeros(0)
        self._origin = self._at = 0
        self._heard: Floats = np.zeros(0)
        self._echoes: deque[float] = deque(maxlen=HOLD)
        self._levels: deque[float] = deque(maxlen=round(FLOOR_WINDOW * RATE / 480))
        self.kept = kept
        """Where the echo path is kept from one start to the next (None: learnt anew every start)."""
        self.cold_because: str | None = "no echo path kept" if kept is None else None
        """Why the canceller started (or went back to) knowing nothing of the room; None when it
        started from a kept path that is in use."""
        self._trial: list[bool] | None = None
        """While a kept path is on trial: per loud chunk, whether the filter added to what was heard."""
        self._learnt = 0
        """Samples of sound learnt from since the path was last kept."""
        self._due = True
        """Whether the kept file does not hold what has been learnt (kept as soon as it is deep enough)."""
        self._fitting = False
        """Whether the filter is still to be solved on the sound heard (cold, once the delay is found)."""
        self._retry: EchoPath | None = None
        """A kept path dropped on trial, tried once more at the delay found next (only the delay moved)."""
        self._stuck: deque[tuple[bool, float, float]] = deque(maxlen=round(STUCK * RATE / 480))
        """The latest chunks of loud sound: whether doubted, the microphone's energy and the residual's."""
        self.start()
        if kept is not None:
            found = kept.load()
            if found is None:
                self.cold_because = kept.problem or f"no echo path kept in {kept.path} yet"
            else:
                self.restore(found)

    @property
    def near_end(self) -> bool:
        return self._near

    @property
    def cold(self) -> bool:
        return self.delay is None

    @property
    def converged(self) -> bool:
        return self.delay is not None and self.erle_db >= CONVERGED_DB

    @property
    def on_trial(self) -> bool:
        """Whether a kept echo path is in use but not yet confirmed by the sound heard."""
        return self._trial is not None

    def snapshot(self, *, trusted: bool = False) -> EchoPath | None:
        """What has been learnt of the room, once it is worth keeping (deep, and not on trial unless
        ``trusted``)."""
        if self.delay is None or self.erle_db < KEEP_DB or (self.on_trial and not trusted):
            return None
        return EchoPath(
            rate=RATE,
            block=self.filter.block,
            partitions=self.filter.partitions,
            delay=self.delay,
            erle_db=self.erle_db,
            weights=[[(float(w.real), float(w.imag)) for w in part] for part in self.filter.weights],
            leak=[float(x) for x in self.suppressor.leak],
        )

    def restore(self, path: EchoPath) -> bool:
        """Start from a kept path (on trial, see the module's docstring); False, and ``cold_because``,
        when it was learnt at another rate, block or filter size, or is not a converged filter."""
        bins = self.filter.block + 1
        if path.rate != RATE or path.block != self.filter.block or path.partitions != self.filter.partitions:
            self.cold_because = (
                f"the kept echo path is for {path.rate} Hz in blocks of {path.block} x {path.partitions}, "
                f"not {RATE} Hz in {self.filter.block} x {self.filter.partitions}"
            )
            return False
        if (
            len(path.weights) != self.filter.partitions
            or any(len(part) != bins for part in path.weights)
            or len(path.leak) != len(self.suppressor.leak)
            or path.delay > self.max_lag
            or path.erle_db < CONVERGED_DB
            or not all(0.0 <= x <= 1.0 for x in path.leak)
        ):
            self.cold_because = "the kept echo path does not describe a filter that had learnt a room"
            return False
        weights = np.array([[complex(re, im) for re, im in part] for part in path.weights])
        self.filter = BlockFilter(block=path.block, partitions=path.partitions)
        self.filter.weights = weights
        self.filter.reset_background()
        self.delay, self.erle_db = path.delay, path.erle_db
        self._learning_db = path.erle_db
        self.suppressor.leak = np.array(path.leak, dtype=np.float64)
        self._trial, self._fitting = [], False
        self.cold_because = None
        self._due = False
        return True

    def forget(self, why: str) -> None:
        """Back to knowing nothing of the room (the delay, the filter, how deep it cancels)."""
        self.filter = BlockFilter(block=self.filter.block, partitions=self.filter.partitions)
        self.delay, self.erle_db, self._learning_db, self._trial = None, 0.0, 0.0, None
        self.suppressor.leak = np.ones_like(self.suppressor.leak)
        self.cold_because, self._due = why, True

    def finish(self) -> None:
        if self.kept is None or (not self._due and self._learnt < KEEP_EVERY * RATE):
            return
        path = self.snapshot()
        if path is not None and self.kept.save(path):
            self._learnt, self._due = 0, False

    def start(self) -> None:
        pad = self.max_lag + self.taps + LEAD
        # what was played just before may still be on its way (a speaker 400 ms late): it stays the
        # reference before this sound starts (silence at the very first)
        before = self._reference[: self._origin + self._at][-pad:]
        self._reference = np.concatenate([np.zeros(pad - len(before)), before])
        self._origin = pad
        self._heard = np.zeros(0)  # the microphone lately, for the delay
        self._at = 0  # microphone samples seen since the start
        self._tracked = 0  # ... when the delay was last estimated
        self._near = self._doubt = False
        self.suppressor.start()

    def play(self, samples: Samples) -> None:
        self._reference = np.concatenate([self._reference, samples.astype(np.float64)])

    def cancel(self, chunk: Samples) -> Samples:
        mic = chunk.astype(np.float64)
        begin = self._at
        self._at += len(mic)
        self._listen(mic)
        if self.delay is None:  # nothing to cancel yet; the suppressor only holds it back
            return self._passed(mic)
        if self._fitting:
            self._fit()
        reference = self._aligned(self.delay, begin, len(mic))
        estimate, spectra = self.filter.estimate(reference, len(mic))
        estimate = self._heard_as(estimate)
        residual = mic - estimate
        echo_energy = float(np.mean(estimate**2))
        residual_energy = float(np.mean(residual**2))
        mic_energy = float(np.mean(mic**2))
        loud = float(np.mean(reference[-len(mic) :] ** 2)) > 1.0
        if self._trial is not None and loud and echo_energy > 1.0 and not self._tried(residual_energy > mic_energy):
            return self._passed(mic)
        self._levels.append(residual_energy)
        self._echoes.append(echo_energy)
        # What the residual would hold without anyone speaking: the echo the filter leaves, and the room.
        # The echo lately, not just now: a quiet ending after a loud sound keeps the loud one's error.
        left = max(self._echoes) / 10 ** (self.erle_db / 10)
        expected = left + NOISE_OVER_FLOOR * min(self._levels) + 1.0
        self.ratio = residual_energy / expected
        self._doubt = doubt = self.converged and residual_energy > FREEZE * expected
        if loud:
            self._follow_doubt(doubt, mic_energy, residual_energy)
        self.filtered = np.clip(np.round(residual), -32768, 32767).astype(np.int16)
        cleaned, unexplained, left_over = self.suppressor.process(residual, estimate, learn=loud and not doubt)
        # double talk: louder than the echo should leave, or, band by band, than what the echo left explains
        floor = NOISE_OVER_FLOOR * min(self._levels) + 1.0
        self.explained = (unexplained, left_over, floor)
        # a filter that adds to what was heard is wrong (a kept path on trial, a delay that has just
        # moved), not a voice: a voice is left in, the echo still taken out
        added = residual_energy > mic_energy
        self._near = (self.converged and not added) and (
            residual_energy > DOUBLE_TALK * expected or unexplained > DOUBLE_TALK * (left_over + floor)
        )
        if loud and not doubt:  # the speaker alone: something to learn from
            if echo_energy > 1.0 and mic_energy > ECHO_OVER_FLOOR * floor:
                erle = 10 * np.log10(mic_energy / (residual_energy + 1.0))
                erle = float(np.clip(erle, 0.0, 50.0))
                self.erle_db += (PACE if self.converged else COLD_PACE) * (erle - self.erle_db)
                self._learning_db += PACE * (erle - self._learning_db)
            # until it has learnt, all of the error is echo still to remove
            remains = 10 ** (-self._learning_db / 10) if self._learning_db >= CONVERGED_DB else np.inf
            kept = float(np.sum(residual**2))
            self._learnt += len(mic)
            self.filter.learn(spectra, mic, kept, full_scale=self.full_scale, residual_echo=remains)
        self._trim()
        return np.clip(np.round(cleaned), -32768, 32767).astype(np.int16)

    def _fit(self) -> None:
        """Cold, once the delay is known: the filter solved on the sound heard (``echo_fit``), and the
        depth it reaches there taken as the depth expected (its own step still learns as fast as before)."""
        assert self.delay is not None
        heard = self._heard[-round(FIT_WINDOW * RATE) :]
        aligned = self._aligned(self.delay, self._at - len(heard), len(heard))[1 : self.taps + len(heard)]
        if not loud_enough(aligned[self.taps - 1 :]):
            return
        self._fitting = False
        solved = fit(aligned, heard, self.taps, self.full_scale)
        if solved is not None and solved[1] >= CONVERGED_DB:  # not clipped, no voice over it, an echo
            self.filter.set_response(solved[0])
            self.erle_db = solved[1]

    def _passed(self, mic: Floats) -> Samples:
        """A chunk heard while nothing can be cancelled: as it is, held back as the suppressor would."""
        self._near = False
        self.filtered = np.clip(np.round(mic), -32768, 32767).astype(np.int16)
        self._trim()
        passed, _, _ = self.suppressor.process(mic, np.zeros(len(mic)), learn=False)
        return np.clip(np.round(passed), -32768, 32767).astype(np.int16)

    def _tried(self, added: bool) -> bool:
        """One loud chunk heard through a kept path on trial (``added``: the filter left more than the
        microphone heard); False when the path has just been dropped."""
        assert self._trial is not None
        self._trial.append(added)
        if len(self._trial) < TRIAL:
            return True
        if sum(self._trial) * 2 > len(self._trial):
            kept = self.snapshot(trusted=True)
            self.forget("the kept echo path no longer fits (the speaker, its delay or the room changed)")
            self._retry = kept
            return False
        self._trial = None
        return True

    def _follow_doubt(self, doubt: bool, heard: float, left: float) -> None:
        """Loud sound mostly doubted for ``STUCK`` is no voice but a filter that cancels less deeply
        than it is thought to: the depth expected becomes what was measured in the doubted chunks."""
        self._stuck.append((doubt, heard, left))
        doubted = [(h, r) for d, h, r in self._stuck if d]
        if len(self._stuck) == self._stuck.maxlen and len(doubted) >= STUCK_SHARE * len(self._stuck):
            measured = 10 * np.log10((sum(h for h, _ in doubted) + 1.0) / (sum(r for _, r in doubted) + 1.0))
            self.erle_db = min(self.erle_db, max(float(measured), 0.0))
            self._learning_db = min(self._learning_db, self.erle_db)
            self._stuck.clear()

    def _aligned(self, delay: int, begin: int, length: int) -> Floats:
        """The reference the filter needs for ``length`` microphone samples from ``begin`` on at
        ``delay`` (see ``BlockFilter``): the filter's first tap sits ``LEAD`` samples before the delay,
        and every block it works in is whole."""
        whole = -(-length // self.filter.block) * self.filter.block
        first = self._origin + begin - delay + LEAD - self.taps
        need = first + self.taps + whole
        if need > len(self._reference):  # the microphone ran ahead of what was played: silence
            return np.concatenate([self._reference[first:], np.zeros(need - max(first, len(self._reference)))])
        result: Floats = self._reference[first:need]
        return result

    def _heard_as(self, echo: Floats) -> Floats:
        """The echo as the microphone would give it: flattened at its full scale."""
        return np.clip(echo, -self.full_scale, self.full_scale)

    def _listen(self, mic: Floats) -> None:
        """What the microphone says about itself and the delay: its full scale, when it clips, and
        the delay, found at first and then again every ``TRACK_EVERY`` (see the module's docstring)."""
        peak = float(np.max(np.abs(mic)))
        if peak > 1000.0 and int(np.sum(np.abs(mic) >= peak * (1 - FLAT))) >= PILED:
            level, seen = self._pile
            self._pile = (level, seen + 1) if abs(level - peak) <= FLAT * peak else (peak, 1)
            if self._pile[1] >= 3:  # the same flat top in three chunks: the microphone's limit
                self.full_scale = min(32767.0, peak)
        keep = round((4.0 if self.delay is None else TRACK_WINDOW) * RATE)
        self._heard = np.concatenate([self._heard, mic])[-keep:]
        every = TRACK_EVERY if not self._doubt else DOUBT_EVERY
        if self.delay is not None and self._at - self._tracked < every * RATE:
            return
        heard = self._heard
        played = self._reference[self._origin + self._at - len(heard) - self.max_lag : self._origin + self._at]
        if len(heard) < DELAY_AFTER * RATE or float(np.sum(np.abs(played) > 300)) < DELAY_AFTER * RATE * 0.5:
            return
        self._tracked = self._at
        correlation = correlate(heard, played, self.max_lag)
        lag = int(np.argmax(correlation))
        if correlation[lag] < SHARP:
            if self.delay is None and len(heard) >= keep:  # never a clear echo: nothing to cancel
                self._heard = np.zeros(0)
            return
        if self.delay is None:
            self.delay = lag
            kept, self._retry = self._retry, None
            if kept is not None and abs(lag - kept.delay) > MOVED:
                # a speaker whose buffering changed since the path was kept (paired again): the room's
                # response is likely the same, now at another delay; on trial again
                self.restore(kept.model_copy(update={"delay": lag}))
                self._due = True
            else:
                self._fitting = True
            return
        # A move shows first as a peak beside the one at the delay in use (which fades as the window
        # slides on): the best peaks away from it, and away from the span the filter covers (the
        # room's own reflections are there), are tried too.
        candidates = [lag]
        span = self.delay - LEAD, self.delay - LEAD + self.taps
        for lo, hi in [(self.delay - MOVED, self.delay + MOVED + 1), span]:
            correlation[max(0, lo) : max(0, hi)] = 0.0
            if correlation[other := int(np.argmax(correlation))] >= SHARP:
                candidates.append(other)
        recent = round(VERIFY * RATE)
        for candidate in dict.fromkeys(candidates):
            if abs(candidate - self.delay) > MOVED and self._misfit(candidate, recent) < HALF * self._misfit(
                self.delay, recent
            ):
                # the room's response moved as a whole: the filter learnt is right at the new delay
                self.delay = candidate
                self.moves += 1
                if self._trial is not None:  # a kept path is tried again at its new delay
                    self._trial, self._due = [], True
                return

    def _misfit(self, delay: int, count: int) -> float:
        """What the filter in use leaves of the last ``count`` microphone samples at ``delay``."""
        mic = self._heard[-count:]
        reference = self._aligned(delay, self._at - len(mic), len(mic))[: self.taps + len(mic)]
        echo = np.convolve(reference, self.filter.response())[self.taps : self.taps + len(mic)]
        return float(np.sum((mic - self._heard_as(echo)) ** 2))

    def _trim(self) -> None:
        """Forget reference the filter and the delay's estimate can no longer reach (a long reply must
        not grow without end)."""
        reach = max((self.delay or 0) - LEAD + self.taps, len(self._heard) + self.max_lag)
        keep_from = self._origin + self._at - reach - RATE
        if keep_from > RATE:
            self._reference = self._reference[keep_from:]
            self._origin -= keep_from


def echo_canceller(kept: Path | None = None) -> EchoCanceller:
    """The echo canceller barge-in hears the microphone through (the played reply is its reference),
    keeping the room it learns in the file ``kept`` from one start to the next."""
    return MdfEchoCanceller(kept=PathFile(kept) if kept is not None else None)
