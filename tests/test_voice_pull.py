"""Piper voices as models: pulled from a real HTTP server on 127.0.0.1 (both files, MD5-checked, installed
all at once), then chosen by the runtime and heard. The "downloadable" voice is the packaged English
voice's real .onnx and .onnx.json served under another name, so nothing comes from the internet."""

from __future__ import annotations

import errno
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import runner
from tests.downloads import Files
from voiceshop.audio.pcm import RATE, read_wav
from voiceshop.cli import models_cmds
from voiceshop.cli.app import app
from voiceshop.errors import DownloadError, ModelError, SpeechOutputError
from voiceshop.models import ModelEntry, ModelStore, manifest
from voiceshop.models.manifest import Manifest
from voiceshop.runtime import engines
from voiceshop.runtime.engines import open_voice, pick_voice
from voiceshop.tts.piper_voice import packaged_voice, piper_installed
from voiceshop.tts.voice import VoiceSettings

KEY = "sv_SE-test-medium"
NAME = "piper-sv-test"
needs_joe = pytest.mark.skipif(
    packaged_voice("en") is None, reason="the piper extra is not installed (pip install '.[piper]')"
)


@cache
def joe() -> dict[str, bytes]:
    onnx = packaged_voice("en")
    assert onnx is not None
    return {f"{KEY}.onnx": onnx.read_bytes(), f"{KEY}.onnx.json": Path(f"{onnx}.json").read_bytes()}


def voice_entry(files: Files, md5s: dict[str, str] | None = None) -> ModelEntry:
    """The served voice as a manifest entry, its sizes and MD5 digests computed here."""
    remote = []
    for name, data in joe().items():
        files.content[f"/voices/{name}"] = data
        digest = (md5s or {}).get(name, hashlib.md5(data).hexdigest())
        remote.append({"name": name, "url": f"{files.base}/voices/{name}", "size": len(data), "md5": digest})  # type: ignore[attr-defined]
    return ModelEntry.model_validate({"name": NAME, "engine": "piper", "language": "sv", "files": remote})


def leftovers(root: Path) -> list[Path]:
    """Staging, old or half-removed folders left in the models folder."""
    return [p for p in root.glob(".*") if p.name != ".downloads"]


@needs_joe
@pytest.mark.skipif(not piper_installed(), reason="the piper extra is not installed")
def test_a_pulled_voice_is_chosen_and_speaks(files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = voice_entry(files)
    known = Manifest(models=(manifest().get("piper-en-us-joe-medium"), entry))
    monkeypatch.setattr(engines, "manifest", lambda: known)
    monkeypatch.setattr(models_cmds, "manifest", lambda: known)
    root = tmp_path / "models"
    monkeypatch.setenv("VOICESHOP_MODELS", str(root))

    pulled = runner.invoke(app, ["models", "pull", NAME])
    assert pulled.exit_code == 0, pulled.output
    store = ModelStore(root)
    onnx = root / NAME / f"{KEY}.onnx"
    assert store.voice_file(entry) == onnx and Path(f"{onnx}.json").is_file()
    assert not leftovers(root) and not (root / ".downloads" / NAME).exists()  # downloads cleared too
    listed = {m["name"]: m for m in json.loads(runner.invoke(app, ["models", "list", "--json"]).output)}
    assert listed[NAME]["state"] == "installed" and listed[NAME]["checked_by"] == "md5"
    assert runner.invoke(app, ["models", "path", NAME]).output.strip() == str(onnx)
    assert runner.invoke(app, ["models", "verify", NAME]).output.strip() == f"{NAME}: ok"

    # the shop's language has no packaged voice: the pulled one speaks, through `say` as through the loop
    said = runner.invoke(app, ["say", "Hej, vad vill du ha?", "--language", "sv", "--out", str(tmp_path / "sv.wav")])
    assert said.exit_code == 0, said.output
    samples, _ = read_wav(tmp_path / "sv.wav")
    assert len(samples) > RATE // 2 and np.abs(samples).max() > 3000
    assert getattr(open_voice("auto", "sv", store=store), "model_path", "") == str(onnx)
    # English keeps the packaged voice; --voice NAME (or --piper-voice NAME) picks the pulled one anywhere
    plain = VoiceSettings()
    assert pick_voice("auto", "en", plain, store=store) == packaged_voice("en")
    assert pick_voice("auto", "en", VoiceSettings(voice=NAME), store=store) == onnx
    assert pick_voice("piper", "en", plain, NAME, store=store) == onnx
    assert pick_voice("auto", "en", VoiceSettings(voice="en-gb"), store=store) == packaged_voice("en")  # espeak's
    with pytest.raises(SpeechOutputError, match="is a Piper voice; leave out --tts espeak"):
        pick_voice("espeak", "en", VoiceSettings(voice=NAME), store=store)
    with pytest.raises(SpeechOutputError, match="no such file, and no Piper voice of that name"):
        pick_voice("auto", "en", plain, "piper-klingon", store=store)

    # a voice missing one of its files is not used, and says how to get it back
    Path(f"{onnx}.json").unlink()
    assert store.status(entry).state == "damaged" and f"({KEY}.onnx.json missing)" in store.verify(entry)[0]
    with pytest.raises(SpeechOutputError, match=f"run: voiceshop models pull {NAME}"):
        open_voice("piper", "sv", store=store)
    assert open_voice("auto", "sv", store=store).name == "espeak"
    assert runner.invoke(app, ["models", "remove", NAME]).exit_code == 0
    assert store.status(entry).state == "missing"


@needs_joe
def test_a_bad_checksum_installs_nothing_and_says_so(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    entry = voice_entry(files, md5s={f"{KEY}.onnx.json": "0" * 32})
    with pytest.raises(DownloadError, match=r"damaged or not the expected one \(MD5 .*deleted, run the command"):
        store.pull(entry)
    assert store.status(entry).state == "missing" and not store.folder(entry).exists()
    assert not leftovers(tmp_path / "models")
    # the .onnx arrived whole and checked: kept, so the next attempt does not fetch it again
    assert (tmp_path / "models" / ".downloads" / NAME / f"{KEY}.onnx.part").is_file()


@needs_joe
def test_an_interrupted_download_resumes_and_nothing_is_half_installed(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    entry = voice_entry(files)
    files.cut_after = 5_000_000
    with pytest.raises(DownloadError, match="stopped at 5,000,000 of 63,201,294 bytes; run the same command again"):
        store.pull(entry)
    assert store.status(entry).state == "missing" and not store.folder(entry).exists()
    files.cut_after = None
    store.pull(entry)
    assert "bytes=5000000-" in files.ranges
    assert store.verify(entry) == [] and not leftovers(tmp_path / "models")
    assert not (tmp_path / "models" / ".downloads" / NAME).exists()
    # a file changed after the install is caught against the published digest
    (store.folder(entry) / f"{KEY}.onnx.json").write_text("{}")
    assert store.verify(entry)[0].startswith(f"{KEY}.onnx.json has 2 bytes")


@needs_joe
def test_a_missing_file_no_network_and_a_full_disk(
    files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ModelStore(tmp_path / "models")
    entry = voice_entry(files)
    del files.content[f"/voices/{KEY}.onnx.json"]  # upstream lost one of the two files
    with pytest.raises(DownloadError, match="server answered 404"):
        store.pull(entry)
    assert not store.folder(entry).exists()
    # files fetched by hand: the .onnx is given, the .onnx.json must sit beside it
    by_hand = tmp_path / "by-hand"
    by_hand.mkdir()
    (by_hand / f"{KEY}.onnx").write_bytes(joe()[f"{KEY}.onnx"])
    with pytest.raises(ModelError, match=rf"{KEY}.onnx.json is missing; {NAME} needs"):
        store.pull(entry, archive=by_hand / f"{KEY}.onnx")
    (by_hand / f"{KEY}.onnx.json").write_bytes(joe()[f"{KEY}.onnx.json"])
    assert store.pull(entry, archive=by_hand / f"{KEY}.onnx") == store.folder(entry)
    assert store.verify(entry) == [] and (by_hand / f"{KEY}.onnx").is_file()  # the user's copies stay

    offline = ModelEntry.model_validate(
        {"name": "piper-offline", "engine": "piper", "language": "sv",
         "files": [{"name": "x.onnx", "url": "http://127.0.0.1:9/x.onnx", "size": 10, "md5": "0" * 32}]}
    )  # fmt: skip
    with pytest.raises(DownloadError, match="check the network"):
        store.pull(offline)
    store.remove(entry)
    with monkeypatch.context() as tight:  # too little room: refused before a byte is fetched
        tight.setattr("shutil.disk_usage", lambda _path: type("Usage", (), {"free": 1_000_000})())
        with pytest.raises(DownloadError, match=r"is full: 62 MB more are needed; free some space"):
            store.pull(entry)
    real_open = Path.open

    def filling(path: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        opened = real_open(path, mode, *args, **kwargs)
        return FillingDisk(opened) if path.suffix == ".part" else opened

    monkeypatch.setattr(Path, "open", filling)  # the disk fills up while the download runs
    with pytest.raises(DownloadError, match=r"is full: 62 MB more are needed; free some space .* run the same"):
        store.pull(entry)
    assert not store.folder(entry).exists()


class FillingDisk:
    """A file on a disk that is full after 1 MB."""

    def __init__(self, file: Any) -> None:
        self.file = file

    def __enter__(self) -> FillingDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    def write(self, block: bytes) -> int:
        if self.file.tell() + len(block) > 1_000_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return int(self.file.write(block))


def test_the_manifest_publishes_a_digest_for_every_voice_file() -> None:
    voices = [e for e in manifest().models if e.engine == "piper" and not e.packaged]
    assert {e.language for e in voices} >= {"en", "ru", "sv", "no", "sl", "id"}
    for entry in voices:
        names = sorted(f.name for f in entry.files)
        assert len(names) == 2 and names[1] == f"{names[0]}.json" and entry.digest_name == "md5"
        assert all("/resolve/c10ece1aade47bb51c153c893d14e5bf8e5b7117/" in f.url for f in entry.files)
    assert [e.name for e in manifest().for_engine("piper", "nb")] == ["piper-no-no-talesyntese-medium"]
    bad = "models: [{name: a, engine: piper, language: sv, files: [{name: a.onnx, url: 'http://x/a', size: 1}]}]"
    with pytest.raises(ModelError, match="give its sha256 or its md5"):
        Manifest.from_yaml(bad)
