"""A download server for the models tests, on 127.0.0.1: it serves what a test puts in ``Files``, and
can cut a body short or ignore a range request, as real servers and networks do."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Files:
    """What the test server serves, and how it misbehaves."""

    def __init__(self) -> None:
        self.content: dict[str, bytes] = {}
        self.cut_after: int | None = None  # close the connection after this many bytes of the body
        self.ignore_range = False
        self.ranges: list[str | None] = []


def serve(files: Files) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = files.content.get(self.path)
            if body is None:
                self.send_error(404)
                return
            wanted = self.headers.get("Range")
            files.ranges.append(wanted)
            start = 0
            if wanted and not files.ignore_range:
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_error(416)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            part = body[start:]
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            if files.cut_after is not None:
                self.wfile.write(part[: files.cut_after])
                self.wfile.flush()
                self.connection.shutdown(2)
                return
            self.wfile.write(part)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server
