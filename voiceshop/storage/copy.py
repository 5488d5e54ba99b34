"""Moving a shop's store to another back end (a device's SQLite file to the shop's PostgreSQL): every
table, ids kept, in one transaction on the target, then verified by counting rows on both sides."""

from __future__ import annotations

from dataclasses import dataclass

from voiceshop.errors import StoreError
from voiceshop.storage.db import TABLES, Database

BATCH = 5_000


@dataclass(frozen=True)
class CopyReport:
    counts: dict[str, int]
    """Rows in each table, the same in the source and the target."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def copy_store(source: Database, target: Database) -> CopyReport:
    """Copy everything in ``source`` into ``target``, which must hold no data yet.

    The target gets all of it or nothing (one transaction). Stop the devices that write to the
    source first: rows written to it during the copy would be missed (the verification says so).
    """
    already = {t: n for t, n in target.counts().items() if n}
    if already:
        held = ", ".join(f"{n} {t}" for t, n in already.items())
        raise StoreError(f"the target store {target.location} already holds data ({held}); copy into an empty database")
    with source.transaction() as src, target.transaction() as dst:
        source.read_snapshot(src)
        for table in TABLES:
            cur = src.execute(f"SELECT * FROM {table}")  # fixed table names
            rows = cur.fetchall()
            if not rows:
                continue
            columns = list(rows[0].keys())
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            for start in range(0, len(rows), BATCH):
                dst.executemany(sql, [tuple(r) for r in rows[start : start + BATCH]])
        target.after_copy(dst)
    want, got = source.counts(), target.counts()
    if want != got:
        diff = ", ".join(f"{t}: {want[t]} in the source, {got[t]} copied" for t in TABLES if want[t] != got[t])
        raise StoreError(
            f"the copy does not match its source ({diff}); was a device still writing to "
            f"{source.location}? Stop the devices, empty {target.location} and copy again"
        )
    return CopyReport(got)
