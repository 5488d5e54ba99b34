"""Opening the store: choosing a back end by its URL, what every back end offers, and migrations.

    Database                 what the repositories use: execute, transaction, settings, migrations
    ├── SQLiteDatabase       storage/sqlite: one file (WAL) on this device; the default, needs nothing
    └── PostgresDatabase     storage/postgres: one server shared by many devices (psycopg 3, a pool)

``Database(target)`` picks the back end from ``target`` (or ``$VOICESHOP_DB`` when it is None):

    None                                 $VOICESHOP_DB, else voiceshop.db in the user data folder
    /var/lib/voiceshop/shop.db           a SQLite file (so is any other path)
    sqlite:///var/lib/voiceshop/shop.db  the same file, as a URL (sqlite:relative.db is relative)
    sqlite:///...shop.db?synchronous=normal   the same, a power cut may lose the last orders (faster)
    postgresql://USER:PASSWORD@HOST:PORT/DB   a PostgreSQL database (postgres:// too)

Repositories write their SQL once, with ``?`` placeholders, in the SQL both back ends speak (RETURNING,
ON CONFLICT, UPDATE ... FROM); each back end keeps its own migrations, numbered alike, so a schema
version means the same tables everywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit, urlunsplit

from platformdirs import user_data_dir

from voiceshop.errors import StoreDamaged, StoreError
from voiceshop.storage.checkout import Draft, Written, write_statements

DB_ENV = "VOICESHOP_DB"
SQLITE = "sqlite"
POSTGRES = "postgresql"
_SCHEMES = {"sqlite": SQLITE, "postgresql": POSTGRES, "postgres": POSTGRES, "postgresql+psycopg": POSTGRES}
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(//)?")
SUPPORTED = "a file path or sqlite:///PATH (SQLite), or postgresql://USER:PASSWORD@HOST:PORT/DB (PostgreSQL)"
TABLES = (
    "shops",
    "products",
    "customers",
    "orders",
    "order_lines",
    "order_events",
    "outbox",
    "webhook_deliveries",
    "settings",
    "carts",
    "sessions",
    "callbacks",
    "turns",
)
"""Every table of the schema, parents before children (the order a copy writes them in)."""

RESTORE_HINT = (
    "restore the latest backup with `voiceshop db restore FILE` (backups are kept beside the database "
    "as *.backup-*.db and *.before-schema-*.db)"
)

Row = Any
"""A result row: by position (``row[0]``) and by column name (``row["id"]``), in both back ends."""


class Cursor(Protocol):
    """What an ``execute`` returns, in both back ends."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Row: ...

    def fetchall(self) -> list[Row]: ...

    def __iter__(self) -> Iterator[Row]: ...


class Conn(Protocol):
    """A connection inside a transaction: SQL with ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor: ...

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]], /) -> object: ...


def default_db_path() -> Path:
    """The default SQLite file: ``voiceshop.db`` in the platform's user data directory."""
    return Path(user_data_dir("voiceshop", appauthor=False)) / "voiceshop.db"


def default_target() -> str:
    """``$VOICESHOP_DB`` if set (a path or a URL), else the default SQLite file."""
    return os.environ.get(DB_ENV) or str(default_db_path())


def redact(url: str) -> str:
    """A URL fit for messages and logs: the password is replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def parse_target(target: str | Path | None) -> tuple[str, str]:
    """(back end, what it opens): a SQLite file path, or a PostgreSQL URL as given."""
    if target is None:
        target = default_target()
    if isinstance(target, Path):
        return SQLITE, str(target.expanduser())
    text = target.strip()
    m = _URL.match(text)
    if m is None or len(m.group(1)) == 1:  # no scheme, or a Windows drive letter: a file path
        return SQLITE, str(Path(text).expanduser())
    scheme = m.group(1).lower()
    backend = _SCHEMES.get(scheme)
    if backend == SQLITE:
        path = text[m.end() :].split("?", 1)[0]  # ?synchronous=... is the SQLite back end's to read
        if path.startswith("//"):  # sqlite:////abs/path (SQLAlchemy's spelling of an absolute path)
            path = "/" + path.lstrip("/")
        if not path:
            raise StoreError(f"the database URL {text!r} names no file; use sqlite:///PATH/TO/shop.db")
        return SQLITE, str(Path(path).expanduser())
    if backend == POSTGRES and m.group(2):
        return POSTGRES, text
    if m.group(2) is None:  # "name:with-colon.db" is still a file name
        return SQLITE, str(Path(text).expanduser())
    raise StoreError(f"unsupported database URL {redact(text)!r}; voiceshop's store is {SUPPORTED}")


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def migrations(backend: str) -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of a back end's migrations, oldest first."""
    package = "voiceshop.storage.sqlite.migrations" if backend == SQLITE else "voiceshop.storage.postgres.migrations"
    found = []
    for entry in resources.files(package).iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version_latest() -> int:
    return max(v for v, _, _ in migrations(SQLITE))


class Database:
    """The store as the repositories see it. ``Database(target)`` opens the back end the target names.

    Every change goes through ``transaction()``; a transaction opened inside another joins it, so a
    dialog turn that places an order and saves its session commits both or neither. The inner one is
    a savepoint: when it fails (an item out of stock), its own writes are undone and the turn goes on.
    """

    backend: ClassVar[str] = ""
    location: str
    """Where the store is, fit to print: a file path, or a URL without its password."""

    def __new__(cls, target: str | Path | None = None) -> Database:
        if cls is Database:
            backend, _ = parse_target(target)
            if backend == POSTGRES:
                from voiceshop.storage.postgres.db import PostgresDatabase

                cls = PostgresDatabase
            else:
                from voiceshop.storage.sqlite.db import SQLiteDatabase

                cls = SQLiteDatabase
        return super().__new__(cls)

    # -- what each back end provides ----------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """One statement (``?`` placeholders); inside a transaction of this thread, it joins it."""
        raise NotImplementedError

    def transaction(self, *, pipeline: bool = False) -> AbstractContextManager[Conn]:
        """One transaction; see the back end. With ``pipeline``, statements are sent to a server
        together and the caller waits only when it reads a result (``fetchone``/``fetchall``): code
        inside reads every answer it needs that way, never ``rowcount``. SQLite has no server to wait
        for and ignores it."""
        raise NotImplementedError

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (on this thread)."""
        raise NotImplementedError

    @property
    def schema_version(self) -> int:
        raise NotImplementedError

    def migrate(self) -> list[str]:
        raise NotImplementedError

    def reserve_id(self, table: str) -> str | None:
        """An SQL expression that takes the id of a row to be inserted into ``table`` later, outside
        any transaction (so what is derived from the id, an order's number, is written with the row),
        or None where an id is chosen only by the transaction that inserts the row."""
        raise NotImplementedError

    def write_order(self, draft: Draft) -> Written:
        """Write a priced checkout all or nothing, if what it was priced from still holds (see
        storage/checkout.py); inside a transaction of this thread, it joins it as a savepoint."""
        return write_statements(self, draft)

    def read_snapshot(self, c: Conn) -> None:
        """Make the transaction just begun on ``c`` read one consistent snapshot (for a copy)."""

    def after_copy(self, c: Conn) -> None:
        """Called when rows were copied in with their ids: make new ids continue after them."""

    def details(self) -> dict[str, object]:
        """What is particular to this back end, for ``db info``."""
        return {}

    def table_names(self) -> set[str]:
        """The tables the store has."""
        raise NotImplementedError

    def integrity(self) -> list[str]:
        """What the back end's own check finds wrong with the stored data (empty: nothing)."""
        return []

    def backup(self, to: Path) -> Path:
        """A consistent copy of the whole store in the file ``to``, taken while it is in use."""
        raise StoreError(f"{self.location} is a {self.backend} store; back it up with the server's own tools (pg_dump)")

    def close(self) -> None:
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        row = self.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, conn: Conn, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def counts(self) -> dict[str, int]:
        """Rows in every table."""
        return {table: int(self.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in TABLES}

    def info(self) -> dict[str, object]:
        counts = self.counts()
        return {
            "backend": self.backend,
            "path": self.location,
            "schema_version": self.schema_version,
            "schema_latest": schema_version_latest(),
            **self.details(),
            "current_shop": self.get_setting("current_shop"),
            **{f"{k}_count": v for k, v in counts.items() if k not in ("order_events", "settings")},
            "pending_outbox": int(self.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0]),
        }

    def check(self) -> str:
        """One line on the store for ``voiceshop doctor`` and ``db check``; raises StoreError when it
        cannot be used, StoreDamaged when its data is damaged."""
        version, latest = self.schema_version, schema_version_latest()
        if version != latest:
            raise StoreError(f"{self.location} has schema {version}, this voiceshop needs {latest}")
        missing = [t for t in TABLES if t not in self.table_names()]
        problems = ([f"table {', '.join(missing)} is missing"] if missing else []) + self.integrity()
        if problems:
            raise StoreDamaged(f"{self.location} is damaged: {'; '.join(problems[:3])}; {RESTORE_HINT}")
        self.execute("SELECT count(*) FROM shops").fetchone()
        return f"{self.backend} {self.location}, schema {version} (latest), no damage found"

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
