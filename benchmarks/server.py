"""HTTP load benchmark: conversation turns per second and order-board latency, with many devices.

A real ``voiceshop serve`` (its own process, SQLite store in a temporary folder, the bundled demo
shop) on 127.0.0.1; ``--devices`` simulated devices (threads with their own HTTP connection) each run
shopper conversations over the conversation endpoint as fast as the server answers, one after
another, for ``--seconds``; a signed-in staff board listens to the live order stream at the same
time. Prints:

- turns per second served, and the time per turn (median, p95, max);
- orders placed per second;
- board latency: from the moment a device's "yes" turn came back with its order placed to the
  moment that order first appears in the board's event stream (median, p95, max), and how many
  placed orders the board never showed;
- errors (any non-2xx answer).

The devices share the machine with the server (the client threads cost CPU too), so the figures are
a floor for a server on its own machine. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/server.py [--devices 20] [--seconds 20] [--shop examples/coffee-bar]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

# One shopper's conversation: an order from a new session to a placed order. Words the demo shops
# understand; the benchmark is about the server, not understanding.
CONVERSATIONS = {
    "coffee-bar": ["a small espresso and a large oat latte", "checkout", "pick up", "yes"],
    "corner-store": ["two bananas and a pack of AA batteries", "checkout", "pick up", "yes"],
}
ORDER_NUMBER = re.compile(r"number ([a-z ]+?)[,.]")


def voiceshop(db: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "voiceshop", "--db", str(db), *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, **kwargs)


def start_server(db: Path, tokens: Path) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "voiceshop", "--db", str(db), "serve", "--port", "0", "--token-file", str(tokens)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not found:
        proc.kill()
        raise SystemExit(f"the server did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    return proc, f"http://127.0.0.1:{found.group(1)}"


class Board(threading.Thread):
    """A staff board signed in and reading the live order stream: when each order number first shows."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.seen: dict[str, float] = {}
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            self._listen()
        except httpx.HTTPError:
            return  # the server stopped at the end of the run

    def _listen(self) -> None:
        with httpx.Client(base_url=self.url, timeout=None) as client:
            client.post("/board/login", data={"token": self.token}, headers={"Origin": self.url})
            with client.stream("GET", "/board/events") as events:
                self.ready.set()
                data = ""
                for line in events.iter_lines():
                    if self.stop.is_set():
                        return
                    if line.startswith("data: "):
                        data = line[6:]
                    elif not line and data:
                        now = time.perf_counter()
                        for card in json.loads(data):
                            self.seen.setdefault(card["number"], now)
                        data = ""


class Device(threading.Thread):
    def __init__(self, url: str, index: int, shop: str, until: float) -> None:
        super().__init__(daemon=True)
        self.url, self.index, self.shop, self.until = url, index, shop, until
        self.turns: list[float] = []
        self.placed: dict[str, float] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        lines = CONVERSATIONS[self.shop]
        n = 0
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while time.perf_counter() < self.until:
                n += 1
                session = f"bench-{self.index}-{n}"
                for text in [None, *lines]:
                    path = f"/api/v1/conversations/{session}/" + ("start" if text is None else "turns")
                    began = time.perf_counter()
                    resp = client.post(path, json=None if text is None else {"text": text})
                    done = time.perf_counter()
                    if resp.status_code >= 300:
                        self.errors.append(f"{resp.status_code} {resp.text[:120]}")
                        break
                    self.turns.append(done - began)
                    said = " ".join(r["text"] for r in resp.json()["replies"])
                    if text == "yes":
                        found = ORDER_NUMBER.search(said)
                        if found:
                            self.placed[found.group(1)] = done
                        else:
                            self.errors.append(f"no order placed: {said[:120]}")


def spoken_number(number: str) -> str:
    digits = "zero one two three four five six seven eight nine".split()
    return " ".join(digits[int(d)] for d in number if d.isdigit())


def ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return f"median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--shop", type=Path, default=ROOT / "examples" / "coffee-bar")
    args = parser.parse_args()
    shop = args.shop.resolve().name
    if shop not in CONVERSATIONS:
        raise SystemExit(f"no conversation for {shop}; known: {', '.join(CONVERSATIONS)}")

    with tempfile.TemporaryDirectory() as tmp:
        db, tokens = Path(tmp) / "store.db", Path(tmp) / "staff.json"
        voiceshop(db, "shop", "load", str(args.shop))
        token = voiceshop(db, "staff", "add", "bench", "--token-file", str(tokens)).stdout.strip()
        server, url = start_server(db, tokens)
        try:
            board = Board(url, token)
            board.start()
            if not board.ready.wait(20):
                raise SystemExit("the board did not connect")
            began = time.perf_counter()
            until = began + args.seconds
            devices = [Device(url, i, shop, until) for i in range(args.devices)]
            for d in devices:
                d.start()
            for d in devices:
                d.join()
            elapsed = time.perf_counter() - began
            time.sleep(2.0)  # let the board catch up with the last orders
            board.stop.set()
        finally:
            server.terminate()
            server.wait(10)

    turns = [t for d in devices for t in d.turns]
    placed = {spoken: at for d in devices for spoken, at in d.placed.items()}
    seen = {spoken_number(number): at for number, at in board.seen.items()}
    lags = [seen[n] - at for n, at in placed.items() if n in seen]
    errors = [e for d in devices for e in d.errors]
    print(f"load average {os.getloadavg()[0]:.1f}; {args.devices} devices for {elapsed:.1f} s on {shop}")
    print(f"turns: {len(turns)} ({len(turns) / elapsed:.1f}/s); per turn {ms(turns)}")
    print(f"orders placed: {len(placed)} ({len(placed) / elapsed:.2f}/s)")
    print(f"board latency (placed -> on the board): {ms(lags)}; never shown: {len(placed) - len(lags)}")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))


if __name__ == "__main__":
    main()
