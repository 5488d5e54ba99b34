"""The order store: one SQLite file (WAL) holding shops, catalog, customers, carts and orders.

This package is the only place that talks to SQLite. Every change is one transaction; a failed load
or checkout changes nothing.
"""

from voiceshop.storage.db import Database, default_db_path

__all__ = ["Database", "default_db_path"]
