"""Bad input gets one clear line and loses nothing: the CLI's error boundary, shop files that are
not text or are built to hurt, values too large or too long, chat lines that are not text."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, runner
from voiceshop.cli import shop_cmds
from voiceshop.cli.app import EXIT_BUG, app
from voiceshop.nlu.text import clean_heard, is_text
from voiceshop.runtime import Assistant
from voiceshop.shopfiles import load_shop_folder
from voiceshop.storage.db import Database
from voiceshop.storage.shops import ShopRepository


def _copy(tmp_path: Path, shop: str) -> Path:
    folder = tmp_path / shop
    shutil.copytree(EXAMPLES / shop, folder)
    return folder


def test_a_bug_is_one_line_and_a_log_file(vs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("an invariant broke")

    monkeypatch.setenv("VOICESHOP_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(shop_cmds, "load_shop_folder", broken)
    out = vs("shop", "load", str(EXAMPLES / "coffee-bar"), code=EXIT_BUG)
    assert len(set(out.splitlines())) == 1 and "failed unexpectedly (RuntimeError: an invariant broke)" in out
    assert "--debug" in out and str(tmp_path / "logs") in out
    log = (tmp_path / "logs" / "voiceshop-errors.log").read_text()
    assert "Traceback" in log and "an invariant broke" in log and "shop load" in log
    shop = str(EXAMPLES / "coffee-bar")
    result = runner.invoke(app, ["--debug", "--db", str(tmp_path / "d.db"), "shop", "load", shop])
    assert isinstance(result.exception, RuntimeError)


def test_csv_with_a_nul_byte_is_refused_with_its_line(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(tmp_path, "corner-store")
    with (folder / "catalog.csv").open("a", encoding="utf-8") as f:
        f.write("X-1,bad\x00row,x,1.00\n")
    lines = (folder / "catalog.csv").read_text().count("\n")
    out = vs("shop", "load", str(folder), code=1)
    assert f"catalog.csv:{lines}: contains a NUL byte" in out
    assert "no shops loaded" in vs("shop", "list")


def test_a_file_that_is_not_utf8_is_refused_with_its_line(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(tmp_path, "coffee-bar")
    data = (folder / "catalog.yaml").read_bytes().replace(b"iced coffee", "iced caf\u00e9".encode("latin-1"), 1)
    (folder / "catalog.yaml").write_bytes(data)
    line = data[: data.index(b"caf\xe9")].count(b"\n") + 1
    assert f"catalog.yaml:{line}: is not UTF-8 text; save it as UTF-8" in vs("shop", "load", str(folder), code=1)
    # a byte-order mark is fine
    (folder / "catalog.yaml").write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "coffee-bar" / "catalog.yaml").read_bytes())
    vs("shop", "load", str(folder))


def test_yaml_alias_bomb_is_refused_at_once(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(tmp_path, "coffee-bar")
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefghijklmno", "bcdefghijklmnop", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    (folder / "catalog.yaml").write_text("\n".join([*lines, "products: []"]) + "\n")
    start = time.perf_counter()
    out = vs("shop", "load", str(folder), code=1)
    assert time.perf_counter() - start < 10
    assert "uses more than 100 aliases" in out


def test_deep_nesting_is_refused(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(tmp_path, "coffee-bar")
    (folder / "catalog.yaml").write_text("products: " + "[" * 200 + "]" * 200 + "\n")
    assert "nests blocks more than 40 deep" in vs("shop", "load", str(folder), code=1)


def test_a_price_too_large_is_a_problem_not_an_overflow(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(tmp_path, "coffee-bar")
    text = (folder / "catalog.yaml").read_text()
    (folder / "catalog.yaml").write_text(text.replace("price: 4.25", "price: 99999999999999999999999.25", 1))
    assert "is too large for a price" in vs("shop", "load", str(folder), code=1)


def test_a_long_value_is_cut_in_the_message(vs) -> None:  # type: ignore[no-untyped-def]
    vs("shop", "load", str(EXAMPLES / "coffee-bar"))
    out = vs("orders", "place", "-s", "coffee-bar", "2 x " + "A" * 10_000, code=1)
    assert len(out) < 400 and "AAAA\u2026'" in out
    out = vs("orders", "place", "-s", "coffee-bar", "DRK-LATTE, size=" + "B" * 10_000, code=1)
    assert len(out) < 400 and "is not a size for latte" in out


def test_chat_script_that_is_not_utf8(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    vs("shop", "load", str(EXAMPLES / "coffee-bar"))
    script = tmp_path / "script.txt"
    script.write_bytes(b"a latte\none caf\xe9 au lait\n")
    out = vs("chat", "-s", "coffee-bar", "--script", str(script), code=2)
    assert "line 2, is not UTF-8 text; save the file as UTF-8" in " ".join(out.replace("\u2502", " ").split())


def test_binary_on_chat_input_is_skipped(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    runner.invoke(app, ["--db", db, "shop", "load", str(EXAMPLES / "coffee-bar")])
    binary = bytes(range(256)) * 4
    result = runner.invoke(app, ["--db", db, "chat", "-s", "coffee-bar"], input=binary + b"\na latte\n")
    output = result.output + result.stderr
    assert result.exit_code == 0, output
    assert "Traceback" not in output and "not text (UTF-8); it was skipped" in output
    assert "latte" in result.output.split("you: a latte")[-1]


def test_the_assistant_keeps_only_text(tmp_path: Path) -> None:
    assert not is_text("a latte\x00") and not is_text("caf\udce9") and is_text("caf\u00e9\tau lait")
    assert clean_heard("  a\x00latte\udce9 " + "x" * 5000).startswith("a latte x")
    assert len(clean_heard("x " * 5000)) == 1000
    db = Database(tmp_path / "a.db")
    try:
        ShopRepository(db).load(load_shop_folder(EXAMPLES / "coffee-bar"))
        assistant = Assistant(db, "coffee-bar", device="t")
        replies = assistant.hear("a large\x00 latte\udce9 please")
        assert any("latte" in r.text.lower() for r in replies)
        assert assistant.state().cart.lines
    finally:
        db.close()
