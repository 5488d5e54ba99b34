"""The PostgreSQL back end: a pool of connections to one server that several devices share.

The only module that imports psycopg. The repositories' SQL is the same as for SQLite; here ``?``
becomes ``%s``, rows answer by position and by name, and server errors become the store's errors.

Guarantees, as in SQLite: every change is one transaction (READ COMMITTED); stock is decremented by
a guarded UPDATE whose row lock makes concurrent checkouts wait for each other, so it never goes
below zero; checkouts with the same token are serialised by an advisory lock, so a retry finds the
first order; a device that dies mid-transaction loses its connection and the server rolls it back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from voiceshop.errors import SchemaTooNew, StoreError, StoreLocked
from voiceshop.storage.db import POSTGRES, Conn, Cursor, Database, Row, migrations, parse_target, redact

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.rows import RowMaker
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - psycopg is a dependency; this guards a broken install
    raise StoreError(
        f"PostgreSQL support needs psycopg 3 ({exc.name} is missing); "
        "install it with `pip install 'psycopg[binary]' psycopg-pool` or use a SQLite file with --db"
    ) from None

CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT_MS = 15_000
"""A writer waits this long for a row lock before giving up (as SQLite's busy timeout)."""
IDLE_IN_TRANSACTION_MS = 60_000
"""A device frozen inside a transaction is cut off after this long, so it cannot hold stock locked."""
POOL_SIZE = 4
_MIGRATION_LOCK = 0x766F6963  # "voic": one migrating process at a time


class _Row(tuple[Any, ...]):
    """A row by position and by column name, like sqlite3.Row."""

    _index: dict[str, int]
    _names: list[str]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return self._names


def _rows(cursor: Any) -> RowMaker[_Row]:
    names = [c.name for c in cursor.description or ()]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)  # the first column of that name, as sqlite3.Row

    def make(values: Sequence[Any]) -> _Row:
        row = _Row(values)
        row._index, row._names = index, names
        return row

    return make


@lru_cache(maxsize=1024)
def _pg(sql: str) -> str:
    """``?`` placeholders (the repositories' SQL) as psycopg's ``%s``."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Conn:
    """A pooled connection inside a transaction, speaking the repositories' SQL."""

    def __init__(self, raw: psycopg.Connection[_Row]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        return self.raw.execute(_pg(sql), params)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]], /) -> object:
        with self.raw.cursor() as cur:
            cur.executemany(_pg(sql), seq)
        return None


class _Result:
    """The rows of a statement run outside a transaction (its connection is back in the pool)."""

    def __init__(self, rows: list[_Row], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> _Row | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[_Row]:
        return self.rows

    def __iter__(self) -> Iterator[_Row]:
        return iter(self.rows)


def _reason(exc: Exception) -> str:
    """The server's or libpq's words, on one line."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__


class PostgresDatabase(Database):
    """A pool of connections to a PostgreSQL database; migrated to the latest schema when opened."""

    backend = POSTGRES

    def __init__(self, target: str | None = None, *, pool_size: int = POOL_SIZE) -> None:
        self.url = parse_target(target)[1]
        self.location = redact(self.url)
        self._local = threading.local()
        # One direct connection first: if the server cannot be reached, say why in one line.
        try:
            psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S).close()
        except psycopg.ProgrammingError as exc:
            raise StoreError(
                f"{self.location} is not a usable PostgreSQL URL ({_reason(exc)}); write it as {_EXAMPLE}"
            ) from None
        except psycopg.OperationalError as exc:
            raise StoreError(
                f"cannot connect to PostgreSQL at {self.location}: {_reason(exc)}; check that the server is "
                "running, that the database exists and the user may use it, and the --db / VOICESHOP_DB URL"
            ) from None
        self.pool: ConnectionPool[psycopg.Connection[_Row]] = ConnectionPool(
            self.url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "row_factory": _rows, "connect_timeout": CONNECT_TIMEOUT_S},
            configure=_configure,
            open=False,
            name="voiceshop",
        )
        try:
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            self.migrate()
        except BaseException:
            self.pool.close()
            raise

    # -- statements and transactions ---------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        current: _Conn | None = getattr(self._local, "conn", None)
        if current is not None:
            return current.execute(sql, params)
        with self._errors(), self.pool.connection() as raw:
            cur = raw.execute(_pg(sql), params)
            rows = cur.fetchall() if cur.description is not None else []
            return _Result(rows, cur.rowcount)

    @property
    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """BEGIN ... COMMIT on a pooled connection, rolled back on any error; nested calls join it.

        The transaction belongs to the calling thread: reads through ``execute`` on that thread see it.
        """
        current: _Conn | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self._errors(), self.pool.connection() as raw:
            conn = _Conn(raw)
            self._local.conn = conn
            try:
                with raw.transaction():
                    yield conn
            finally:
                self._local.conn = None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Server trouble as the store's errors (one line saying what to do); anything else passes."""
        try:
            yield
        except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected, pg_errors.SerializationFailure) as exc:
            raise StoreLocked(
                f"the store {self.location} is busy: another device held what this change needed "
                f"({_reason(exc)}); try again"
            ) from None
        except PoolTimeout:
            raise StoreError(
                f"no connection to PostgreSQL at {self.location} within {CONNECT_TIMEOUT_S} s; "
                "check that the server is running and reachable"
            ) from None
        except psycopg.OperationalError as exc:
            raise StoreError(
                f"lost the connection to PostgreSQL at {self.location} ({_reason(exc)}); "
                "check the server and the network, then try again"
            ) from None

    def batch(self, c: Conn, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        assert isinstance(c, _Conn)
        with c.raw.pipeline(), c.raw.cursor() as cur:
            for sql, rows in statements:
                cur.executemany(_pg(sql), rows)

    def locked_fetchone(self, c: Conn, key: str, sql: str, params: Sequence[Any]) -> Row:
        assert isinstance(c, _Conn)
        with c.raw.pipeline():
            c.raw.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
            cur = c.raw.execute(_pg(sql), params)
        return cur.fetchone()

    # -- schema ------------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        if self.execute("SELECT to_regclass('voiceshop_schema')").fetchone()[0] is None:
            return 0
        return int(self.execute("SELECT coalesce(max(version), 0) FROM voiceshop_schema").fetchone()[0])

    def migrate(self) -> list[str]:
        """Apply every migration newer than the database's version, each in its own transaction.

        Devices starting together take turns (an advisory lock), so each migration runs once."""
        applied = []
        found = migrations(POSTGRES)
        latest = max(v for v, _, _ in found)
        current = self.schema_version
        if current > latest:
            raise SchemaTooNew(
                f"the database {self.location} was written by a newer voiceshop (schema {current}, "
                f"this one knows up to {latest}); upgrade voiceshop or use another --db"
            )
        for version, name, sql in found:
            if version <= current:
                continue
            with self.transaction() as c:
                c.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
                if self.schema_version >= version:  # another device migrated meanwhile
                    continue
                assert isinstance(c, _Conn)
                c.raw.execute(sql.encode())  # the whole file at once: no parameters, so several statements
                c.execute(
                    "CREATE TABLE IF NOT EXISTS voiceshop_schema"
                    " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
                )
                c.execute("INSERT INTO voiceshop_schema VALUES (?, ?, now())", (version, name))
            applied.append(name)
        return applied

    def read_snapshot(self, c: Conn) -> None:
        c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    def after_copy(self, c: Conn) -> None:
        identities = ("shops", "products", "customers", "orders", "order_events", "outbox", "webhook_deliveries")
        for table in (*identities, "callbacks"):
            c.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
            )

    def table_names(self) -> set[str]:
        rows = self.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {str(r[0]) for r in rows.fetchall()}

    def details(self) -> dict[str, object]:
        row = self.execute("SELECT current_setting('server_version'), pg_database_size(current_database())").fetchone()
        return {"server_version": row[0], "size_bytes": int(row[1])}

    def close(self) -> None:
        self.pool.close()


_EXAMPLE = "postgresql://USER:PASSWORD@HOST:5432/DATABASE"


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
    conn.execute(f"SET idle_in_transaction_session_timeout = {IDLE_IN_TRANSACTION_MS}")
    conn.execute("SET application_name = 'voiceshop'")
