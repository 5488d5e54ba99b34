"""The SQLite back end: one file, WAL mode, every change one BEGIN IMMEDIATE transaction.

The only module that uses sqlite3 (the test suite aside).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from voiceshop.errors import SchemaTooNew, StoreDamaged, StoreError, StoreLocked
from voiceshop.storage.db import RESTORE_HINT, SQLITE, TABLES, Cursor, Database, migrations, parse_target, utcnow

SYNCHRONOUS = ("full", "normal")
"""How long a commit waits for the disk (SQLite's ``PRAGMA synchronous``), the first the default.

full    every commit is on the disk before it returns: a confirmed order survives a crash and a power cut
normal  the log is flushed at checkpoints only: a crash of voiceshop or of the device's programs loses
        nothing, a power cut or kernel crash may lose the last orders confirmed (the file stays
        consistent); no wait for the disk per order. Chosen with ``sqlite:///PATH?synchronous=normal``.
"""
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
        self.synchronous = _synchronous(target)
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
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
                raise self._locked() from None
            raise StoreDamaged(
                f"{self.path} is not a voiceshop database or is damaged ({exc}); run `voiceshop db check`, "
                f"pass another file with --db, or {RESTORE_HINT}"
            ) from None
        except StoreError:
            self.conn.close()
            raise

    def _check_schema(self) -> None:
        """A table gone (dropped by hand, a damaged page) is found on open, with what to do, rather
        than by the first order that needs it."""
        if str(self.path) == ":memory:" or self.schema_version == 0:
            return
        missing = [t for t in TABLES if t not in self.table_names()]
        if missing:
            damage = self.integrity()
            raise StoreDamaged(
                f"the database {self.path} has lost its table {', '.join(missing)}"
                + (f" and is damaged ({damage[0]})" if damage else "")
                + f"; {RESTORE_HINT}"
            )

    def _store_error(self, exc: sqlite3.DatabaseError) -> StoreError | None:
        """What an error from SQLite means for the user, or None for an error that is a bug."""
        text = str(exc).lower()
        if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
            return self._locked()
        if "readonly" in text or "read-only" in text:
            return StoreError(
                f"the database {self.path} is read-only for this user; make the file and its folder writable "
                f"(see `ls -l {self.path}`) or pass another file with --db",
                code="store",
            )
        if "disk is full" in text or "disk i/o" in text:
            return StoreError(f"the disk holding {self.path} is full or failing ({exc}); free space and try again")
        if "malformed" in text or "not a database" in text or "no such table" in text or "no such column" in text:
            return StoreDamaged(
                f"the database {self.path} is damaged ({exc}); run `voiceshop db check`; {RESTORE_HINT}"
            )
        return None

    def table_names(self) -> set[str]:
        return _tables(self.conn)

    def integrity(self) -> list[str]:
        try:
            return _damage(self.conn)
        except sqlite3.DatabaseError as exc:
            return [str(exc)]

    def backup(self, to: Path) -> Path:
        """SQLite's online backup: a consistent copy while devices keep using the store."""
        to = Path(to)
        if to.resolve() == self.path.resolve():
            raise StoreError(f"{to} is the database itself; back it up to another file")
        try:
            to.parent.mkdir(parents=True, exist_ok=True)
            target = sqlite3.connect(to)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot write a backup to {to}: {exc}") from None
        try:
            self.conn.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        except sqlite3.DatabaseError as exc:
            target.close()
            to.unlink(missing_ok=True)
            raise self._store_error(exc) or StoreError(f"the backup to {to} failed: {exc}") from None
        target.close()
        return to

    def _configure(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and str(self.path) != ":memory:":
            raise StoreError(f"the database {self.path} cannot use WAL mode (got {mode}); put it on a local disk")
        self.conn.execute("PRAGMA foreign_keys = ON")
        # FULL unless the URL chose otherwise: an order acknowledged to the shopper survives a power
        # cut, not only a crash (see SYNCHRONOUS)
        self.conn.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")

    def reserve_id(self, table: str) -> None:
        # no sequences: the writing transaction takes one past the largest, as SQLite itself would
        # (writers take turns, so no other transaction can take it before this one commits)
        return None

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
        if 0 < current < latest and str(self.path) != ":memory:":
            # a shop's data is copied aside before its schema changes, so a failed upgrade loses nothing
            self.backup(self.path.with_name(f"{self.path.stem}.before-schema-{latest}.db"))
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
        try:
            return self.conn.execute(sql, params)
        except sqlite3.DatabaseError as exc:
            raise self._store_error(exc) or exc from None

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def details(self) -> dict[str, object]:
        return {
            "journal_mode": self.conn.execute("PRAGMA journal_mode").fetchone()[0],
            "foreign_keys": bool(self.conn.execute("PRAGMA foreign_keys").fetchone()[0]),
            "synchronous": self.synchronous,
            "size_bytes": self.path.stat().st_size if self.path.exists() else 0,
        }

    @contextmanager
    def transaction(self, *, pipeline: bool = False) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (``pipeline`` changes nothing here:
        every statement is a function call, not a round trip).

        IMMEDIATE takes the write lock up front, so two processes never both read stock and then
        fight to upgrade to a write; the loser waits (busy timeout), then retries, then gives up
        with ``StoreLocked``.

        A transaction opened inside another joins it: a dialog turn places an order and saves its
        session in one commit, so a crash leaves either both or neither. The inner one is a
        savepoint: if it fails, its own writes are undone and the outer one may go on.
        """
        if self._depth:
            # a savepoint: a nested transaction that fails undoes its own writes, and the outer one
            # carries on (a checkout refused for stock leaves nothing of itself in the dialog's turn)
            savepoint = f"nested_{self._depth}"
            self.conn.execute(f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                with suppress(sqlite3.DatabaseError):
                    self.conn.execute(f"ROLLBACK TO {savepoint}")
                    self.conn.execute(f"RELEASE {savepoint}")
                raise
            finally:
                self._depth -= 1
            self.conn.execute(f"RELEASE {savepoint}")
            return
        deadline = time.monotonic() + LOCK_GIVE_UP_S
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc):
                    raise self._store_error(exc) or exc from None
                if time.monotonic() > deadline:
                    raise self._locked() from None
                time.sleep(0.01)
        self._depth = 1
        try:
            yield self.conn
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise self._store_error(exc) or exc from None
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth = 0
        try:
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise self._store_error(exc) or exc from None

    def _rollback(self) -> None:
        # nothing to roll back when SQLite already ended the transaction (a full disk, a damaged page)
        with suppress(sqlite3.DatabaseError):
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


def _synchronous(target: str | Path | None) -> str:
    """The ``synchronous`` a ``sqlite:`` URL asks for (``?synchronous=normal``), else the default."""
    if not isinstance(target, str) or not target.strip().lower().startswith("sqlite:") or "?" not in target:
        return SYNCHRONOUS[0]
    query = parse_qs(target.split("?", 1)[1], keep_blank_values=True)
    unknown = sorted(set(query) - {"synchronous"})
    value = query.get("synchronous", [SYNCHRONOUS[0]])[-1].strip().lower()
    if unknown or value not in SYNCHRONOUS:
        what = f"the setting {unknown[0]!r}" if unknown else f"synchronous={value!r}"
        choices = " or ".join(f"?synchronous={v}" for v in SYNCHRONOUS)
        raise StoreError(
            f"the database URL {target.strip()!r} has {what}, which SQLite stores do not know; "
            f"the one setting is {choices} ({SYNCHRONOUS[0]} unless given)"
        )
    return value


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _tables_at(version: int) -> list[str]:
    """The tables a store of schema ``version`` has (every table, for a version this voiceshop does
    not know)."""
    found = migrations(SQLITE)
    if not 0 < version <= max(v for v, _, _ in found):
        return list(TABLES)
    conn = sqlite3.connect(":memory:")
    try:
        for v, _, sql in found:
            if v <= version:
                for statement in _split_sql(sql):
                    conn.execute(statement)
        have = _tables(conn)
    finally:
        conn.close()
    return [t for t in TABLES if t in have]


def _damage(conn: sqlite3.Connection) -> list[str]:
    """What SQLite's quick check finds wrong (the first few), empty when nothing is."""
    rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)")]
    return [] if rows == ["ok"] else rows


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


def restore(backup: Path, path: Path) -> Path | None:
    """Put the SQLite backup ``backup`` in place of the store file ``path``.

    The backup is checked first (a voiceshop store, undamaged); the file it replaces is kept beside it
    as ``*.replaced-<time>.db``, never deleted. Returns where that file went (None if there was none).
    Stop the devices that use the store before restoring.
    """
    if not backup.is_file():
        raise StoreError(f"there is no backup file {backup}; `ls {backup.parent}` shows what is there")
    try:
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the backup {backup}: {exc}") from None
    try:
        try:
            tables = _tables(source)
            damage = _damage(source)
            version = int(source.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{backup} is not a voiceshop backup ({exc}); choose another file") from None
        # a backup taken before a schema upgrade has the tables of its own version; opening the
        # restored store upgrades it
        missing = [t for t in _tables_at(version) if t not in tables]
        if missing or damage:
            why = f"it has no table {', '.join(missing)}" if missing else f"it is damaged ({damage[0]})"
            raise StoreError(f"{backup} cannot be restored: {why}; choose another backup")
        moved = None
        if path.exists():
            moved = path.with_name(f"{path.stem}.replaced-{utcnow()[:19].replace(':', '')}.db")
            path.rename(moved)
            for suffix in ("-wal", "-shm"):
                side = path.with_name(path.name + suffix)
                if side.exists():
                    side.rename(moved.with_name(moved.name + suffix))
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
        return moved
    finally:
        source.close()
