"""Parse YAML or JSON text into plain data plus a map from each value's path to its line number.

Pydantic reports errors by path (``("products", 3, "price")``); this map turns that into a line a
shop owner can jump to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass
class Located:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """Line of the deepest part of ``path`` that exists in the file."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class ParseError(ValueError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            # the key's own line is where "price: -1" is written, even when the value spans lines
            child = (*path, key)
            _walk(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)


def _duplicate_keys(node: yaml.Node, path: Path) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                found.append((key, key_node.start_mark.line + 1))
            seen.add(key)
            found += _duplicate_keys(value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found += _duplicate_keys(item, (*path, i))
    return found


MAX_ALIASES = 100
"""Aliases (``*name``) one file may use: enough for shared option lists, too few for an alias bomb."""
MAX_DEPTH = 40
"""Nesting of blocks and lists; a catalog needs about six."""


def _check_shape(text: str) -> None:
    """Refuse an alias bomb or absurd nesting before anything is built from the text (linear time)."""
    aliases = depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise ParseError(
                    f"uses more than {MAX_ALIASES} aliases (*name); write the values out or use option_groups",
                    line,
                )
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise ParseError(f"nests blocks more than {MAX_DEPTH} deep", line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_yaml(text: str) -> Located:
    try:
        _check_shape(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "not valid YAML"
        raise ParseError(f"not valid YAML: {reason}", line) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"not valid YAML: {exc}", None) from None
    lines: dict[Path, int] = {}
    if node is not None:
        dupes = _duplicate_keys(node, ())
        if dupes:
            key, line = dupes[0]
            raise ParseError(f"key {key!r} appears twice in the same block", line)
        _walk(node, (), lines)
    return Located(data, lines)


def parse_json(text: str) -> Located:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    try:
        # JSON is (nearly) YAML: reuse the YAML composer just for line numbers, best effort.
        lines = parse_yaml(text).lines
    except ParseError:
        lines = {}
    return Located(data, lines)
