"""``voiceshop serve`` (the HTTP API) and ``voiceshop staff add|list|remove`` (who may use it)."""

from __future__ import annotations

from pathlib import Path

import typer

from voiceshop.cli.context import JSON_OPTION, State, state
from voiceshop.cli.output import emit_json, table
from voiceshop.errors import shorten
from voiceshop.server.app import create_app
from voiceshop.server.auth import StaffTokens
from voiceshop.server.run import bind, is_loopback
from voiceshop.server.run import serve as run_server
from voiceshop.server.services import MAX_BODY
from voiceshop.server.webhooks import Endpoint
from voiceshop.storage import default_db_path, default_target, parse_target
from voiceshop.storage.db import SQLITE
from voiceshop.storage.deliveries import DeliveryRepository
from voiceshop.storage.privacy import prune_transcripts

TOKEN_FILE_NAME = "staff-tokens.json"
TOKEN_FILE_OPTION = typer.Option(
    None,
    "--token-file",
    envvar="VOICESHOP_TOKEN_FILE",
    help=f"Staff token file (default: {TOKEN_FILE_NAME} beside the database).",
)

staff_app = typer.Typer(help="Staff who may use the HTTP API: each has a bearer token.", no_args_is_help=True)


def _warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def token_file(st: State, given: Path | None) -> Path:
    if given is not None:
        return given
    backend, where = parse_target(st.db_url or default_target())
    # beside a SQLite file; a shared PostgreSQL store keeps this device's tokens in its data folder
    db = Path(where) if backend == SQLITE else default_db_path()
    return db.expanduser().resolve().parent / TOKEN_FILE_NAME


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; only this machine by default."),
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="Port to listen on."),
    public: bool = typer.Option(
        False, "--public", help="Allow listening on an address other machines can reach (needed beside --host)."
    ),
    behind_tls_proxy: bool = typer.Option(
        False,
        "--behind-tls-proxy",
        help="A TLS proxy on this machine (Caddy, nginx) forwards to this server; trust its X-Forwarded headers.",
    ),
    tokens: Path | None = TOKEN_FILE_OPTION,
    max_body: int = typer.Option(MAX_BODY, "--max-body", min=1024, help="Largest request body in bytes."),
    webhook: list[str] = typer.Option(  # typer reads the default, never mutates it
        [], "--webhook", help="POST every order and shop event to this URL (repeatable), signed with the secret."
    ),
    webhook_secret: str | None = typer.Option(
        None, "--webhook-secret", envvar="VOICESHOP_WEBHOOK_SECRET", help="The shared secret webhooks are signed with."
    ),
) -> None:
    """Serve the HTTP API (/api/v1, OpenAPI at /api/v1/openapi.json) until Ctrl-C."""
    st = state(ctx)
    if not is_loopback(host) and not public:
        raise typer.BadParameter(
            f"{host} can be reached from other machines; pass --public as well if that is what you want",
            param_hint="--host",
        )
    bad = [url for url in webhook if not url.startswith(("http://", "https://"))]
    if bad:
        raise typer.BadParameter(f"{shorten(bad[0])!r} is not an http:// or https:// URL", param_hint="--webhook")
    if webhook and not webhook_secret:
        raise typer.BadParameter(
            "webhooks are signed: pass --webhook-secret or set VOICESHOP_WEBHOOK_SECRET", param_hint="--webhook"
        )
    path = token_file(st, tokens)
    staff = StaffTokens(path)
    # open (and migrate) the store now, so a bad --db is a clear error before serving; apply the
    # shop's transcript retention
    prune_transcripts(st.db)
    failed = DeliveryRepository(st.db).counts()["failed"] if webhook else 0
    store, where = st.db_url or default_target(), st.db.location
    st.close()
    if not staff.members():
        _warn(f"no staff tokens in {path} yet: the staff API will refuse every request; `voiceshop staff add NAME`")
    if failed:
        _warn(f"{failed} webhook deliveries failed earlier: `voiceshop webhooks list --failed`, then `replay`")
    if public and not behind_tls_proxy:
        _warn(
            f"serving on {host} over plain HTTP: staff tokens and orders cross the network unencrypted. "
            "Put a TLS proxy (Caddy, nginx) in front and pass --behind-tls-proxy."
        )
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"voiceshop serving {where} on http://{shown}:{sock.getsockname()[1]}/api/v1 (Ctrl-C stops)")
    hooks = [Endpoint(url, webhook_secret or "") for url in webhook]
    run_server(create_app(store, path, max_body=max_body, webhooks=hooks), sock, proxy_headers=behind_tls_proxy)


@staff_app.command("add")
def staff_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The staff member's name; adding them again replaces their token."),
    tokens: Path | None = TOKEN_FILE_OPTION,
) -> None:
    """Make a staff token and print it once (only its hash is kept)."""
    path = token_file(state(ctx), tokens)
    token = StaffTokens(path).add(name)
    typer.echo(token)
    typer.echo(
        f"this is {name.strip()}'s token for the HTTP API; it is shown only once (kept hashed in {path})", err=True
    )


@staff_app.command("list")
def staff_list(ctx: typer.Context, tokens: Path | None = TOKEN_FILE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Staff who have a token (the tokens themselves are not kept)."""
    members = StaffTokens(token_file(state(ctx), tokens)).members()
    if as_json:
        emit_json([{"name": m.name, "created_at": m.created_at} for m in members])
        return
    if not members:
        typer.echo("no staff tokens")
        return
    table(["name", "since"], [[m.name, m.created_at] for m in members])


@staff_app.command("remove")
def staff_remove(ctx: typer.Context, name: str = typer.Argument(...), tokens: Path | None = TOKEN_FILE_OPTION) -> None:
    """Revoke a staff member's token (a running server stops accepting it at once)."""
    path = token_file(state(ctx), tokens)
    StaffTokens(path).remove(name)
    typer.echo(f"{name.strip()}'s token is revoked")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(staff_app, name="staff")
