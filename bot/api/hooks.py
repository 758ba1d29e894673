"""`POST /hooks/tickets`: ticket events from an external ticket system (ConnectWise, Autotask, any PSA).

The body is signed: `X-Ticketbot-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed with
TICKETBOT_HOOK_SECRET>`; a bad or missing signature is a 401 and nothing is read. The body (`TicketHook`, which
the admin API's OpenAPI document shows) upserts the ticket by its `external_id` through the ticket domain, so
the change notifies like any other (the planner runs in each change's transaction). Only what differs from
the stored ticket is changed (by an `updated` event; a `created` one for a known ticket only adds its note), and a
note is added once per note id: replaying a body changes nothing.
"""

from __future__ import annotations

import logging
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError

from bot import log_fields
from bot.desk import Desk
from bot.desk.errors import Conflict, TicketbotError
from bot.desk.principal import Principal
from bot.desk.priorities import normalize_priority
from bot.facts import NOTE_MAX, TITLE_MAX
from bot.web import BadBody, hmac_hex, json_error, parse_json, read_body, same
from storage.models import Member, Ticket

log = logging.getLogger(__name__)

PATH = "/hooks/tickets"
SIGNATURE_HEADER = "X-Ticketbot-Signature"
HOOK_ACTOR = "PSA hook"


class HookTicket(BaseModel):
    """The ticket as the external system has it now."""

    model_config = ConfigDict(extra="ignore")
    external_id: str = Field(min_length=1, max_length=200)
    board: str | None = Field(None, max_length=100)
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    status: str | None = Field(None, max_length=60)
    priority: str | None = Field(None, max_length=20)
    assignees: list[str] = Field(default_factory=list, max_length=50, description="Emails of desk members.")
    requester: str | None = Field(None, max_length=320, description="The requester's email.")


class HookNote(BaseModel):
    """A note added in the external system; `id` is its id there."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=320, description="The author's email or name.")
    text: str = Field(min_length=1, max_length=NOTE_MAX)
    internal: bool = False


class TicketHook(BaseModel):
    """The body of `POST /hooks/tickets`."""

    model_config = ConfigDict(extra="ignore")
    event: Literal["created", "updated"]
    ticket: HookTicket
    note: HookNote | None = None


def validation_message(exc: ValidationError) -> str:
    """The first problem of a body, naming its field (`ticket.title: Field required`)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


class _Refused(Exception):
    """The body names something the desk does not know; `str()` names the field."""


class TicketHookEndpoint:
    """The aiohttp handler of `POST /hooks/tickets`."""

    def __init__(self, desk: Desk, secret: str) -> None:
        self.desk = desk
        self.key = secret.encode()
        self.system = Principal(name=HOOK_ACTOR, is_admin=True)

    async def handle(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not same(f"sha256={hmac_hex(self.key, body)}", signature):
            return json_error(401, f"The {SIGNATURE_HEADER} header is missing or does not match the body.")
        try:
            hook = TicketHook.model_validate(parse_json(body))
        except BadBody as exc:
            return json_error(400, str(exc))
        except ValidationError as exc:
            return json_error(400, validation_message(exc))
        try:
            ticket, changed = await self._apply(hook)
        except _Refused as exc:
            return json_error(400, str(exc))
        except TicketbotError as exc:
            return json_error(400 if exc.status >= 500 else exc.status, str(exc))
        log_fields.note(ticket=ticket.number)
        return web.json_response({"ticket": ticket.number, "changed": changed})

    async def _member(self, email: str, field: str) -> Member:
        member = await self.desk.members.by_email(email)
        if member is None:
            raise _Refused(f"{field}: no desk member has the email {email}.")
        return member

    async def _requester(self, email: str | None) -> Principal | None:
        if not email:
            return None
        member = await self.desk.members.by_email(email)
        if member is None:
            return Principal(name=email)
        return Principal(name=member.name, member_id=member.id)

    async def _apply(self, hook: TicketHook) -> tuple[Ticket, bool]:
        data = hook.ticket
        assignees = [await self._member(email, "ticket.assignees") for email in dict.fromkeys(data.assignees)]
        tickets = self.desk.tickets
        changed = False
        ticket = await tickets.by_external_id(data.external_id)
        if ticket is None:
            if data.board:
                try:
                    await self.desk.boards.get(data.board)
                except TicketbotError as exc:
                    raise _Refused(f"ticket.board: {exc}") from None
            try:
                ticket = await tickets.create(
                    self.system,
                    title=data.title,
                    priority=data.priority,
                    board=data.board,
                    requester=await self._requester(data.requester),
                    assignees=assignees,
                    external_id=data.external_id,
                )
                changed = True
            except IntegrityError:  # the same ticket arrived at the same time; it exists now
                ticket = await tickets.by_external_id(data.external_id)
                if ticket is None:
                    raise
        if hook.event == "updated" or changed:
            # A replayed "created" must not undo later updates, so only "updated" (or the creation itself, for a
            # status other than the first) brings the fields up to date.
            ticket, updated = await self._update(ticket, data, assignees)
            changed = changed or updated
        if hook.note is not None:
            ticket, noted = await self._note(ticket, hook.note)
            changed = changed or noted
        return ticket, changed

    async def _update(self, ticket: Ticket, data: HookTicket, assignees: list[Member]) -> tuple[Ticket, bool]:
        tickets = self.desk.tickets
        title = data.title if " ".join(data.title.split()) != ticket.title else None
        priority = data.priority if data.priority and normalize_priority(data.priority) != ticket.priority else None
        status = data.status if data.status and data.status.strip().lower() != ticket.status.name.lower() else None
        changed = False
        if title or priority or status:
            ticket = await tickets.update(self.system, ticket.number, title=title, priority=priority, status=status)
            changed = True
        current = {m.id for m in ticket.assignees}
        wanted = {m.id for m in assignees}
        if wanted - current:
            ticket = await tickets.assign(self.system, ticket.number, [m for m in assignees if m.id not in current])
            changed = True
        if current - wanted:
            gone = [m for m in ticket.assignees if m.id not in wanted]
            ticket = await tickets.unassign(self.system, ticket.number, gone)
            changed = True
        return ticket, changed

    async def _note(self, ticket: Ticket, note: HookNote) -> tuple[Ticket, bool]:
        member = await self.desk.members.by_email(note.author) if "@" in note.author else None
        author = (
            Principal(name=member.name, member_id=member.id, is_admin=True)
            if member is not None
            else Principal(name=note.author, is_admin=True)
        )
        try:
            ticket, _ = await self.desk.tickets.add_note(
                author, ticket.number, note.text, internal=note.internal, external_id=note.id
            )
        except (Conflict, IntegrityError):  # the note is there already (a replay, or the same body at once)
            return ticket, False
        return ticket, True
