"""The PostgreSQL back end: one server shared by several devices of a shop (psycopg 3 and a pool).

``db.py`` is the only module that imports psycopg.
"""
