"""What a client may send: how large a body, and how many wrong secrets.

Body size: a declared ``Content-Length`` over the limit is refused at once; a body sent in chunks is
counted as it arrives and refused when it passes the limit. Either way the answer is a 413 problem.

Wrong secrets (``Attempts``): staff tokens (the board's sign-in form, a bearer token on the API, the
board's cookie) and purchase PINs said through the conversation endpoint or the web chat are counted
per client address in a sliding window. An address with ``limit`` failures in the last ``window``
seconds is refused (429, ``Retry-After``) without the secret being checked, so a locked client learns
nothing, until its oldest failure leaves the window. A right secret does not wipe the count: it
would let a guesser with one valid token of its own reset its counter between guesses.

A PIN is also limited per customer, in the dialog and the store (three wrong tries lock purchases
for fifteen minutes), so the voice loop, every device sharing a store and every server process see
the same lock; only HTTP has client addresses, so that count lives here, in the server's memory.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voiceshop.server.problems import PROBLEM_JSON, TITLES, TYPE_BASE, HttpProblem

LOGIN_LIMIT = 10
"""Wrong staff tokens one address may send in ``LOGIN_WINDOW`` (typos, a revoked token retried)."""
LOGIN_WINDOW = 5 * 60.0
PIN_LIMIT = 5
"""Wrong PINs one address may say in ``PIN_WINDOW``, over all customers and sessions."""
PIN_WINDOW = 15 * 60.0
MAX_CLIENTS = 10_000
"""Addresses remembered at most; the longest quiet is forgotten first (memory stays bounded)."""


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes; send less"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # an HTTPException passes FastAPI's body reading as it is; the handler makes it a problem
                    raise HTTPException(413, _too_large(self.max_bytes))
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": TYPE_BASE + "too_large",
                "title": TITLES[413],
                "status": 413,
                "detail": _too_large(self.max_bytes),
                "code": "too_large",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


# -- wrong secrets -------------------------------------------------------------------------------


class Attempts:
    """Failures per client in a sliding window of ``window`` seconds; thread-safe."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("an attempt limit needs limit >= 1 and a window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max = max_clients
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, client: str) -> float:
        """Seconds until ``client`` may try again (0.0: now)."""
        with self._lock:
            return self._wait(client, self._clock())

    def fail(self, client: str) -> float:
        """Count a failure; the seconds ``client`` must now wait (0.0: it may try again at once)."""
        now = self._clock()
        with self._lock:
            times = self._failures.pop(client, None) or deque(maxlen=self.limit)
            times.append(now)
            self._failures[client] = times  # the most recent failure last: evicted last
            while len(self._failures) > self._max:
                self._failures.popitem(last=False)
            return self._wait(client, now)

    def _wait(self, client: str, now: float) -> float:
        times = self._failures.get(client)
        if times is None:
            return 0.0
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[client]
            return 0.0
        if len(times) < self.limit:
            return 0.0
        return times[0] + self.window - now


def say_wait(seconds: float) -> str:
    """ "in 40 seconds", "in 12 minutes": when to try again, rounded up."""
    if seconds <= 60:
        whole = max(1, math.ceil(seconds))
        return f"in {whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"in {minutes} minutes"


class TooManyAttempts(HttpProblem):
    """A client sent too many wrong secrets: 429 with ``Retry-After``, nothing checked."""

    def __init__(self, message: str, seconds: float) -> None:
        retry = max(1, math.ceil(seconds))
        super().__init__(message, problem="too_many_attempts", headers={"Retry-After": str(retry)}, retry_after=retry)
        self.retry_after = retry
