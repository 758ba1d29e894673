"""`/tickets`: list with filters, get, create, update (with the version), assign, note, close, reopen.

Every change goes through TicketService with the caller as the principal, so the desk's permission checks
and optimistic locking decide, as they do for chat and the CLI. Lists are newest first; the cursor is the
number of the last ticket of the previous page.
"""

from __future__ import annotations

from bot import log_fields
from bot.api.routing import Call, Route
from bot.api.schemas import (
    Assignment,
    Closing,
    NoteAdded,
    NoteCreate,
    NoteOut,
    Page,
    PageQuery,
    Reopening,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketQuery,
    TicketUpdate,
    TimelineOut,
)
from bot.desk import policy
from bot.desk.errors import NotFound
from bot.desk.principal import Principal
from storage.models import Member, Ticket

TICKET_ERRORS = (400, 403, 404, 409)


def member_principal(member: Member) -> Principal:
    """A member as the author or requester of a change."""
    return Principal(name=member.name, member_id=member.id, is_admin=member.is_admin)


async def _visible(call: Call, number: int) -> Ticket:
    log_fields.note(ticket=number)
    ticket = await call.desk.tickets.get(number)
    if not policy.may_see(call.caller.principal, ticket):
        raise NotFound(f"There is no ticket #{number}.")
    return ticket


async def list_tickets(call: Call[None, TicketQuery]) -> Page[TicketOut]:
    """A page of tickets matching the filters."""
    q = call.query
    rows = await call.desk.tickets.list(
        board=q.board,
        status=q.status,
        assignee_id=q.assignee,
        requester=Principal(name="", member_id=q.requester) if q.requester else None,
        open_only=q.open,
        words=q.q,
        limit=q.limit + 1,
        before=int(q.cursor) if q.cursor else None,
    )
    seen = [t for t in rows if policy.may_see(call.caller.principal, t)]
    items = seen[: q.limit]
    more = len(rows) > q.limit
    return Page[TicketOut](items=[TicketOut.of(t) for t in items], next_cursor=str(items[-1].number) if more else None)


async def get_ticket(call: Call) -> TicketDetail:
    """The ticket with its notes (internal ones for members) and timeline."""
    number = call.ids["number"]
    ticket = await _visible(call, number)
    principal = call.caller.principal
    notes = await call.desk.tickets.notes(number, include_internal=principal.is_member or principal.is_admin)
    history = await call.desk.tickets.history(number)
    return TicketDetail(
        **TicketOut.of(ticket).model_dump(),
        notes=[NoteOut.of(n) for n in notes],
        history=[TimelineOut.of(h) for h in history],
    )


async def create_ticket(call: Call[TicketCreate, None]) -> TicketOut:
    """Open a ticket as the caller, for the named requester or the caller."""
    body = call.body
    requester = member_principal(await call.desk.members.get(body.requester)) if body.requester else None
    ticket = await call.desk.tickets.create(
        call.caller.principal,
        title=body.title,
        description=body.description,
        priority=body.priority,
        board=body.board,
        category=body.category,
        requester=requester,
    )
    return TicketOut.of(ticket)


async def update_ticket(call: Call[TicketUpdate, None]) -> TicketOut:
    """Change fields of the ticket at the version the caller saw."""
    body = call.body
    ticket = await call.desk.tickets.update(
        call.caller.principal,
        call.ids["number"],
        expected_version=body.version,
        title=body.title,
        description=body.description,
        priority=body.priority,
        status=body.status,
        category=body.category,
    )
    return TicketOut.of(ticket)


async def _members(call: Call[Assignment, None]) -> list[Member]:
    return [await call.desk.members.get(member_id) for member_id in call.body.members]


async def assign(call: Call[Assignment, None]) -> TicketOut:
    """Add members to the assignees."""
    members = await _members(call)
    ticket = await call.desk.tickets.assign(
        call.caller.principal, call.ids["number"], members, expected_version=call.body.version
    )
    return TicketOut.of(ticket)


async def unassign(call: Call[Assignment, None]) -> TicketOut:
    """Remove members from the assignees."""
    members = await _members(call)
    ticket = await call.desk.tickets.unassign(
        call.caller.principal, call.ids["number"], members, expected_version=call.body.version
    )
    return TicketOut.of(ticket)


async def list_notes(call: Call[None, PageQuery]) -> Page[NoteOut]:
    """The ticket's notes, oldest first (internal ones for members)."""
    number = call.ids["number"]
    await _visible(call, number)
    principal = call.caller.principal
    notes = await call.desk.tickets.notes(number, include_internal=principal.is_member or principal.is_admin)
    start = int(call.query.cursor) if call.query.cursor else 0
    items = notes[start : start + call.query.limit]
    more = start + call.query.limit < len(notes)
    return Page[NoteOut](items=[NoteOut.of(n) for n in items], next_cursor=str(start + len(items)) if more else None)


async def add_note(call: Call[NoteCreate, None]) -> NoteAdded:
    """Add a note as the caller."""
    ticket, note = await call.desk.tickets.add_note(
        call.caller.principal,
        call.ids["number"],
        call.body.text,
        internal=call.body.internal,
        expected_version=call.body.version,
    )
    return NoteAdded(ticket=TicketOut.of(ticket), note=NoteOut.of(note))


async def timeline(call: Call[None, PageQuery]) -> Page[TimelineOut]:
    """The ticket's changes, oldest first."""
    number = call.ids["number"]
    await _visible(call, number)
    entries = await call.desk.tickets.history(number)
    start = int(call.query.cursor) if call.query.cursor else 0
    items = entries[start : start + call.query.limit]
    more = start + call.query.limit < len(entries)
    return Page[TimelineOut](
        items=[TimelineOut.of(e) for e in items], next_cursor=str(start + len(items)) if more else None
    )


async def close(call: Call[Closing, None]) -> TicketOut:
    """Close the ticket, with an optional reason."""
    ticket = await call.desk.tickets.close(
        call.caller.principal, call.ids["number"], call.body.reason, expected_version=call.body.version
    )
    return TicketOut.of(ticket)


async def reopen(call: Call[Reopening, None]) -> TicketOut:
    """Reopen a closed ticket."""
    number, version = call.ids["number"], call.body.version
    ticket = await call.desk.tickets.reopen(call.caller.principal, number, expected_version=version)
    return TicketOut.of(ticket)


T = "/tickets/{number}"
ROUTES = (
    Route("GET", "/tickets", "tickets.list", "List tickets", list_tickets, Page[TicketOut], query=TicketQuery),
    Route("POST", "/tickets", "tickets.create", "Open a ticket", create_ticket, TicketOut, TicketCreate,
          status=201, errors=TICKET_ERRORS),
    Route("GET", T, "tickets.get", "Show a ticket with notes and timeline", get_ticket, TicketDetail),
    Route("PATCH", T, "tickets.update", "Change a ticket", update_ticket, TicketOut, TicketUpdate,
          errors=TICKET_ERRORS),
    Route("POST", T + "/assign", "tickets.assign", "Assign members", assign, TicketOut, Assignment,
          errors=TICKET_ERRORS),
    Route("POST", T + "/unassign", "tickets.unassign", "Unassign members", unassign, TicketOut, Assignment,
          errors=TICKET_ERRORS),
    Route("GET", T + "/notes", "tickets.notes", "List a ticket's notes", list_notes, Page[NoteOut], query=PageQuery),
    Route("POST", T + "/notes", "tickets.note", "Add a note", add_note, NoteAdded, NoteCreate, status=201,
          errors=TICKET_ERRORS),
    Route("GET", T + "/timeline", "tickets.timeline", "List a ticket's changes", timeline, Page[TimelineOut],
          query=PageQuery),
    Route("POST", T + "/close", "tickets.close", "Close a ticket", close, TicketOut, Closing, body_required=False,
          errors=TICKET_ERRORS),
    Route("POST", T + "/reopen", "tickets.reopen", "Reopen a ticket", reopen, TicketOut, Reopening,
          body_required=False, errors=TICKET_ERRORS),
)
