"""The SQLite back end: the store in one file on this device (WAL, synchronous=FULL). The default."""
