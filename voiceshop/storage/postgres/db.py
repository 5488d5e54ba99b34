"""The PostgreSQL back end: a pool of connections to one server that several devices share.

The only module that imports psycopg. The repositories' SQL is the same as for SQLite; here ``?``
becomes ``%s``, rows answer by position and by name, and server errors become the store's errors.

Guarantees, as in SQLite: every change is one transaction (READ COMMITTED). A checkout is two
statements: one read without locks, and one call of ``voiceshop_place_order`` (migration 0006), which
locks the stocked products in id order, checks that token, products and stock are as read and
writes the order, or nothing: stock never goes below zero; checkouts with the same token meet at the
unique token of the order's INSERT, where the second waits for the first and then finds its order;
a device that dies mid-transaction loses its connection and the server rolls it back.
"""

from __future__ import annotations

import hashlib
import json
import select
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from typing import Any

from voiceshop.errors import SchemaTooNew, StoreError, StoreLocked
from voiceshop.storage.checkout import Draft, Written, payload
from voiceshop.storage.db import POSTGRES, Conn, Cursor, Database, migrations, parse_target, redact

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import pq
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
_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_PLACE_ORDER = (
    "SELECT outcome, order_id, product_id, stock FROM voiceshop_place_order("
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::json, ?::json, ?)"
)


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
    # called for every result: the column names come from the raw result (no Column objects), and
    # the maker for a set of names is made once
    res = cursor.pgresult
    names = () if res is None else tuple((res.fname(i) or b"").decode() for i in range(res.nfields))
    return _row_maker(names)


@lru_cache(maxsize=256)
def _row_maker(names: tuple[str, ...]) -> RowMaker[_Row]:
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)  # the first column of that name, as sqlite3.Row
    listed = list(names)

    def make(values: Sequence[Any]) -> _Row:
        row = _Row(values)
        row._index, row._names = index, listed
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
        with self._errors(), self._connection() as raw:
            cur = raw.execute(_pg(sql), params)
            # rows only where the statement returns some (the result's status: no column list to build)
            rows = cur.fetchall() if cur.pgresult is not None and cur.pgresult.status == _TUPLES_OK else []
            return _Result(rows, cur.rowcount)

    @property
    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    @contextmanager
    def transaction(self, *, pipeline: bool = False) -> Iterator[Conn]:
        """BEGIN ... COMMIT on a pooled connection, rolled back on any error; nested calls join it
        (as a savepoint, undone alone if it fails).

        The transaction belongs to the calling thread: reads through ``execute`` on that thread see it.
        With ``pipeline`` the BEGIN, the statements and the COMMIT travel together (psycopg's pipeline
        mode): the caller waits for the server only when it reads a result, and once at the end.
        """
        current: _Conn | None = getattr(self._local, "conn", None)
        if current is not None:
            # psycopg makes a nested transaction a savepoint: if it fails, its own writes are undone
            with self._errors(), current.raw.pipeline() if pipeline else nullcontext(), current.raw.transaction():
                yield current
            return
        with self._errors(), self._connection() as raw:
            conn = _Conn(raw)
            self._local.conn = conn
            try:
                with raw.pipeline() if pipeline else nullcontext(), raw.transaction():
                    yield conn
            finally:
                self._local.conn = None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[_Row]]:
        """A pooled connection that is still connected, as far as can be told without asking the
        server: after the server restarted (or cut idle sessions off), the pool's idle connections
        are dead, and each is closed and replaced here rather than failing the request that drew it."""
        for _ in range(self.pool.max_size):
            with self.pool.connection() as raw:
                if _gone(raw):
                    raw.close()  # the pool opens a new one in its place
                    continue
                yield raw
                return
        with self.pool.connection() as raw:  # all were dead: this one is new
            yield raw

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

    def reserve_id(self, table: str) -> str:
        # the identity's sequence: never handed out twice (a refused checkout leaves a gap)
        return f"nextval(pg_get_serial_sequence('{table}', 'id'))"

    def write_order(self, draft: Draft) -> Written:
        """One statement: the checkout function of migration 0006 checks and writes on the server.
        On its own it is its own transaction (no BEGIN, no COMMIT to send); inside a transaction of
        this thread it is a savepoint, so a failure undoes this checkout alone."""
        order_id = draft.order_id
        if order_id is None:
            order_id = int(self.execute(f"SELECT {self.reserve_id('orders')}").fetchone()[0])
        order = draft.build(order_id)
        # the products and lines as JSON: two parameters rather than nine arrays to escape; a product
        # as priced by its md5 (the server compares it with its own)
        products = [
            {"id": s.product_id, "md5": hashlib.md5(s.product_json.encode()).hexdigest(), "take": s.take}
            for s in draft.products
        ]
        params = (
            draft.token, order_id, order.number, draft.shop_id, draft.customer_id, order.delivery.value,
            order.currency, order.subtotal, order.discount, order.delivery_fee, order.total, order.coupon, draft.at,
            json.dumps(products), json.dumps([vars(ln) for ln in draft.lines]), payload(order),
        )  # fmt: skip
        if self.in_transaction:
            with self.transaction(pipeline=True) as c:
                row = c.execute(_PLACE_ORDER, params).fetchone()
        else:
            row = self.execute(_PLACE_ORDER, params).fetchone()
        outcome, written_id, product_id, stock = row
        return Written(
            outcome,
            order_id=None if written_id is None else int(written_id),
            product_id=None if product_id is None else int(product_id),
            stock=stock,
            order=order if outcome == "placed" else None,
        )

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
        for table in (*identities, "callbacks", "turns"):
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


def _gone(raw: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection has lost its server. An idle connection is sent nothing, so
    something to read (the server's goodbye, or the end of the stream) is checked with one round
    trip; a quiet socket costs no round trip at all."""
    if raw.closed or raw.broken:
        return True
    try:
        poller = select.poll()
        poller.register(raw.fileno(), select.POLLIN)
        if not poller.poll(0):
            return False
        ConnectionPool.check_connection(raw)
    except (psycopg.Error, OSError, ValueError):
        return True
    return False


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
    conn.execute(f"SET idle_in_transaction_session_timeout = {IDLE_IN_TRANSACTION_MS}")
    conn.execute("SET application_name = 'voiceshop'")
