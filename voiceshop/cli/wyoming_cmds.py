"""``voiceshop wyoming``: the shop's assistant for Home Assistant, over the Wyoming protocol."""

from __future__ import annotations

import typer

from voiceshop.cli.context import state
from voiceshop.runtime.shops import open_shop
from voiceshop.server.run import ServeError
from voiceshop.storage import default_target
from voiceshop.storage.privacy import prune_transcripts

DEFAULT_URI = "tcp://127.0.0.1:10700"


def wyoming(
    ctx: typer.Context,
    shop: str | None = typer.Option(
        None, "--shop", "-s", help="Shop folder (loaded if new or changed), or the slug of a loaded shop."
    ),
    uri: str = typer.Option(
        DEFAULT_URI, "--uri", help="Where to listen: tcp://HOST:PORT (this machine only by default) or unix:///PATH."
    ),
    public: bool = typer.Option(
        False, "--public", help="Allow a host other machines can reach in --uri (Wyoming has no login)."
    ),
) -> None:
    """Serve the shop's assistant to Home Assistant (Wyoming conversation service) until Ctrl-C.

    In Home Assistant: add the Wyoming Protocol integration with this machine's host and port.
    """
    # imported here: the wyoming package (and its audio helpers) is only needed by this command
    from voiceshop.server.wyoming import ShopConversations, check_uri, serve

    try:
        uri, reachable = check_uri(uri.strip(), public=public)
    except ServeError as exc:
        raise typer.BadParameter(str(exc), param_hint="--uri") from None
    st = state(ctx)
    slug = open_shop(st.db, shop)
    prune_transcripts(st.db)  # the shop's retention setting, applied whenever a channel starts
    store, where = st.db_url or default_target(), st.db.location
    st.close()
    if reachable:
        typer.echo(
            "warning: Wyoming has no login and no encryption: anyone who can reach this port can talk to the "
            "shop and place orders. Keep it on a network you trust (or firewall it to Home Assistant's address).",
            err=True,
        )
    conversations = ShopConversations(store, slug)
    serve(
        uri,
        conversations,
        ready=lambda: typer.echo(
            f"voiceshop serving {conversations.name} ({where}) to Home Assistant on {uri} (Wyoming; Ctrl-C stops)"
        ),
    )
