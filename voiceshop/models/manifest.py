"""The manifest: which speech models voiceshop knows, where each comes from and how to check it."""

from __future__ import annotations

import importlib.util
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voiceshop.errors import ModelError

Engine = Literal["vosk", "whisper"]


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    """What ``voiceshop models pull NAME`` takes; also the folder name under models/."""
    engine: Engine
    language: str
    """The language the model hears (``en``, ``ko``)."""
    description: str = ""
    url: str | None = None
    """Official download address of the archive (zip or tar.gz)."""
    size: int | None = Field(default=None, gt=0)
    """Archive size in bytes."""
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    package: str | None = None
    """Python package that ships the model (found without downloading)."""
    path: str = ""
    """Folder of the model inside ``package``."""

    @model_validator(mode="after")
    def _one_source(self) -> ModelEntry:
        downloaded = self.url is not None
        if downloaded == (self.package is not None):
            raise ValueError("give either url (with size and sha256) or package, not both")
        if downloaded and (self.size is None or self.sha256 is None):
            raise ValueError("a downloaded model needs its size and sha256")
        return self

    @property
    def packaged(self) -> bool:
        return self.package is not None

    def package_path(self) -> Path | None:
        """Where the package ships the model, if the package is installed (it is not imported)."""
        if self.package is None:
            return None
        spec = importlib.util.find_spec(self.package)
        if spec is None or spec.origin is None:
            return None
        folder = Path(spec.origin).parent / self.path
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

    def for_engine(self, engine: str, language: str) -> list[ModelEntry]:
        return [e for e in self.models if e.engine == engine and e.language == language]

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
