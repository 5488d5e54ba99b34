"""The models manager against a real HTTP server on 127.0.0.1: checksums, resume, unsafe archives, atomic install."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.downloads import Files
from voiceshop.errors import DownloadError, ModelError
from voiceshop.models import ModelEntry, ModelStore, manifest
from voiceshop.models.manifest import Manifest
from voiceshop.models.store import MARKER


def vosk_zip(version: str = "1", extra: dict[str, bytes] | None = None, top: str = "vosk-model-test") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(f"{top}/am/final.mdl", b"acoustic model " + version.encode() * 5000)
        z.writestr(f"{top}/conf/model.conf", b"--sample-frequency=16000\n")
        z.writestr(f"{top}/graph/words.txt", f"version {version}\n".encode())
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buffer.getvalue()


def entry_for(files: Files, data: bytes, name: str = "vosk-test", path: str = "/model.zip") -> ModelEntry:
    files.content[path] = data
    return ModelEntry(
        name=name,
        engine="vosk",
        language="en",
        url=files.base + path,  # type: ignore[attr-defined]
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def test_pull_downloads_verifies_and_installs(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    entry = entry_for(files, vosk_zip())
    seen: list[tuple[int, int]] = []
    installed = store.pull(entry, progress=lambda done, total: seen.append((done, total)))
    assert installed == tmp_path / "models" / "vosk-test"
    assert (installed / "am" / "final.mdl").is_file()  # the archive's top folder was lifted
    assert store.status(entry).state == "installed" and store.path(entry) == installed
    assert seen[-1] == (entry.size, entry.size)
    assert store.verify(entry) == []
    (installed / "graph" / "words.txt").write_text("tampered\n")
    assert store.verify(entry)[0] == "graph/words.txt has changed"
    assert not list((tmp_path / "models").glob(".*-*"))  # no staging or download leftovers


def test_checksum_mismatch_installs_nothing(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    entry = entry_for(files, vosk_zip()).model_copy(update={"sha256": "0" * 64})
    with pytest.raises(DownloadError, match="damaged or not the expected one"):
        store.pull(entry)
    assert store.status(entry).state == "missing"
    assert not (tmp_path / "models" / ".downloads" / "vosk-test.part").exists()


def test_truncated_download_resumes_where_it_stopped(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    data = vosk_zip()
    entry = entry_for(files, data)
    files.cut_after = len(data) // 3
    with pytest.raises(DownloadError, match="run the same command again to resume"):
        store.pull(entry)
    partial = tmp_path / "models" / ".downloads" / "vosk-test.part"
    assert partial.stat().st_size == len(data) // 3
    assert store.status(entry).state == "missing"
    files.cut_after = None
    store.pull(entry)
    assert files.ranges[-1] == f"bytes={len(data) // 3}-"
    assert store.verify(entry) == [] and not partial.exists()


def test_a_server_that_ignores_the_range_still_gives_a_good_model(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    data = vosk_zip()
    entry = entry_for(files, data)
    partial = tmp_path / "models" / ".downloads" / "vosk-test.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(data[:1000])
    files.ignore_range = True
    store.pull(entry)
    assert store.verify(entry) == []


@pytest.mark.parametrize(
    "evil",
    ["../escaped.txt", "vosk-model-test/../../escaped.txt", "/tmp/voiceshop-escaped.txt"],
)
def test_zip_entries_outside_the_folder_are_refused(files: Files, tmp_path: Path, evil: str) -> None:
    store = ModelStore(tmp_path / "models")
    entry = entry_for(files, vosk_zip(extra={evil: b"gotcha"}))
    with pytest.raises(DownloadError, match="outside the model folder"):
        store.pull(entry)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "models" / "escaped.txt").exists()
    assert not Path("/tmp/voiceshop-escaped.txt").exists()
    assert store.status(entry).state == "missing"


def test_tar_with_a_link_is_refused(files: Files, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as t:
        for name, data in [("m/am/final.mdl", b"x" * 100), ("m/conf/model.conf", b"y")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("m/graph")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc"
        t.addfile(link)
    store = ModelStore(tmp_path / "models")
    entry = entry_for(files, buffer.getvalue(), path="/model.tar.gz")
    with pytest.raises(DownloadError, match="link"):
        store.pull(entry)
    assert store.status(entry).state == "missing"


def test_a_failed_install_leaves_the_old_model_intact(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    old = entry_for(files, vosk_zip("1"))
    store.pull(old)
    # the new archive is damaged half-way through: the zip directory is there, a member's data is not
    broken = bytearray(vosk_zip("2"))
    broken[200:400] = b"\x00" * 200
    newer = entry_for(files, bytes(broken), path="/model2.zip")
    with pytest.raises(Exception):  # noqa: B017 - zlib or zipfile, whichever notices first
        store.pull(newer)
    assert store.verify(old) == []
    assert (store.folder(old) / "graph" / "words.txt").read_text() == "version 1\n"
    # an archive without a model in it is refused the same way
    empty = entry_for(files, _zip_of({"readme.txt": b"hi"}), path="/model3.zip")
    with pytest.raises(ModelError, match="holds no vosk model"):
        store.pull(empty)
    assert (store.folder(old) / "graph" / "words.txt").read_text() == "version 1\n"
    assert not list((tmp_path / "models").glob(".staging-*"))


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_a_process_killed_between_the_renames_gets_the_old_model_back(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    entry = entry_for(files, vosk_zip("1"))
    store.pull(entry)
    # what a kill right after "target -> .old-NAME" leaves behind
    store.folder(entry).rename(tmp_path / "models" / ".old-vosk-test")
    (tmp_path / "models" / ".staging-vosk-test-999").mkdir()
    again = ModelStore(tmp_path / "models")
    assert again.verify(entry) == []
    assert not list((tmp_path / "models").glob(".*-*"))


def test_remove_and_packaged_models(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    entry = entry_for(files, vosk_zip())
    store.pull(entry)
    store.remove(entry)
    assert store.status(entry).state == "missing"
    with pytest.raises(ModelError, match="not installed"):
        store.remove(entry)
    bundled = manifest().get("whisper-tiny-en")
    assert store.status(bundled).state == "packaged"
    assert (store.pull(bundled) / "model.bin").is_file()  # found, not downloaded
    with pytest.raises(ModelError, match="pip uninstall"):
        store.remove(bundled)


def test_unreachable_server_and_unknown_names(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    entry = ModelEntry(name="x", engine="vosk", language="en", url="http://127.0.0.1:9/x.zip", size=10, sha256="a" * 64)
    with pytest.raises(DownloadError, match="check the network"):
        store.pull(entry)
    with pytest.raises(ModelError, match="known models: vosk-en-us-small"):
        manifest().get("vosk-klingon")


def test_the_manifest_is_checked() -> None:
    assert manifest().get("vosk-en-us-small").size == 41_205_931
    with pytest.raises(ModelError, match="exactly one of: url"):
        Manifest.from_yaml("models: [{name: a, engine: vosk, language: en}]")
    with pytest.raises(ModelError, match="size and sha256"):
        Manifest.from_yaml("models: [{name: a, engine: vosk, language: en, url: 'http://x/a.zip'}]")


def test_marker_lists_every_file(files: Files, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    entry = entry_for(files, vosk_zip())
    folder = store.pull(entry)
    marker = (folder / MARKER).read_text()
    assert "am/final.mdl" in marker and "graph/words.txt" in marker
