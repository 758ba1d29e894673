"""`ticketbot recipients|rules|forwards|outbox …` and `ticketbot worker`: notification routing and the outbox."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from bot.api.schemas import ForwardOut, OutboxStatus, RecipientOut, RuleOut
from bot.cli.common import JSON_OPTION, emit, fail, group, run

if TYPE_CHECKING:
    from bot.services import Services

recipients_app = group("Notification recipients: channels, spaces, rooms and people.")
rules_app = group("Board rules: which recipients hear about a board's tickets.")
forwards_app = group("Forwards: what reaches one recipient goes to another, within dates.")
outbox_app = group("The delivery queue (notifications and deferred replies).")


def _when(value: str, option: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} '{value}' is not an ISO date or time (e.g. 2026-03-01 or 2026-03-01T09:00).") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@recipients_app.command("add")
def recipients_add(
    platform: str = typer.Option(..., help="teams, slack, webex, console."),
    conversation: str = typer.Option(..., help="The platform's conversation (channel, space, room, chat) id."),
    name: str = typer.Option(..., help="A name to show."),
    kind: str = typer.Option("room", help="room or person."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a recipient; prints its id."""
    added = run(lambda s: s.recipients.add(platform, conversation, name, kind=kind))
    emit(as_json, RecipientOut.model_validate(added), str(added["id"]))


@recipients_app.command("list")
def recipients_list(as_json: bool = JSON_OPTION) -> None:
    """List recipients."""
    rows = run(lambda s: s.recipients.list(), migrate=False)
    text = "\n".join(f"{r['id']}\t{r['kind']}\t{r['platform']}\t{r['conversation']}\t{r['name']}" for r in rows)
    emit(as_json, [RecipientOut.model_validate(r) for r in rows], text or "no recipients")


@rules_app.command("add")
def rules_add(
    board: str = typer.Option(..., help="The board's name."),
    recipient: int = typer.Option(..., help="The recipient's id."),
    min_priority: str = typer.Option("", help="Only tickets of this priority or above."),
    on_update: bool = typer.Option(False, "--on-update", help="Also notify the recipient of updates."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a rule: the board's new tickets (and updates, with --on-update) go to the recipient."""
    rule = run(lambda s: s.rules.add(board, recipient, min_priority=min_priority or None, on_update=on_update))
    emit(as_json, RuleOut.model_validate(rule), f"added rule {rule['id']}: {rule['board']} → {rule['recipient']}")


@rules_app.command("list")
def rules_list(as_json: bool = JSON_OPTION) -> None:
    """List rules."""
    rows = run(lambda s: s.rules.list(), migrate=False)
    text = "\n".join(
        f"{r['id']}\t{'on' if r['enabled'] else 'off'}\t{r['board']} → {r['recipient']}\t"
        f"{','.join(r['events'])}\t{','.join(r['priorities']) or 'any priority'}"
        for r in rows
    )
    emit(as_json, [RuleOut.model_validate(r) for r in rows], text or "no rules")


@rules_app.command("enable")
def rules_enable(rule_id: int) -> None:
    """Enable a rule."""
    run(lambda s: s.rules.set_enabled(rule_id, True))
    typer.echo(f"enabled rule {rule_id}")


@rules_app.command("disable")
def rules_disable(rule_id: int) -> None:
    """Disable a rule (kept, but it routes nothing)."""
    run(lambda s: s.rules.set_enabled(rule_id, False))
    typer.echo(f"disabled rule {rule_id}")


@rules_app.command("delete")
def rules_delete(rule_id: int) -> None:
    """Delete a rule."""
    run(lambda s: s.rules.delete(rule_id))
    typer.echo(f"deleted rule {rule_id}")


@forwards_app.command("add")
def forwards_add(
    source: int = typer.Option(..., "--from", help="The recipient whose deliveries are forwarded."),
    destination: int = typer.Option(..., "--to", help="The recipient they go to."),
    start: str = typer.Option("", help="ISO date/time from which it applies (UTC when no zone is given)."),
    end: str = typer.Option("", help="ISO date/time until which it applies (exclusive)."),
    keep_copy: bool = typer.Option(False, "--keep-copy", help="The source receives them too."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a forward (refused when it would close a cycle, forward to itself, or start after it ends)."""
    starts, ends = _when(start, "--start"), _when(end, "--end")
    forward = run(lambda s: s.forwards.add(source, destination, start=starts, end=ends, keep_copy=keep_copy))
    emit(as_json, ForwardOut.model_validate(forward), f"added forward {forward['id']}: {source} → {destination}")


@forwards_app.command("list")
def forwards_list(as_json: bool = JSON_OPTION) -> None:
    """List forwards."""
    rows = run(lambda s: s.forwards.list(), migrate=False)
    text = "\n".join(
        f"{f['id']}\t{f['from']} → {f['to']}\t{'keep copy' if f['keep_copy'] else 'move'}\t"
        f"{f['start'] or '…'} – {f['end'] or '…'}"
        for f in rows
    )
    emit(as_json, [ForwardOut.model_validate(f) for f in rows], text or "no forwards")


@forwards_app.command("delete")
def forwards_delete(forward_id: int) -> None:
    """Delete a forward."""
    run(lambda s: s.forwards.delete(forward_id))
    typer.echo(f"deleted forward {forward_id}")


@outbox_app.command("status")
def outbox_status(as_json: bool = JSON_OPTION) -> None:
    """Counts by state, the oldest pending row's age, and the dead rows with their last error."""
    status = run(lambda s: s.outbox.status(), migrate=False)
    lines = [" · ".join(f"{state} {count}" for state, count in status["counts"].items())]
    if status["oldest_pending_seconds"] is not None:
        lines.append(f"oldest pending: {status['oldest_pending_seconds']} s")
    lines.extend(f"dead {d['id']} ({d['platform']}, {d['attempts']} attempts): {d['error']}" for d in status["dead"])
    emit(as_json, OutboxStatus.model_validate(status), "\n".join(lines))


@outbox_app.command("retry")
def outbox_retry(
    delivery_id: int | None = typer.Argument(None, help="The dead delivery to send again."),
    dead: bool = typer.Option(False, "--dead", help="Send every dead delivery again."),
) -> None:
    """Make a dead delivery (or, with --dead, every dead one) pending again."""
    if (delivery_id is None) == (not dead):
        raise fail("give a delivery id or --dead (not both)")
    revived = run(lambda s: s.outbox.retry(None if dead else [delivery_id]))  # type: ignore[list-item]
    typer.echo(f"{revived} deliver{'y' if revived == 1 else 'ies'} pending again")


def worker() -> None:
    """Run the outbox worker alone (without the HTTP endpoints), until SIGTERM or SIGINT.

    Stopping, it sends nothing new, lets the sends in flight end for up to TICKETBOT_SHUTDOWN_TIMEOUT seconds
    and puts the rows it still holds back to pending, for another worker to send at once."""
    import asyncio
    import signal

    from aiohttp import web

    from bot.app import install_adapters
    from bot.logs import configure

    async def work(services: Services) -> None:
        configure(services.settings.log_format)
        mounted = install_adapters(web.Application(), services)
        logging.getLogger("ticketbot").info("outbox worker for: %s", ", ".join(m.platform for m in mounted) or "none")
        running = asyncio.create_task(services.worker.run())
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        waiting = asyncio.create_task(stopped.wait())
        await asyncio.wait({running, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        await services.worker.finish(running, services.settings.shutdown_timeout)

    run(work)
