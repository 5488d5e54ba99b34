"""Voice commands: ``run`` (the loop), ``transcribe``, ``say``, ``devices``, ``doctor``."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import typer
from platformdirs import user_data_dir

from voiceshop.asr.base import KeyphraseSpotter, Transcript
from voiceshop.asr.base import transcribe as transcribe_samples
from voiceshop.asr.keyphrase import KeyphraseWakeCheck
from voiceshop.asr.wakecheck import AFTER, BEFORE, MARGIN, LikelihoodWakeCheck
from voiceshop.asr.whisper_engine import encoder_fingerprint
from voiceshop.audio.devices import Microphone, Speaker, list_devices
from voiceshop.audio.echo import echo_canceller
from voiceshop.audio.echo_path import PathFile
from voiceshop.audio.endpoint import EndpointSettings
from voiceshop.audio.pcm import RATE, Samples, read_wav, write_wav
from voiceshop.audio.sink import AudioSink, WavFolder
from voiceshop.audio.source import AudioSource, PcmSource, WavSource
from voiceshop.audio.vad import SileroVad
from voiceshop.audio.wakeword import REFRACTORY, WAKE_WORDS, MicroWakeWordDetector
from voiceshop.cli.context import state
from voiceshop.cli.output import emit_json, emit_json_line, table
from voiceshop.errors import LanguageError, ModelError, VoiceshopError
from voiceshop.language import load as load_language
from voiceshop.models import ModelStore, manifest
from voiceshop.runtime import Assistant
from voiceshop.runtime.confirm import verifier_state
from voiceshop.runtime.engines import (
    ENGINES,
    VOICES,
    open_recognizer,
    open_voice,
    open_wake_check,
    pick_engine,
)
from voiceshop.runtime.engines import wake_check_model as wake_check_model_path
from voiceshop.runtime.listen import ListenSettings
from voiceshop.runtime.shops import open_shop
from voiceshop.runtime.voice import VoiceLoop
from voiceshop.storage.privacy import prune_transcripts
from voiceshop.tts.piper_voice import INSTALL as PIPER_INSTALL
from voiceshop.tts.piper_voice import PiperVoice, piper_installed
from voiceshop.tts.voice import Pyttsx3Voice, VoiceSettings, voices

ENGINE = typer.Option("auto", "--engine", "-e", help=f"Recognition engine: {', '.join(ENGINES)}.")
MODEL = typer.Option(None, "--model", "-m", help="An unpacked model folder (Vosk or CTranslate2 Whisper).")
LANGUAGE = typer.Option("en", "--language", "-l", help="Language of the speech.")
TTS = typer.Option("auto", "--tts", help=f"Voice engine: {', '.join(VOICES)} (auto: Piper where installed).")
PIPER_VOICE = typer.Option(
    None,
    "--piper-voice",
    help="A Piper voice: a name from `voiceshop models list`, or any voice's .onnx file (its .onnx.json beside it).",
)
ECHO_PATH = typer.Option(
    None,
    "--echo-path",
    envvar="VOICESHOP_ECHO_PATH",
    help="File the echo canceller keeps the room it learnt in, for barge-in from the first reply "
    "(default: echo-path.json in your data folder; only with a live microphone).",
)
VOICE_HELP = "A Piper voice from `voiceshop models list`, or an espeak-ng voice id or name (doctor lists them)."

WAKE_CHECK_MODEL = typer.Option(
    None,
    "--wake-check-model",
    help="Whisper model that checks each wake word (a name from `voiceshop models list`, e.g. whisper-base, "
    "or a folder); default: the command recogniser (Whisper tiny.en).",
)


def run(
    ctx: typer.Context,
    shop: str | None = typer.Option(None, "--shop", "-s", help="Shop folder (loaded if new or changed) or slug."),
    customer: str | None = typer.Option(None, "--customer", "-c", help="Shop as this customer (remembered)."),
    device: str = typer.Option("speaker", "--device", help="Which device's session to use."),
    source: str = typer.Option("mic", "--input", "-i", help="mic, a WAV file, or - for raw 16-bit PCM on stdin."),
    mic: str | None = typer.Option(None, "--mic", help="Microphone: index or part of its name (voiceshop devices)."),
    speaker: str | None = typer.Option(None, "--speaker", help="Speaker: index or part of its name."),
    out: Path | None = typer.Option(None, "--out", help="Write replies as WAV files here instead of playing them."),
    engine: str = ENGINE,
    model: Path | None = MODEL,
    activation: str = typer.Option(
        "wake", "--activation", "-a", help="wake (wake word model), phrase (your own phrase), push (Enter) or always."
    ),
    wake_word: str = typer.Option("okay nabu", "--wake-word", help=f"Wake word model: {', '.join(WAKE_WORDS)}."),
    wake_phrase: str = typer.Option("hey shop", "--wake-phrase", help="What starts a command in phrase mode."),
    wake_check: bool = typer.Option(
        True, "--wake-check/--no-wake-check", help="Confirm each wake word with the recogniser (over replies too)."
    ),
    wake_check_model: str | None = WAKE_CHECK_MODEL,
    barge_in: bool | None = typer.Option(
        None,
        "--barge-in/--no-barge-in",
        help="Cut a reply on the wake word, 'stop' or 'cancel' said over it (default: with a mic).",
    ),
    answer_window: float = typer.Option(8.0, "--answer-window", help="Seconds to wait for an answer to a question."),
    vad: bool = typer.Option(True, "--vad/--no-vad", help="Only speech (to a voice activity model) starts a command."),
    trailing_silence: float = typer.Option(0.7, "--trailing-silence", help="Seconds of quiet that end a command."),
    voice: str | None = typer.Option(None, "--voice", help=VOICE_HELP),
    rate: int = typer.Option(165, "--rate", help="Speaking rate in words per minute."),
    tts: str = TTS,
    piper_voice: str | None = PIPER_VOICE,
    earcons: bool = typer.Option(
        True, "--earcons/--no-earcons", help="Short tones for listening / not heard / done listening."
    ),
    startup_sound: bool = typer.Option(
        True,
        "--startup-sound/--no-startup-sound",
        help="With barge-in and no room kept yet: a 0.35 s sweep at start-up, so 'stop' is heard from the first reply.",
    ),
    pcm_rate: int = typer.Option(16000, "--pcm-rate", help="Sample rate of raw PCM on stdin."),
    realtime: bool = typer.Option(False, "--realtime", help="Play a WAV input at the speed it was recorded."),
    echo_path: Path | None = ECHO_PATH,
) -> None:
    """Listen, understand, act and answer aloud, until Ctrl-C (or until a WAV input ends)."""
    if activation not in ("wake", "phrase", "push", "always"):
        raise typer.BadParameter("choose wake, phrase, push or always", param_hint="--activation")
    db = state(ctx).db
    slug = open_shop(db, shop)
    prune_transcripts(db)  # the shop's retention setting, applied whenever a channel starts
    assistant = Assistant(db, slug, device=device, customer=customer, channel="voice")
    language = assistant.shops.resolve(slug).shop.locale.split("-")[0]
    recognizer = open_recognizer(engine, language, model)
    heard_from = _source(source, mic, pcm_rate, realtime)
    sink: AudioSink = WavFolder(out) if out is not None else Speaker(speaker)
    settings = ListenSettings(
        activation=activation,  # type: ignore[arg-type]  # checked above
        wake_word=wake_word,
        wake_phrase=wake_phrase,
        wake_check=wake_check,
        vad=vad,
        barge_in=barge_in if barge_in is not None else barge_in_by_default(source, out),
        answer_window=answer_window,
        earcons=earcons,
        startup_sound=startup_sound,
        endpoint=EndpointSettings(trailing_silence=trailing_silence),
    )
    checks = settings.wake_check and settings.activation == "wake"
    # only a live microphone and speaker are a room: a recording's echo path is not the device's
    kept = (echo_path or default_echo_path()) if source == "mic" and out is None else None
    loop = VoiceLoop(
        assistant,
        recognizer,
        open_voice(tts, language, VoiceSettings(voice=voice, rate=rate), piper_voice),
        sink,
        settings,
        typer.echo,
        echo=echo_canceller(kept) if settings.barge_in else None,
        wake_check=open_wake_check(wake_word, wake_check_model) if wake_check_model and checks else None,
    )
    how = {"wake": f'say "{wake_word}"', "phrase": f'say "{wake_phrase}"', "push": "press Enter"}.get(
        activation, "just speak"
    )
    typer.echo(f"voiceshop: {recognizer.name} listening on {heard_from.name} ({how}); Ctrl-C stops", err=True)
    if activation == "push" and source != "-":
        threading.Thread(target=_enter_presses, args=(loop,), daemon=True).start()
    try:
        loop.run(heard_from)
    except KeyboardInterrupt:
        typer.echo("\nvoiceshop: stopped", err=True)
    finally:
        heard_from.close()


def default_echo_path() -> Path:
    """Where the echo canceller keeps the room it learnt: the user's data folder."""
    return Path(user_data_dir("voiceshop", appauthor=False)) / "echo-path.json"


def barge_in_by_default(source: str, out: Path | None) -> bool:
    """Barge-in is for a live microphone and speaker: a recording cannot hear the replies, and a
    folder of reply files is not a room."""
    return source == "mic" and out is None


def _enter_presses(loop: VoiceLoop) -> None:
    for _ in sys.stdin:
        loop.push()


def _source(source: str, mic: str | None, pcm_rate: int, realtime: bool) -> AudioSource:
    if source == "mic":
        return Microphone(mic)
    if source == "-":
        return PcmSource(sys.stdin.buffer, rate=pcm_rate)
    return WavSource(source, realtime=realtime)


def transcribe(
    files: list[Path] = typer.Argument(..., help="WAV files."),
    engine: str = ENGINE,
    model: Path | None = MODEL,
    language: str = LANGUAGE,
    as_json: bool = typer.Option(False, "--json", help="One JSON line per file."),
) -> None:
    """Speech to text only: one model load, then every file."""
    recognizer = open_recognizer(engine, language, model)
    for path, samples in each_recording(files):
        result = transcribe_samples(recognizer, samples)
        if as_json:
            emit_json_line({"file": str(path), **heard_json(result), "words": [vars(w) for w in result.words]})
        else:
            typer.echo(f"{path}: {result.text}")


def each_recording(files: list[Path]) -> Iterator[tuple[Path, Samples]]:
    """Every file that is usable audio; the others each get one line, and the command exits 1 at the end."""
    failed = 0
    for path in files:
        try:
            samples, _ = read_wav(path)
        except VoiceshopError as exc:
            typer.echo(f"error: {exc}", err=True)
            failed += 1
            continue
        yield path, samples
    if failed:
        raise typer.Exit(1)


def heard_json(heard: Transcript) -> dict[str, object]:
    return {
        "engine": heard.engine,
        "text": heard.text,
        "confidence": heard.confidence,
        "alternatives": [{"text": h.text, "confidence": h.confidence} for h in heard.alternatives],
    }


def say(
    text: str = typer.Argument(..., help="What to say."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write a WAV file instead of playing it."),
    voice: str | None = typer.Option(None, "--voice", help=VOICE_HELP),
    rate: int = typer.Option(165, "--rate", help="Words per minute."),
    tts: str = TTS,
    piper_voice: str | None = PIPER_VOICE,
    language: str = LANGUAGE,
    speaker: str | None = typer.Option(None, "--speaker", help="Speaker: index or part of its name."),
) -> None:
    """Speak a sentence with voiceshop's voice (or write it to a WAV file)."""
    samples = open_voice(tts, language, VoiceSettings(voice=voice, rate=rate), piper_voice).synthesize(text)
    if out is not None:
        write_wav(out, samples)
        typer.echo(f"wrote {out} ({len(samples) / 16000:.1f} s)")
    else:
        Speaker(speaker).play(samples)


def devices(as_json: bool = typer.Option(False, "--json")) -> None:
    """The sound devices PortAudio sees (inputs are microphones, outputs speakers)."""
    found = list_devices()
    if as_json:
        emit_json([vars(d) for d in found])
        return
    if not found:
        typer.echo("no sound devices found (plug in a USB microphone or speaker; check `arecord -l`)")
        return
    rows = [
        [
            d.index,
            d.name,
            d.inputs,
            d.outputs,
            f"{d.rate:.0f}",
            ("in " if d.default_in else "") + ("out" if d.default_out else ""),
        ]
        for d in found
    ]
    table(["#", "NAME", "IN", "OUT", "RATE", "DEFAULT"], rows)


def doctor(
    ctx: typer.Context,
    language: str = LANGUAGE,
    wake_word: str = typer.Option(
        ListenSettings().wake_word, "--wake-word", help=f"Wake word model: {', '.join(WAKE_WORDS)}."
    ),
    tts: str = TTS,
    piper_voice: str | None = PIPER_VOICE,
    echo_path: Path | None = ECHO_PATH,
    engine_name: str = ENGINE,
    wake_check_model: str | None = WAKE_CHECK_MODEL,
) -> None:
    """What works on this machine for voice, what `voiceshop run` would use, and how to fix what does not."""
    problems = 0

    def check(what: str, test: object) -> None:
        nonlocal problems
        try:
            detail = test() if callable(test) else test
            typer.echo(f"ok       {what}: {detail}")
        except VoiceshopError as exc:
            problems += 1
            typer.echo(f"PROBLEM  {what}: {exc}")

    def sound() -> str:
        found = list_devices()
        ins = [d.name for d in found if d.inputs]
        outs = [d.name for d in found if d.outputs]
        if not ins:
            raise VoiceshopError("no microphone; plug one in, or run with --input FILE.wav")
        return f"{len(ins)} microphone(s), {len(outs)} speaker(s)"

    def engine(kind: str) -> str:
        name, path = pick_engine(kind, language, None)
        return f"{name} model in {path}"

    def espeak() -> str:
        found = voices()
        samples = Pyttsx3Voice().synthesize("ok")
        return f"{len(found)} voices; speech renders ({len(samples) / 16000:.1f} s for 'ok')"

    def wake() -> str:
        detector = MicroWakeWordDetector(wake_word)
        others = ", ".join(w for w in WAKE_WORDS if w != detector.name)
        return (
            f"{detector.name!r} (microWakeWord model {Path(detector.model_path).name}, fires above "
            f"{detector.cutoff:.2f}, then not again for {REFRACTORY:.1f} s); also packaged: {others} (--wake-word)"
        )

    def confirming() -> str:
        def hears(after: float, over_replies: bool = True) -> str:
            where = "over a reply too" if over_replies else "not over a reply, where a fire cuts it at once"
            return f"it hears {BEFORE:g} s before the fire and {after:g} s after, {where}"

        how = f"{LikelihoodWakeCheck.__doc__}".strip().rstrip(".").lower()
        # with --wake-check-model no command engine is needed to check; else the one `voiceshop run` would take
        name = "whisper" if wake_check_model else pick_engine(engine_name, language, None)[0]
        if name.split("+")[0] == "whisper":  # two engines agreeing check with the leading one
            scorer = (
                f"the Whisper model {wake_check_model_path(wake_check_model)} (--wake-check-model)"
                if wake_check_model
                else "the whisper engine"
            )
            return (
                f"on for {wake_word!r} with {scorer} (--no-wake-check turns it off; --wake-check-model picks "
                f"another Whisper model): {how}, within a log-likelihood of {MARGIN:g}; {hears(AFTER)}"
            )
        recognizer = open_recognizer(name, language)
        if not isinstance(recognizer, KeyphraseSpotter):
            raise VoiceshopError(f"none with the {name} engine: every fire of the wake word wakes the device")
        check = KeyphraseWakeCheck(recognizer, wake_word)  # says why when the engine cannot say the phrase
        return f"on for {wake_word!r} with the {name} engine (--no-wake-check turns it off): {check.name}; " + hears(
            check.after, check.over_replies
        )

    def verifying() -> str:
        if wake_check_model:
            return "not used with --wake-check-model: it knows only the encoder it was trained on"
        name, path = pick_engine(engine_name, language, None)
        if name.split("+")[0] != "whisper":
            return f"not used with the {name} engine: it runs on Whisper's encoder"
        try:
            return verifier_state(wake_word, encoder_fingerprint(path))
        except ModelError as exc:
            raise VoiceshopError(f"{exc}; the likelihood check runs alone meanwhile") from None

    def activity() -> str:
        vad = SileroVad()
        threshold = EndpointSettings().vad_threshold
        model = Path(vad.model_path).name
        return f"{vad.name}, model {model}; speech at probability {threshold:.2f} or more (--no-vad)"

    def voice() -> str:
        found = open_voice(tts, language, VoiceSettings(), piper_voice)  # the loop's own choice
        seconds = len(found.synthesize("ok")) / 16000
        if isinstance(found, PiperVoice):
            how = "from its first stretch" if found.stream else f"once it is all made (for sooner: {PIPER_INSTALL})"
            return f"Piper, voice {found.model_path} ({seconds:.1f} s for 'ok'; a sentence plays {how})"
        if tts == "espeak":
            why = "asked for with --tts espeak"
        elif not piper_installed():
            why = f"the optional Piper voice is not installed; for it, run: {PIPER_INSTALL}"
        else:
            why = (
                f"no Piper voice for language {language!r} is installed; "
                "see `voiceshop models list` and pull one, or pass --piper-voice FILE.onnx"
            )
        return f"espeak-ng ({seconds:.1f} s for 'ok'), because {why}"

    def echo() -> str:
        canceller = echo_canceller()  # the loop's own
        what = (type(canceller).__doc__ or "").strip().splitlines()[0].rstrip(".")
        default = "on" if barge_in_by_default("mic", None) else "off"
        try:
            phrases = load_language(language).interrupt_words
            words = f"stop: {', '.join(phrases.stop)}; cancel: {', '.join(phrases.cancel)}"
        except LanguageError:
            words = f"none for {language!r}, so only the wake word cuts a reply"
        return (
            f"{default} with a microphone, off with --input FILE or --out DIR (--no-barge-in); echo canceller "
            f"{type(canceller).__name__} ({what}; built in); it needs the wake word model and the "
            f"language's interrupting phrases ({words}); {room(echo_path or default_echo_path())}"
        )

    def room(path: Path) -> str:
        kept_file = PathFile(path)
        kept = kept_file.load()
        if kept is None:
            why = kept_file.problem or f"no room kept in {path} yet (it is, once a reply has been cancelled)"
            return (
                f"{why}; the next start plays a 0.35 s sweep (--no-startup-sound: none) and the room is learnt "
                "on it, so a 'stop' over the first reply is heard (without it, once the room is learnt: 0.5 s)"
            )
        when = datetime.fromtimestamp(kept.saved, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"the room learnt is kept in {path} ({kept.delay / RATE * 1000:.0f} ms late, echo "
            f"{kept.erle_db:.0f} dB down, {when}), so a 'stop' over the first reply is heard"
        )

    check("sound devices", sound)
    check("wake word", wake)
    check("wake check", confirming)
    check("wake verifier", verifying)
    check("voice activity", activity)
    check("vosk", lambda: engine("vosk"))
    check("whisper", lambda: engine("whisper"))
    store = ModelStore()
    for entry in manifest().models:
        status = store.status(entry)
        typer.echo(
            f"{'ok' if status.path else 'info':<8} model {entry.name}: {status.state} {status.path or status.detail}"
        )
    check("speech out", espeak)
    check("voice", voice)
    check("barge-in", echo)
    check("store", lambda: state(ctx).db.check())
    if problems:
        typer.echo(f"\n{problems} problem(s); voiceshop still runs with what works (e.g. --input FILE.wav, --out DIR)")
