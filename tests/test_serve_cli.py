"""`voiceshop serve` and `voiceshop staff`: tokens shown once, loopback unless --public, a real server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from tests.conftest import ROOT
from voiceshop.cli.app import app

runner = CliRunner()


def vs(tmp_path: Path, *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, ["--db", str(tmp_path / "cli.db"), *args])
    stderr = result.stderr if result.stderr_bytes is not None else ""
    assert result.exit_code == code, result.output + stderr
    assert "Traceback" not in result.output + stderr
    return result.stdout, stderr


def test_staff_tokens_are_shown_once_and_kept_hashed(tmp_path: Path) -> None:
    out, err = vs(tmp_path, "staff", "add", "Sam")
    token = out.strip()
    assert token.startswith("vs_") and len(token) > 40 and "shown only once" in err
    stored = (tmp_path / "staff-tokens.json").read_text()
    assert token not in stored and json.loads(stored)["staff"][0]["name"] == "Sam"
    assert "Sam" in vs(tmp_path, "staff", "list")[0]
    assert vs(tmp_path, "staff", "add", "Sam")[0].strip() != token  # a new token replaces the old one
    assert len(json.loads((tmp_path / "staff-tokens.json").read_text())["staff"]) == 1
    vs(tmp_path, "staff", "remove", "Sam")
    assert "no staff tokens" in vs(tmp_path, "staff", "list")[0]
    assert "no staff member called 'Sam'" in vs(tmp_path, "staff", "remove", "Sam", code=1)[1]
    assert "printable" in vs(tmp_path, "staff", "add", " ", code=1)[1]
    (tmp_path / "staff-tokens.json").write_text("{not json")
    assert "damaged" in vs(tmp_path, "staff", "list", code=1)[1]


def test_serve_stays_on_this_machine_unless_public(tmp_path: Path) -> None:
    _, err = vs(tmp_path, "serve", "--host", "0.0.0.0", code=2)
    assert "--public" in err


def test_serve_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _, err = vs(tmp_path, "serve", "--port", str(port), code=1)
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err


def test_serve_runs_a_real_server(tmp_path: Path) -> None:
    env = {**os.environ, "VOICESHOP_DB": str(tmp_path / "store.db"), "VOICESHOP_TOKEN_FILE": str(tmp_path / "t.json")}
    token = subprocess.run(
        [sys.executable, "-m", "voiceshop", "staff", "add", "Sam"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    proc = subprocess.Popen(
        [sys.executable, "-m", "voiceshop", "serve", "--host", "0.0.0.0", "--public", "--port", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"serving .* on http://0\.0\.0\.0:(\d+)/api/v1", line)
        assert match, line
        base = f"http://127.0.0.1:{match.group(1)}/api/v1"
        assert httpx.get(f"{base}/health", timeout=10).json()["status"] == "ok"
        assert httpx.get(f"{base}/orders", timeout=10).status_code == 401
        orders = httpx.get(f"{base}/orders", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert orders.status_code == 200 and orders.json()["items"] == []
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert "warning: serving on 0.0.0.0 over plain HTTP" in err
    assert "Traceback" not in err
