"""Staff tokens: who may use the staff API.

A token is 32 random bytes (URL-safe base64), shown once when made. The file keeps only its SHA-256
hash (a random token of that length needs no slow hash, unlike a PIN), the staff member's name and when
it was made, so a copy of the file lets nobody in. The server re-reads the file when it changes, so
``voiceshop staff add`` works on a running server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from voiceshop.errors import VoiceshopError, shorten

TOKEN_PREFIX = "vs_"


class StaffError(VoiceshopError):
    """An operator's mistake, said on the command line; never met by a shopper (code "failed")."""


@dataclass(frozen=True)
class StaffMember:
    name: str
    token_hash: str
    created_at: str


def _hash(token: str) -> str:
    return "sha256$" + hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffTokens:
    """The token file: ``{"staff": [{"name", "token_hash", "created_at"}]}``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._members: list[StaffMember] = []

    # -- managing --------------------------------------------------------------------------------

    def members(self) -> list[StaffMember]:
        with self._lock:
            self._refresh()
            return list(self._members)

    def add(self, name: str) -> str:
        """A new token for ``name`` (returned once, never stored); replaces their old one."""
        name = name.strip()
        if not name or len(name) > 80 or not name.isprintable():
            raise StaffError(f"a staff name must be 1 to 80 printable characters, not {shorten(name)!r}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            self._refresh()
            kept = [m for m in self._members if m.name.lower() != name.lower()]
            kept.append(StaffMember(name, _hash(token), datetime.now(UTC).isoformat(timespec="seconds")))
            self._write(kept)
        return token

    def remove(self, name: str) -> None:
        with self._lock:
            self._refresh()
            kept = [m for m in self._members if m.name.lower() != name.strip().lower()]
            if len(kept) == len(self._members):
                raise StaffError(f"no staff member called {shorten(name)!r} in {self.path}")
            self._write(kept)

    # -- checking --------------------------------------------------------------------------------

    def who(self, token: str) -> str | None:
        """The staff member a token belongs to, or None. Every hash is compared, in constant time."""
        digest = _hash(token)
        with self._lock:
            self._refresh()
            found = None
            for member in self._members:
                if hmac.compare_digest(member.token_hash, digest):
                    found = member.name
            return found

    # -- the file --------------------------------------------------------------------------------

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._members = None, []
            return
        except OSError as exc:
            raise StaffError(f"cannot read the staff token file {self.path}: {exc.strerror}") from None
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            members = [StaffMember(str(m["name"]), str(m["token_hash"]), str(m["created_at"])) for m in data["staff"]]
        except (OSError, ValueError, KeyError, TypeError):
            raise StaffError(
                f"the staff token file {self.path} is damaged; move it away and add the staff again "
                "with `voiceshop staff add NAME`"
            ) from None
        self._stamp, self._members = stamp, members

    def _write(self, members: list[StaffMember]) -> None:
        data = {"staff": [{"name": m.name, "token_hash": m.token_hash, "created_at": m.created_at} for m in members]}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # owner-only: the hashes are not secrets, but who works here is nobody else's business
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2)
            os.replace(tmp, self.path)
        except OSError as exc:
            raise StaffError(f"cannot write the staff token file {self.path}: {exc.strerror}") from None
        self._stamp = None
        self._refresh()
