"""The action table: one handler per card verb (`cards.verbs`; a test checks every verb has one).

Every press is re-checked: the ticket exists, the presser may see it and may do this, and the card's version
is current — a stale card is answered with the fresh card and a short note, a refusal with the card as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.chat import drafts, lists
from bot.chat.turn import ChatTurn
from bot.desk.errors import Forbidden, Invalid
from bot.facts import TICKET_NUMBER_MAX
from bot.seam import Reply
from cards import verbs
from dialogs.assign import member_for
from dialogs.replies import say, ticket_message
from storage.models import Ticket

Handler = Callable[[ChatTurn, Mapping[str, Any]], Awaitable[Reply]]
Change = Callable[[Ticket], Awaitable[tuple[Ticket, str]]]

STALE_NOTICE = "This card was out of date, so nothing was changed; here is the ticket as it is now."
MAX_DIGITS = 12


def card_number(value: Any) -> int | None:
    """A ticket number or version as a card carries it (an int, or digits with an optional #), bounded."""
    text = str(value).lstrip("#") if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isdigit() or len(text) > MAX_DIGITS:
        return None
    number = int(text)
    return number if 0 < number <= TICKET_NUMBER_MAX else None


async def _pressed(turn: ChatTurn, values: Mapping[str, Any], change: Change) -> Reply:
    number = card_number(values.get("ticket"))
    if number is None:
        raise Invalid("That card does not say which ticket it is about.")
    ticket = await turn.ticket(number)
    version = card_number(values.get("version"))
    if version is not None and version != ticket.version:
        return Reply(refreshed=await ticket_message(turn.desk, ticket, viewer=turn.principal, notice=STALE_NOTICE))
    try:
        changed, notice = await change(ticket)
    except (Forbidden, Invalid) as exc:
        # The refused change was rolled back to its savepoint, which expired `ticket`: read it afresh.
        current = await turn.desk.tickets.get(number)
        return Reply(messages=(say(str(exc)),), refreshed=await ticket_message(turn.desk, current, viewer=turn.principal))
    return Reply(refreshed=await ticket_message(turn.desk, changed, viewer=turn.principal, notice=notice))


async def on_create(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    return await drafts.press_create(turn, values)


async def on_cancel_draft(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    return await drafts.press_cancel(turn, values)


async def on_draft_form(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    return await drafts.press_form(turn, values)


async def on_show(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    return await turn.card(await turn.ticket(card_number(values.get("ticket"))))


async def on_assign_me(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    async def change(ticket: Ticket) -> tuple[Ticket, str]:
        member_id = await member_for("me", turn)
        member = await turn.desk.members.named(member_id or 0)
        done = await turn.desk.tickets.assign(turn.principal, ticket.number, [member], expected_version=ticket.version)
        return done, f"Assigned to {member.name}."

    return await _pressed(turn, values, change)


async def on_status(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    async def change(ticket: Ticket) -> tuple[Ticket, str]:
        status = str(values.get("status") or "")
        done = await turn.desk.tickets.set_status(turn.principal, ticket.number, status, expected_version=ticket.version)
        return done, f"Status set to {done.status.name}."

    return await _pressed(turn, values, change)


async def on_priority(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    async def change(ticket: Ticket) -> tuple[Ticket, str]:
        priority = str(values.get("priority") or "")
        done = await turn.desk.tickets.update(
            turn.principal, ticket.number, priority=priority, expected_version=ticket.version
        )
        return done, f"Priority set to {done.priority}."

    return await _pressed(turn, values, change)


async def on_note(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    async def change(ticket: Ticket) -> tuple[Ticket, str]:
        done, _ = await turn.desk.tickets.add_note(
            turn.principal, ticket.number, str(values.get("note") or ""), expected_version=ticket.version
        )
        return done, "Note added."

    return await _pressed(turn, values, change)


async def on_close(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    async def change(ticket: Ticket) -> tuple[Ticket, str]:
        done = await turn.desk.tickets.close(turn.principal, ticket.number, expected_version=ticket.version)
        return done, f"Closed by {turn.principal.name}."

    return await _pressed(turn, values, change)


async def on_reopen(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    async def change(ticket: Ticket) -> tuple[Ticket, str]:
        done = await turn.desk.tickets.reopen(turn.principal, ticket.number, expected_version=ticket.version)
        return done, f"Reopened by {turn.principal.name}."

    return await _pressed(turn, values, change)


async def on_list_next(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    return await lists.show_page(turn, *lists.query_of(values))


ACTIONS: Mapping[str, Handler] = {
    verbs.CREATE: on_create,
    verbs.CANCEL_DRAFT: on_cancel_draft,
    verbs.DRAFT_FORM: on_draft_form,
    verbs.SHOW: on_show,
    verbs.ASSIGN_ME: on_assign_me,
    verbs.STATUS: on_status,
    verbs.PRIORITY: on_priority,
    verbs.NOTE: on_note,
    verbs.CLOSE: on_close,
    verbs.REOPEN: on_reopen,
    verbs.LIST_NEXT: on_list_next,
}
"""Card verb → handler. `verbs.ANSWER` (a dialog question's button) is the pipeline's: it is the typed answer."""
