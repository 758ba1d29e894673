"""The `ticketbot` command line (Typer): serve, migrate, and administer boards, members, tickets and keys.

Every command that lists or shows something takes `--json`. Errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.desk.errors import TicketbotError
from bot.desk.keys import KeyService
from bot.desk.principal import CLI_ADMIN, Principal
from bot.seam import Actor
from bot.desk.serialize import board_dict, key_dict, member_dict, note_dict, ticket_dict, timeline_dict
from bot.services import Services
from bot.settings import Settings
from bot.cli.manifest import manifest_app

T = TypeVar("T")

app = typer.Typer(help="ticketbot: a chat front end for a ticket desk.", no_args_is_help=True, rich_markup_mode=None)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True, rich_markup_mode=None)
boards_app = typer.Typer(help="Boards and their workflows.", no_args_is_help=True, rich_markup_mode=None)
members_app = typer.Typer(help="Members of the desk and their chat identities.", no_args_is_help=True, rich_markup_mode=None)
tickets_app = typer.Typer(help="Tickets, for scripts and admins.", no_args_is_help=True, rich_markup_mode=None)
keys_app = typer.Typer(help="Admin API keys.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
app.add_typer(boards_app, name="boards")
app.add_typer(members_app, name="members")
app.add_typer(tickets_app, name="tickets")
app.add_typer(keys_app, name="keys")
app.add_typer(manifest_app, name="manifest")

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")


def fail(message: str) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def run(work: Callable[[Services], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run `work` with fresh services over the configured database; domain errors become one-line errors."""

    async def main() -> T:
        services = Services(Settings())
        try:
            if migrate:
                await services.upgrade()
            return await work(services)
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except TicketbotError as exc:
        raise fail(str(exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        raise fail(f"the database failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None


def emit(as_json: bool, data: Any, text: str) -> None:
    """Print `data` as JSON or `text` as it is."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else text)


def safe_url(url: str) -> str:
    """A database URL fit for a log line (no password)."""
    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(3978, help="Port to listen on."),
) -> None:
    """Serve the bot and the HTTP API (upgrades the database first)."""
    from aiohttp import web

    from bot.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    log = logging.getLogger("ticketbot")
    log.info("database: %s", safe_url(settings.database_url))
    for platform, state in settings.platforms().items():
        log.info("platform %s: %s", platform, state)
    web.run_app(create_app(Services(settings)), host=host, port=port, print=None)


@app.command()
def chat(
    as_email: str = typer.Option("", "--as", help="Chat as the member with this email (a local guest when empty)."),
) -> None:
    """Chat with the bot in the terminal, as Teams, Slack or Webex users do (cards shown as text)."""
    import getpass

    from adapters.console import PLATFORM, ConsoleChat

    async def work(services: Services) -> None:
        member = await services.members.resolve(as_email) if as_email else None
        user = as_email.strip().lower() if as_email else getpass.getuser()
        actor = Actor(PLATFORM, user, member.name if member else user, member.email if member else None)
        await ConsoleChat(services, actor).run()

    run(work)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version."""

    async def work(services: Services) -> None:
        await services.upgrade()

    run(work, migrate=False)
    typer.echo(f"database is up to date: {safe_url(Settings().database_url)}")


@boards_app.command("list")
def boards_list(as_json: bool = JSON_OPTION) -> None:
    """List boards with their workflows."""
    boards = run(lambda s: s.boards.list())
    text = "\n".join(
        f"{b.name} (default priority {b.default_priority}): " + " → ".join(st.name for st in b.statuses) for b in boards
    )
    emit(as_json, [board_dict(b) for b in boards], text)


@boards_app.command("add")
def boards_add(
    name: str,
    status: list[str] = typer.Option([], "--status", help="A status of the workflow, in order (repeat)."),
    closed: list[str] = typer.Option([], "--closed", help="A status that closes tickets (repeat)."),
    priority: str = typer.Option("medium", help="Default priority of new tickets."),
    keyword: list[str] = typer.Option([], "--keyword", help="A word that routes free-text drafts here (repeat)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a board (default workflow: New, In Progress, Waiting, Resolved, Closed)."""
    board = run(
        lambda s: s.boards.add(name, statuses=status, closed=closed, default_priority=priority, keywords=keyword)
    )
    emit(as_json, board_dict(board), f"added board {board.name}")


@boards_app.command("statuses")
def boards_statuses(board: str, as_json: bool = JSON_OPTION) -> None:
    """Show a board's status workflow."""
    row = run(lambda s: s.boards.get(board))
    text = "\n".join(f"{st.position + 1}. {st.name}{' (closed)' if st.is_closed else ''}" for st in row.statuses)
    emit(as_json, board_dict(row)["statuses"], text)


@boards_app.command("category")
def boards_category(
    path: str = typer.Argument(..., help="Category path, e.g. Hardware/Printers."),
    board: str = typer.Option("", help="Board the category belongs to (all boards when empty)."),
) -> None:
    """Add a category (parents are created as needed)."""
    category = run(lambda s: s.boards.add_category(board or None, path))
    typer.echo(f"added category {path} (id {category.id})")


@members_app.command("add")
def members_add(
    name: str,
    email: str = typer.Option("", help="Email; identities with this email are linked to the member."),
    admin: bool = typer.Option(False, "--admin", help="May run admin commands in chat."),
    platform: str = typer.Option("", help="Preferred platform for direct messages: teams, slack or webex."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a member of the desk."""

    async def work(s: Services):
        member = await s.members.add(name, email or None, is_admin=admin, preferred_platform=platform or None)
        return (await s.members.list(), member)

    members, member = run(work)
    added = next(m for m in members if m.id == member.id)
    emit(as_json, member_dict(added), f"added member {added.name} (id {added.id})")


@members_app.command("list")
def members_list(as_json: bool = JSON_OPTION) -> None:
    """List members and their linked platforms."""
    members = run(lambda s: s.members.list())
    lines = []
    for m in members:
        linked = ", ".join(i.platform for i in m.identities) or "no chat identity"
        lines.append(f"{m.id}  {m.name}  <{m.email or '-'}>{'  admin' if m.is_admin else ''}  [{linked}]")
    emit(as_json, [member_dict(m) for m in members], "\n".join(lines) or "no members yet")


@members_app.command("link")
def members_link(
    email: str,
    platform: str = typer.Argument(..., help="teams, slack or webex."),
    user_id: str = typer.Argument(..., help="The platform's user id (AAD object id, Slack U..., Webex person id)."),
) -> None:
    """Link a platform identity to the member with this email."""
    identity = run(lambda s: s.members.link(email, platform, user_id))
    typer.echo(f"linked {platform} user {identity.user_id} to {email}")


async def _principal(services: Services, email: str) -> Principal:
    if not email:
        return CLI_ADMIN
    member = await services.members.resolve(email)
    return Principal(name=member.name, member_id=member.id, is_admin=member.is_admin)


def _ticket_text(ticket) -> str:
    assignees = ", ".join(m.name for m in ticket.assignees) or "unassigned"
    lines = [
        f"#{ticket.number} {ticket.title}",
        f"  status: {ticket.status.name}   priority: {ticket.priority}   board: {ticket.board.name}",
        f"  assignees: {assignees}   requester: {ticket.requester_name}   version: {ticket.version}",
    ]
    if ticket.category:
        lines.append(f"  category: {ticket.category.name}")
    if ticket.description:
        lines.append("")
        lines.extend(f"  {line}" for line in ticket.description.splitlines())
    return "\n".join(lines)


@tickets_app.command("create")
def tickets_create(
    title: str,
    description: str = typer.Option("", help="Longer description."),
    priority: str = typer.Option("", help="low, medium, high, critical (or p1..p4, urgent, asap)."),
    board: str = typer.Option("", help="Board name (the default board when empty)."),
    category: str = typer.Option("", help="Category path, e.g. Hardware/Printers."),
    requester: str = typer.Option("", help="Email of the member who asks (the admin when empty)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Open a ticket."""

    async def work(s: Services):
        who = await _principal(s, requester)
        return await s.tickets.create(
            CLI_ADMIN,
            title=title,
            description=description,
            priority=priority or None,
            board=board or None,
            category=category or None,
            requester=who,
        )

    ticket = run(work)
    emit(as_json, ticket_dict(ticket), f"created #{ticket.number} {ticket.title}")


@tickets_app.command("show")
def tickets_show(number: int, as_json: bool = JSON_OPTION) -> None:
    """Show a ticket with its notes and history."""

    async def work(s: Services):
        return await s.tickets.get(number), await s.tickets.notes(number), await s.tickets.history(number)

    ticket, notes, history = run(work)
    data = ticket_dict(ticket) | {"notes": [note_dict(n) for n in notes], "history": [timeline_dict(h) for h in history]}
    lines = [_ticket_text(ticket)]
    if notes:
        lines.append("\nnotes:")
        lines.extend(f"  {n.created_at:%Y-%m-%d %H:%M} {n.author_name}{' (internal)' if n.internal else ''}: {n.text}" for n in notes)
    lines.append("\nhistory:")
    for h in history:
        what = "; ".join(f"{c['field']}: {c['old'] or '-'} → {c['new'] or '-'}" for c in h.changes)
        lines.append(f"  {h.at:%Y-%m-%d %H:%M} {h.actor} {h.action}: {what}")
    emit(as_json, data, "\n".join(lines))


@tickets_app.command("list")
def tickets_list(
    board: str = typer.Option("", help="Only this board."),
    status: str = typer.Option("", help="Only this status."),
    assignee: str = typer.Option("", help="Only tickets assigned to this member (email or name)."),
    open_only: bool = typer.Option(False, "--open", help="Only open tickets."),
    search: str = typer.Option("", help="Only tickets whose title or description has these words."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List tickets, newest first."""

    async def work(s: Services):
        assignee_id = (await s.members.resolve(assignee)).id if assignee else None
        return await s.tickets.list(
            board=board or None,
            status=status or None,
            assignee_id=assignee_id,
            open_only=open_only,
            words=search or None,
            limit=limit,
        )

    tickets = run(work)
    text = "\n".join(f"#{t.number}  {t.status.name:<12} {t.priority:<8} {t.title}" for t in tickets) or "no tickets"
    emit(as_json, [ticket_dict(t) for t in tickets], text)


VERSION_OPTION = typer.Option(None, "--version", help="Refuse the change if the ticket is no longer at this version.")


@tickets_app.command("update")
def tickets_update(
    number: int,
    title: str = typer.Option(None, help="New title."),
    description: str = typer.Option(None, help="New description."),
    priority: str = typer.Option(None, help="New priority."),
    status: str = typer.Option(None, help="New status of the board's workflow."),
    category: str = typer.Option(None, help="New category path."),
    version: int = VERSION_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a ticket's fields."""
    ticket = run(
        lambda s: s.tickets.update(
            CLI_ADMIN,
            number,
            expected_version=version,
            title=title,
            description=description,
            priority=priority,
            status=status,
            category=category,
        )
    )
    emit(as_json, ticket_dict(ticket), f"updated #{ticket.number} (version {ticket.version})")


@tickets_app.command("assign")
def tickets_assign(
    number: int,
    who: list[str] = typer.Argument(..., help="Members by email or name."),
    remove: bool = typer.Option(False, "--remove", help="Unassign them instead."),
    version: int = VERSION_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Assign members to a ticket (or unassign with --remove)."""

    async def work(s: Services):
        members = [await s.members.resolve(w) for w in who]
        change = s.tickets.unassign if remove else s.tickets.assign
        return await change(CLI_ADMIN, number, members, expected_version=version)

    ticket = run(work)
    names = ", ".join(m.name for m in ticket.assignees) or "nobody"
    emit(as_json, ticket_dict(ticket), f"#{ticket.number} is assigned to {names}")


@tickets_app.command("note")
def tickets_note(
    number: int,
    text: str,
    internal: bool = typer.Option(False, "--internal", help="Visible to desk members only."),
    author: str = typer.Option("", help="Email of the member writing (the admin when empty)."),
) -> None:
    """Add a note to a ticket."""

    async def work(s: Services):
        return await s.tickets.add_note(await _principal(s, author), number, text, internal=internal)

    ticket, note = run(work)
    typer.echo(f"added note {note.uid} to #{ticket.number}")


@tickets_app.command("close")
def tickets_close(number: int, reason: str = typer.Option("", help="Why; kept as a public note.")) -> None:
    """Close a ticket."""
    ticket = run(lambda s: s.tickets.close(CLI_ADMIN, number, reason or None))
    typer.echo(f"closed #{ticket.number} ({ticket.status.name})")


@tickets_app.command("reopen")
def tickets_reopen(number: int) -> None:
    """Reopen a closed ticket."""
    ticket = run(lambda s: s.tickets.reopen(CLI_ADMIN, number))
    typer.echo(f"reopened #{ticket.number} ({ticket.status.name})")


@keys_app.command("create")
def keys_create(name: str) -> None:
    """Create an admin API key. The key is printed once, alone on the last line."""
    new = run(lambda s: KeyService(s.db).create(name, actor=CLI_ADMIN.name))
    typer.echo(f"created key {new.row.id} '{new.row.name}'; store it now, it is not shown again:")
    typer.echo(new.secret)


@keys_app.command("list")
def keys_list(as_json: bool = JSON_OPTION) -> None:
    """List API keys (never the keys themselves)."""
    keys = run(lambda s: KeyService(s.db).list())
    text = "\n".join(
        f"{k.id}  {k.prefix}…  {k.name}  {'revoked' if k.revoked_at else 'active'}" for k in keys
    ) or "no keys"
    emit(as_json, [key_dict(k) for k in keys], text)


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="The key's id or prefix.")) -> None:
    """Revoke an API key."""
    row = run(lambda s: KeyService(s.db).revoke(key, actor=CLI_ADMIN.name))
    typer.echo(f"revoked key {row.id} '{row.name}'")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
