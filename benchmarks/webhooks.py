"""Webhook benchmark: outbox events delivered per second to a local receiver, by one worker and by two
workers sharing the store (as two ``voiceshop serve`` processes would), on SQLite and PostgreSQL.

    PYTHONPATH=. .venv/bin/python benchmarks/webhooks.py [--events 500] [--no-postgres]

The receiver is a real HTTP server on 127.0.0.1 answering 204 at once, so the numbers are what the
delivery bookkeeping costs (claim, POST, record, settle), not a slow endpoint. Each worker runs in a
thread, as in ``serve``; the count of events posted more than once is printed too (it must be 0).
SQLite is durable as in use (WAL, synchronous=FULL); PostgreSQL a throwaway cluster with fsync on.
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import pg_cluster  # noqa: E402  # after the path set-up above
from voiceshop.server.webhooks import Endpoint, WebhookWorker  # noqa: E402
from voiceshop.storage import Database  # noqa: E402
from voiceshop.storage.outbox import OutboxRepository  # noqa: E402

SECRET = "bench"


@contextmanager
def receiver() -> Iterator[tuple[str, Counter[int]]]:
    seen: Counter[int] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                seen[int(json.loads(body)["id"])] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    finally:
        server.shutdown()
        server.server_close()


def fill(url: str, events: int) -> None:
    with Database(url) as db, db.transaction() as c:
        c.executemany(
            "INSERT INTO outbox (topic, payload_json, created_at) VALUES (?, ?, ?)",
            [("order.placed", json.dumps({"number": f"{i:06d}"}), "2026-11-26T16:00:00+00:00") for i in range(events)],
        )


def opener(url: str):  # type: ignore[no-untyped-def]
    """Open the store as ``serve`` does (``Services.store``): a SQLite file per step, one shared
    PostgreSQL pool."""
    shared = Database(url) if url.startswith("postgresql") else None

    @contextmanager
    def open_store() -> Iterator[Database]:
        if shared is not None:
            yield shared
            return
        db = Database(url)
        try:
            yield db
        finally:
            db.close()

    return open_store


def run(url: str, events: int, workers: int) -> tuple[float, int]:
    fill(url, events)
    with receiver() as (hook, seen):
        endpoint = Endpoint(hook, SECRET)

        def work(owner: str) -> None:
            open_store = opener(url)
            worker = WebhookWorker(open_store, [endpoint], owner=owner)
            while True:
                if worker.run_once() == 0:
                    with open_store() as db:
                        if not OutboxRepository(db).pending(1):
                            return

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    return events / elapsed, sum(n - 1 for n in seen.values() if n > 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=500)
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    cluster = None
    if not args.no_postgres:
        try:
            cluster = pg_cluster.start({})
        except pg_cluster.ClusterUnavailable as exc:
            print(f"postgresql: skipped ({exc})")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for workers in (1, 2):
                stores = [("sqlite", str(Path(tmp) / f"w{workers}.db"))]
                if cluster is not None:
                    stores.append(("postgresql", cluster.new_database("bench")))
                for kind, url in stores:
                    rate, twice = run(url, args.events, workers)
                    print(f"{kind:10} {workers} worker(s): {rate:7.1f} events/s delivered, {twice} posted twice")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
