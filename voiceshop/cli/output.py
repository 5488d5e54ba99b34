"""Printing for people (aligned tables, short lines) and for programs (``--json``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import typer
from pydantic import BaseModel

from voiceshop.errors import LONGEST_QUOTE, shorten


def emit_json(data: Any) -> None:
    def default(obj: object) -> object:
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json")
        return str(obj)

    typer.echo(json.dumps(data, default=default, ensure_ascii=False, indent=2))


def emit_json_line(data: Any) -> None:
    """One compact line per record, for a stream of results (one per file)."""
    typer.echo(json.dumps(data, ensure_ascii=False, default=str))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned table: readable on a Pi's serial console and by a screen reader."""
    cells = [[str(h) for h in headers]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in widths))


_QUOTED = re.compile("'([^'\\n]{" + str(LONGEST_QUOTE + 1) + ",})'")


def error(message: str) -> None:
    """One message on stderr; a user's value quoted in it is cut, so a 10,000-character name is not echoed."""
    typer.echo("error: " + _QUOTED.sub(lambda m: repr(shorten(m.group(1))), message), err=True)
