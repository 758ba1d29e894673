"""`ticketbot tickets …`: tickets, for scripts and admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.api.schemas import NoteOut, TicketDetail, TicketOut, TimelineOut
from bot.cli.common import JSON_OPTION, emit, group, run
from bot.desk.principal import CLI_ADMIN, Principal
from bot.facts import TICKET_NUMBER_MAX
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

tickets_app = group("Tickets, for scripts and admins.")


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

    ticket = run(work, audit="tickets.create")
    emit(as_json, TicketOut.of(ticket), f"created #{ticket.number} {ticket.title}")


@tickets_app.command("show")
def tickets_show(number: int, as_json: bool = JSON_OPTION) -> None:
    """Show a ticket with its notes and history."""
    from bot.desk.history import history_lines

    async def work(s: Services):
        return await s.tickets.get(number), await s.tickets.notes(number), await s.tickets.history(number)

    ticket, notes, history = run(work, migrate=False)
    data = TicketDetail(
        **TicketOut.of(ticket).model_dump(),
        notes=[NoteOut.of(n) for n in notes],
        history=[TimelineOut.of(h) for h in history],
    )
    zone = Settings().zone
    lines = [_ticket_text(ticket)]
    if notes:
        lines.append("\nnotes:")
        for n in notes:
            when = n.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
            lines.append(f"  {when} {n.author_name}{' (internal)' if n.internal else ''}: {n.text}")
    lines.append("")
    lines.extend(history_lines(ticket, history, notes, tz=zone))
    emit(as_json, data, "\n".join(lines))


@tickets_app.command("list")
def tickets_list(
    board: str = typer.Option("", help="Only this board."),
    status: str = typer.Option("", help="Only this status."),
    assignee: str = typer.Option("", help="Only tickets assigned to this member (email or name)."),
    open_only: bool = typer.Option(False, "--open", help="Only open tickets."),
    search: str = typer.Option("", help="Only tickets whose title or description has these words."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many."),
    before: int = typer.Option(
        None, min=1, max=TICKET_NUMBER_MAX + 1, clamp=True, help="Only tickets numbered below this (the last one shown)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List tickets, newest first (the 50 newest unless --limit says otherwise)."""

    async def work(s: Services):
        assignee_id = (await s.members.resolve(assignee)).id if assignee else None
        return await s.tickets.list(
            board=board or None,
            status=status or None,
            assignee_id=assignee_id,
            open_only=open_only,
            words=search or None,
            limit=limit,
            before=before,
        )

    tickets = run(work, migrate=False)
    text = "\n".join(f"#{t.number}  {t.status.name:<12} {t.priority:<8} {t.title}" for t in tickets) or "no tickets"
    emit(as_json, [TicketOut.of(t) for t in tickets], text)


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
        ),
        audit="tickets.update",
    )
    emit(as_json, TicketOut.of(ticket), f"updated #{ticket.number} (version {ticket.version})")


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

    ticket = run(work, audit="tickets.unassign" if remove else "tickets.assign")
    names = ", ".join(m.name for m in ticket.assignees) or "nobody"
    emit(as_json, TicketOut.of(ticket), f"#{ticket.number} is assigned to {names}")


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

    ticket, note = run(work, audit="tickets.note")
    typer.echo(f"added note {note.uid} to #{ticket.number}")


@tickets_app.command("close")
def tickets_close(number: int, reason: str = typer.Option("", help="Why; kept as a public note.")) -> None:
    """Close a ticket."""
    ticket = run(lambda s: s.tickets.close(CLI_ADMIN, number, reason or None), audit="tickets.close")
    typer.echo(f"closed #{ticket.number} ({ticket.status.name})")


@tickets_app.command("reopen")
def tickets_reopen(number: int) -> None:
    """Reopen a closed ticket."""
    ticket = run(lambda s: s.tickets.reopen(CLI_ADMIN, number), audit="tickets.reopen")
    typer.echo(f"reopened #{ticket.number} ({ticket.status.name})")
