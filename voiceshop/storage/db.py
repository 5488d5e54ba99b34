"""Opening the database: file location, pragmas, versioned migrations and transactions."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from platformdirs import user_data_dir

from voiceshop.errors import SchemaTooNew, StoreError, StoreLocked

DB_ENV = "VOICESHOP_DB"
BUSY_TIMEOUT_MS = 5_000
# A writer waits this long in total (busy timeout plus our own retries) before giving up.
LOCK_GIVE_UP_S = 15.0


def default_db_path() -> Path:
    """``$VOICESHOP_DB`` if set, else ``voiceshop.db`` in the platform's user data directory."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("voiceshop", appauthor=False)) / "voiceshop.db"


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("voiceshop.storage.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version_latest() -> int:
    return max(v for v, _, _ in _migrations())


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class Database:
    """A connection to the store file. Use ``transaction()`` for every change."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
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
        migrations = _migrations()
        latest = max(v for v, _, _ in migrations)
        if current > latest:
            raise SchemaTooNew(
                f"the database {self.path} was written by a newer voiceshop (schema {current}, "
                f"this one knows up to {latest}); upgrade voiceshop or use another --db"
            )
        for version, name, sql in migrations:
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

    def get_setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def info(self) -> dict[str, object]:
        c = self.conn
        counts = {
            table: int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # fixed names
            for table in (
                "shops",
                "products",
                "customers",
                "orders",
                "order_lines",
                "outbox",
                "carts",
                "sessions",
                "callbacks",
            )
        }
        size = self.path.stat().st_size if self.path.exists() else 0
        return {
            "path": str(self.path),
            "schema_version": self.schema_version,
            "schema_latest": schema_version_latest(),
            "journal_mode": c.execute("PRAGMA journal_mode").fetchone()[0],
            "foreign_keys": bool(c.execute("PRAGMA foreign_keys").fetchone()[0]),
            "size_bytes": size,
            "current_shop": self.get_setting("current_shop"),
            **{f"{k}_count": v for k, v in counts.items()},
            "pending_outbox": int(c.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0]),
        }

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
