"""The order store: shops, catalog, customers, carts, sessions and orders, all or nothing.

Two back ends behind the same repositories: SQLite (one file on the device, the default) and
PostgreSQL (one server for many devices), chosen by the database URL (see ``storage.db``). Every
change is one transaction; a failed load or checkout changes nothing.
"""

from voiceshop.storage.db import Database, default_db_path, default_target, parse_target, redact

__all__ = ["Database", "default_db_path", "default_target", "parse_target", "redact"]
