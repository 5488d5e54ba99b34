"""The shop's side: channels into the same assistant and store as the CLI, over HTTP.

    api          staff JSON API under /api/v1 (shops, catalog, orders, customers), bearer tokens
    chat         the shopper's conversation endpoint (no staff token; it cannot read orders)
    console      the live order board for staff at /board (HTML, server-sent events)
    webhooks     outbox events POSTed to the shop's URLs, HMAC-signed, retried with backoff
    problems     errors as RFC 9457 problem details: a code from the error, a status from the code
    auth         staff tokens, stored hashed in a small file beside the database
    limits       the request size limit; wrong staff tokens and PINs counted per client address
    app          ``create_app``: wires the above into one FastAPI application
    run          serving it with uvicorn on a socket bound up front

Nothing here reaches into dialog or storage internals: it uses ``Assistant`` and the repositories,
as the CLI does.
"""
