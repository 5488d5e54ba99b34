"""``voiceshop webhooks list|replay``: what the webhook worker of ``voiceshop serve`` delivered, what
failed, and putting failures back in its queue."""

from __future__ import annotations

import time
from dataclasses import asdict

import typer

from voiceshop.cli.context import JSON_OPTION, state
from voiceshop.cli.output import emit_json, table
from voiceshop.errors import shorten
from voiceshop.storage.deliveries import STATES, Delivery, DeliveryRepository, DeliveryState

app = typer.Typer(
    help="Webhook deliveries (voiceshop serve --webhook URL): list them, replay failed ones.", no_args_is_help=True
)


def _when(stamp: str | None) -> str:
    return "" if not stamp else stamp[:19].replace("T", " ")


def _row(d: Delivery) -> list[object]:
    status = {"pending": f"pending (next {_when(d.next_at)})", "delivered": f"delivered {_when(d.delivered_at)}"}
    return [d.id, d.event_id, d.topic, shorten(d.url, 48), status.get(d.state, d.state), d.attempts, d.last_error]


@app.command("list")
def list_deliveries(
    ctx: typer.Context,
    failed: bool = typer.Option(False, "--failed", help="Only failed deliveries (the same as --state failed)."),
    state_: str | None = typer.Option(None, "--state", help=f"Only deliveries in this state: {', '.join(STATES)}."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000, help="At most this many, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Deliveries, newest first: event, URL, state, attempts and the last error."""
    if state_ is not None and state_ not in STATES:
        raise typer.BadParameter(
            f"{shorten(state_)!r} is not a state; use one of {', '.join(STATES)}", param_hint="--state"
        )
    if failed and state_ not in (None, "failed"):
        raise typer.BadParameter("--failed and --state name different states; give one of them", param_hint="--failed")
    wanted: DeliveryState | None = "failed" if failed else state_  # type: ignore[assignment]  # checked above
    repo = DeliveryRepository(state(ctx).db)
    found = repo.list(wanted, limit=limit)
    if as_json:
        emit_json([asdict(d) for d in found])
        return
    if not found:
        counts = repo.counts()
        typer.echo(f"no {wanted} webhook deliveries" if wanted else "no webhook deliveries yet")
        if wanted and any(counts.values()):
            typer.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
        return
    table(["id", "event", "topic", "url", "state", "attempts", "last error"], [_row(d) for d in found])


@app.command("replay")
def replay(
    ctx: typer.Context,
    delivery_id: int | None = typer.Argument(None, metavar="[ID]", help="The delivery to send again (from `list`)."),
    all_failed: bool = typer.Option(False, "--all-failed", help="Replay every failed delivery."),
) -> None:
    """Put a failed (or delivered) delivery back in the queue: a running `voiceshop serve --webhook URL`
    posts it again at once, with its attempts counted afresh."""
    if (delivery_id is None) == (not all_failed):
        raise typer.BadParameter("give a delivery ID or --all-failed (one of them)", param_hint="ID")
    repo = DeliveryRepository(state(ctx).db)
    if delivery_id is not None:
        d = repo.replay(delivery_id, now=time.time())
        typer.echo(
            f"delivery {d.id} (event {d.event_id}, {d.topic}) is queued again; "
            f"a running `voiceshop serve --webhook {d.url}` posts it"
        )
        return
    ids = repo.replay_failed(now=time.time())
    if not ids:
        typer.echo("no failed webhook deliveries to replay")
        return
    typer.echo(f"{len(ids)} failed deliveries are queued again: {', '.join(map(str, ids))}")
