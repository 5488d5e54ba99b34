"""The SQLite back end: one file, WAL mode, every change one BEGIN IMMEDIATE transaction.

The only module that uses sqlite3 (the test suite aside).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from voiceshop.errors import SchemaTooNew, StoreError, StoreLocked
from voiceshop.storage.db import SQLITE, Cursor, Database, migrations, parse_target

BUSY_TIMEOUT_MS = 5_000
# A writer waits this long in total (busy timeout plus our own retries) before giving up.
LOCK_GIVE_UP_S = 15.0


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class SQLiteDatabase(Database):
    """A connection to the store file. Use ``transaction()`` for every change."""

    backend = SQLITE

    def __init__(self, target: str | Path | None = None) -> None:
        self.path = Path(parse_target(target)[1])
        self.location = str(self.path)
        if str(self.path) != ":memory:":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for the database {self.path}: {exc.strerror}") from None
        try:
            # isolation_level=None: we issue BEGIN ourselves, so a transaction is exactly what we say.
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        self.conn.row_factory = sqlite3.Row
        self._depth = 0
        try:
            self._configure()
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
                raise self._locked() from None
            raise StoreError(
                f"{self.path} is not a voiceshop database or is damaged ({exc}); "
                "pass another file with --db or move this one away"
            ) from None

    def _configure(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and str(self.path) != ":memory:":
            raise StoreError(f"the database {self.path} cannot use WAL mode (got {mode}); put it on a local disk")
        self.conn.execute("PRAGMA foreign_keys = ON")
        # FULL: an order acknowledged to the shopper survives a power cut, not only a crash.
        self.conn.execute("PRAGMA synchronous = FULL")

    def _locked(self) -> StoreLocked:
        return StoreLocked(
            f"the database {self.path} is locked by another process; "
            "wait for it to finish or stop the other voiceshop, then try again"
        )

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[str]:
        """Apply every migration newer than the file's version, each in its own transaction."""
        applied = []
        current = self.schema_version
        found = migrations(SQLITE)
        latest = max(v for v, _, _ in found)
        if current > latest:
            raise SchemaTooNew(
                f"the database {self.path} was written by a newer voiceshop (schema {current}, "
                f"this one knows up to {latest}); upgrade voiceshop or use another --db"
            )
        for version, name, sql in found:
            if version <= current:
                continue
            with self.transaction():
                # re-check under the write lock: another process may have migrated meanwhile
                if self.schema_version >= version:
                    continue
                for statement in _split_sql(sql):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version}")
            applied.append(name)
        return applied

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.conn.execute(sql, params)

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def details(self) -> dict[str, object]:
        return {
            "journal_mode": self.conn.execute("PRAGMA journal_mode").fetchone()[0],
            "foreign_keys": bool(self.conn.execute("PRAGMA foreign_keys").fetchone()[0]),
            "size_bytes": self.path.stat().st_size if self.path.exists() else 0,
        }

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error.

        IMMEDIATE takes the write lock up front, so two processes never both read stock and then
        fight to upgrade to a write; the loser waits (busy timeout), then retries, then gives up
        with ``StoreLocked``.

        A transaction opened inside another joins it: a dialog turn places an order and saves its
        session in one commit, so a crash leaves either both or neither.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        deadline = time.monotonic() + LOCK_GIVE_UP_S
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() > deadline:
                    raise self._locked() from None
                time.sleep(0.01)
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self.conn.execute("ROLLBACK")
            if _is_locked(exc):
                raise self._locked() from None
            raise

    def close(self) -> None:
        self.conn.close()


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (sqlite3 runs one per execute, and executescript commits)."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip() and not all(ln.strip().startswith("--") for ln in buf.strip().splitlines()):
        statements.append(buf.strip())
    return statements
