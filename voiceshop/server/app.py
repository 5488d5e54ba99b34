"""``create_app``: the staff API, the conversation endpoint and the error handling as one ASGI app."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Response
from starlette.concurrency import run_in_threadpool

from voiceshop import __version__
from voiceshop.errors import VoiceshopError
from voiceshop.runtime import Assistant
from voiceshop.server import (
    api,
    callbacks,
    catalog,
    chat,
    console,
    deliveries,
    insights,
    pages,
    problems,
    retention,
    webchat,
)
from voiceshop.server.auth import StaffTokens
from voiceshop.server.console import asset
from voiceshop.server.limits import BodyLimit
from voiceshop.server.schemas import Health
from voiceshop.server.services import MAX_BODY, Services
from voiceshop.server.webhooks import Endpoint, WebhookWorker, run_in_background

WEBHOOK_STOP_WAIT = 3.0
"""Seconds a stopping server waits for the webhook worker's round in progress."""

DESCRIPTION = """\
The shop's side of voiceshop: orders, catalog, customers and insights for staff (bearer token from
`voiceshop staff add NAME`), and the shopper's conversation (no token). Errors are RFC 9457
problem details (`application/problem+json`) with a `code` to branch on.
"""


def warm_up(services: Services) -> None:
    """Compile the current shop's understanding before the first shopper's turn needs it (seconds on
    a Pi), so the server only says it is up once it answers at full speed. A store with no shop yet
    has nothing to compile."""
    try:
        with services.store() as db:
            Assistant(db, None, device="warm-up").prepare()
    except VoiceshopError:
        return


def create_app(
    db_path: str | Path | None,
    token_file: Path,
    *,
    max_body: int = MAX_BODY,
    webhooks: Sequence[Endpoint] = (),
) -> FastAPI:
    """The app serving the store ``db_path`` (a file or URL; None: the default store) to the staff in
    ``token_file``; while it runs, the store's outbox events are delivered to ``webhooks``."""
    services = Services(db_path=db_path, tokens=StaffTokens(token_file), max_body=max_body)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(warm_up, services)
        stop = threading.Event()
        retention.prune_in_background(services, stop)
        thread = None
        if webhooks:
            worker = WebhookWorker(services.store, webhooks)
            app.state.webhooks = worker
            thread = run_in_background(worker, stop)
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(WEBHOOK_STOP_WAIT)  # let a round in progress record its outcome and release claims
            services.close()

    app = FastAPI(
        title="voiceshop",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{api.API}/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN; this server works offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    problems.install(app, page=pages.error_page)
    app.include_router(api.router)
    app.include_router(deliveries.router)
    app.include_router(chat.router)
    app.include_router(console.router)
    app.include_router(catalog.router)
    app.include_router(callbacks.router)
    app.include_router(callbacks.api_router)
    app.include_router(insights.router)
    app.include_router(insights.api_router)
    app.include_router(webchat.router)

    @app.get(f"{api.API}/health", response_model=Health, tags=["health"], summary="Is the server up")
    def health() -> Health:
        return Health(status="ok", version=__version__)

    @app.get("/favicon.ico", include_in_schema=False)
    def icon() -> Response:
        # every browser asks for it; without one, each page of the board and the chat logs a 404
        svg = asset("static/icon.svg")
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    app.add_middleware(BodyLimit, max_bytes=max_body)
    return app
