"""What every request shares: where the store is, the staff tokens, the counts of wrong secrets per
client address, and one lock per chat session.

SQLite connections belong to the thread that opened them and requests run on a pool of threads, so
each request opens a SQLite store for itself (cheap: a file open and a few pragmas) and closes it
after. A PostgreSQL store is opened once: its connection pool serves every thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from voiceshop.server.auth import StaffTokens
from voiceshop.server.limits import (
    LOGIN_LIMIT,
    LOGIN_WINDOW,
    PIN_LIMIT,
    PIN_WINDOW,
    Attempts,
    TooManyAttempts,
    say_wait,
)
from voiceshop.storage import Database, parse_target
from voiceshop.storage.db import POSTGRES

MAX_BODY = 64 * 1024
"""Bytes a request body may have: an order of 100 lines is a few kilobytes."""


@dataclass
class Services:
    db_path: str | Path | None
    """The store file; None: the default (``$VOICESHOP_DB`` or the user data folder)."""
    tokens: StaffTokens
    max_body: int = MAX_BODY
    logins: Attempts = field(default_factory=lambda: Attempts(LOGIN_LIMIT, LOGIN_WINDOW))
    """Wrong staff tokens per client address (sign-in form, bearer token, board cookie)."""
    pins: Attempts = field(default_factory=lambda: Attempts(PIN_LIMIT, PIN_WINDOW))
    """Wrong purchase PINs per client address, said through the conversation endpoint or web chat."""
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shared: Database | None = field(default=None, repr=False)

    @contextmanager
    def store(self) -> Iterator[Database]:
        if parse_target(self.db_path)[0] == POSTGRES:
            with self._guard:
                if self._shared is None:
                    self._shared = Database(self.db_path)
            yield self._shared
            return
        db = Database(self.db_path)
        try:
            yield db
        finally:
            db.close()

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None

    def staff(self, token: str, client: str) -> str | None:
        """The staff member ``token`` belongs to, or None (counted against ``client``, the address).

        Raises ``TooManyAttempts`` without looking at the token while the address is locked out."""
        wait = self.logins.wait(client)
        if wait > 0:
            raise TooManyAttempts(
                f"too many wrong staff tokens came from your address; try again {say_wait(wait)}", wait
            )
        name = self.tokens.who(token)
        if name is None:
            self.logins.fail(client)
        return name

    def session_lock(self, key: str) -> threading.Lock:
        """One turn at a time per chat session: a second request waits instead of racing the first."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def services(request: Request) -> Services:
    svc = request.app.state.services
    assert isinstance(svc, Services)
    return svc


def client_address(request: Request) -> str:
    """Who is asking, for counting wrong secrets: the peer address (behind a trusted local TLS proxy,
    uvicorn has already put the forwarded client address here)."""
    return request.client.host if request.client is not None else "unknown"
