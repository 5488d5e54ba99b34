"""The commerce domain: catalog, shop, customers, cart and orders as pure, typed values.

Nothing here performs I/O or imports other voiceshop stages (only the shared error tree); storage,
understanding and dialog read these models, never the other way round.
"""
