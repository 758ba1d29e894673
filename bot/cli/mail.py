"""`ticketbot mail …`: check the Graph settings, poll the inbox, and manage sender exclusions and rules.

`check` and `poll` import the mail adapter when they run: the exclusion and rule commands, and every other
command of the CLI, need neither it nor the HTTP stack.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

from bot.cli.common import JSON_OPTION, emit, fail, group, run
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

mail_app = group("Mail: the shared mailbox read through Microsoft Graph.")
exclude_app = group("Senders whose mail never becomes a ticket (an address or a domain).")
rules_app = group("Assignment rules: mail from an address or a domain → a board and/or an assignee.")
mail_app.add_typer(exclude_app, name="exclude")
mail_app.add_typer(rules_app, name="rules")



def _off() -> typer.Exit:
    from adapters.mail.config import REQUIRED

    return fail(f"mail is off: set {', '.join(REQUIRED)}")


@mail_app.command("check")
def mail_check() -> None:
    """Verify the settings end to end: token, permissions, mailbox, processed folder (one line each)."""
    from adapters.mail import graph_client
    from adapters.mail.check import run_checks
    from adapters.mail.config import mail_config
    from bot.web import SharedSession

    config = mail_config(Settings())
    if config is None:
        raise _off()

    async def work() -> list[str]:
        http = SharedSession()
        graph = graph_client(config, http)
        try:
            checks = await run_checks(graph)
        finally:
            await graph.tokens.close()
            await http.close()
        return [c.line() for c in checks] + (["all checks passed"] if all(c.ok for c in checks) else [])

    lines = asyncio.run(work())
    typer.echo("\n".join(lines))
    if lines[-1] != "all checks passed":
        raise typer.Exit(1)


@mail_app.command("poll")
def mail_poll(once: bool = typer.Option(False, "--once", help="Read the new mail once and exit.")) -> None:
    """Read the inbox and turn new mail into tickets and notes (every GRAPH_POLL_SECONDS until stopped)."""
    from adapters.mail import channel

    async def work(s: Services) -> tuple[int, int] | None:
        mail = channel(s.adapter_context())
        if mail is None:
            raise _off()
        if not once:
            await mail.run()
            return None
        try:
            result = await mail.poller.poll_once()
        finally:
            await mail.close()
        return result.handled, result.skipped

    counts = run(work)
    if counts is not None:
        typer.echo(f"handled {counts[0]} mail(s), skipped {counts[1]}")


@exclude_app.command("add")
def exclude_add(pattern: str = typer.Argument(..., help="An address (news@example.com) or a domain (example.com).")):
    """Exclude a sender."""
    row = run(lambda s: s.mail.add_exclusion(pattern))
    typer.echo(f"excluded {row.pattern}")


@exclude_app.command("list")
def exclude_list(as_json: bool = JSON_OPTION) -> None:
    """List the excluded senders."""
    rows = run(lambda s: s.mail.exclusions(), migrate=False)
    emit(as_json, [r.pattern for r in rows], "\n".join(r.pattern for r in rows) or "no senders are excluded")


@exclude_app.command("delete")
def exclude_delete(pattern: str) -> None:
    """Stop excluding a sender."""
    run(lambda s: s.mail.delete_exclusion(pattern))
    typer.echo(f"no longer excluded: {pattern.strip().lower()}")


@rules_app.command("add")
def rules_add(
    pattern: str = typer.Argument(..., help="An address (ann@example.com) or a domain (example.com)."),
    board: str = typer.Option("", help="The board new tickets from this sender go to."),
    assignee: str = typer.Option("", help="The email of the member new tickets are assigned to."),
) -> None:
    """Add an assignment rule."""
    rule = run(lambda s: s.mail.add_rule(pattern, board=board or None, assignee=assignee or None))
    typer.echo(f"added rule for {rule.pattern}")


@rules_app.command("list")
def rules_list(as_json: bool = JSON_OPTION) -> None:
    """List the assignment rules."""
    rows = run(lambda s: s.mail.rules(), migrate=False)
    data = [
        {
            "pattern": r.pattern,
            "board": r.board.name if r.board else None,
            "assignee": r.assignee.email if r.assignee else None,
        }
        for r in rows
    ]
    text = "\n".join(
        f"{d['pattern']} → " + ", ".join(f"{k} {d[k]}" for k in ("board", "assignee") if d[k]) for d in data
    )
    emit(as_json, data, text or "no rules")


@rules_app.command("delete")
def rules_delete(pattern: str) -> None:
    """Delete the rule for a sender."""
    run(lambda s: s.mail.delete_rule(pattern))
    typer.echo(f"deleted the rule for {pattern.strip().lower()}")
