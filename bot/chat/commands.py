"""The command table: one handler per intent the parser can return (a test checks every intent has one).

Refusals come before questions: a guest who types `status 5` is told they may not, not asked which status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.chat import drafts, lists
from bot.chat.parser import Intent
from bot.chat.replies import help_message
from bot.chat.turn import ChatTurn
from bot.desk import policy
from bot.desk.errors import Invalid, NotFound, Unchanged
from bot.desk.history import history_for
from bot.desk.priorities import normalize_priority
from bot.desk.views import ticket_view, visible_notes
from bot.facts import TITLE_MAX
from bot.seam import Actor, OutboundMessage, Reply
from cards.builders import notes_card
from dialogs.assign import member_for
from storage.models import utcnow

Handler = Callable[[ChatTurn, Intent], Awaitable[Reply]]


def not_understood(intent: Intent) -> Reply:
    """The short answer to anything not understood: the closest command, and help."""
    hint = f" Did you mean `{intent.suggestion}`?" if intent.suggestion else ""
    error = f"{intent.error} " if intent.error else "I did not understand that."
    return Reply(messages=(OutboundMessage(f"{error}{hint} Type `help` to see everything I can do."),))


async def on_not_understood(turn: ChatTurn, intent: Intent) -> Reply:
    return not_understood(intent)


async def on_help(turn: ChatTurn, intent: Intent) -> Reply:
    return Reply(messages=(help_message(turn.principal),))


async def on_empty(turn: ChatTurn, intent: Intent) -> Reply:
    """A message with no text: a file or image alone opens a draft titled from its name, else help."""
    files = turn.event.attachments
    if not files:
        return await on_help(turn, intent)
    stem = files[0].name.rsplit(".", 1)[0].replace("_", " ").strip() or "Attachment"
    title = stem if len(files) == 1 else f"{stem} and {len(files) - 1} more file(s)"
    return await drafts.propose(turn, {"title": title[:TITLE_MAX]})


async def on_thanks(turn: ChatTurn, intent: Intent) -> Reply:
    return turn.text("You're welcome! Tell me whenever something is wrong, or type `help`.")


async def on_cancel(turn: ChatTurn, intent: Intent) -> Reply:
    return turn.text("There is nothing to cancel.")


async def on_create(turn: ChatTurn, intent: Intent) -> Reply:
    if intent.fields.get("title"):
        return await on_draft(turn, intent)
    data = {"_ask_description": True, "_ask_priority": True}
    return await turn.dialogs.start("create", turn.key, turn, data, notice="Let's open a ticket.")


async def on_draft(turn: ChatTurn, intent: Intent) -> Reply:
    title = intent.fields.get("title", "").strip()
    if not intent.fields.get("description") and title and not turn.event.attachments:
        named = await turn.desk.members.find(title)
        if len(named) == 1 and named[0].name.lower() == title.lower():
            return turn.text(
                f"{named[0].name} is a desk member. To give them a ticket, say `assign <n> to {named[0].name}`; "
                "to open one, describe the problem."
            )
    return await drafts.propose(turn, intent.fields)


async def on_structured(turn: ChatTurn, intent: Intent) -> Reply:
    data: dict[str, object] = {}
    problems: list[str] = []
    fields = intent.fields
    if fields.get("title", "").strip():
        data["title"] = fields["title"].strip()
    if fields.get("description"):
        data["description"] = fields["description"]
    if fields.get("priority"):
        priority = normalize_priority(fields["priority"])
        if priority:
            data["priority"] = priority
        else:
            problems.append(f"'{fields['priority']}' is not a priority.")
            data["_ask_priority"] = True
    if fields.get("board"):
        try:
            data["board"] = (await turn.desk.boards.get(fields["board"])).name
        except NotFound as exc:
            problems.append(str(exc))
    if fields.get("category"):
        data["category"] = fields["category"]
    return await turn.dialogs.start("create", turn.key, turn, data, notice=" ".join(problems) or None)


async def on_show(turn: ChatTurn, intent: Intent) -> Reply:
    return await turn.card(await turn.shown(intent.number))


async def on_notes(turn: ChatTurn, intent: Intent) -> Reply:
    ticket = await turn.ticket(intent.number)
    notes = await visible_notes(turn.desk.db, ticket, turn.principal)
    view = await ticket_view(turn.desk.db, ticket, turn.principal)
    card = notes_card(view, notes, now=utcnow(), tz=turn.desk.settings.zone)
    lines = [f"{n.author}: {n.text}" for n in notes[-5:]] or ["There are no notes yet."]
    return Reply(messages=(OutboundMessage(f"Notes of #{ticket.number}:\n" + "\n".join(lines), card),))


async def on_history(turn: ChatTurn, intent: Intent) -> Reply:
    ticket = await turn.ticket(intent.number)
    lines = await history_for(turn.desk.db, ticket, turn.principal, tz=turn.desk.settings.zone)
    return turn.text("\n".join(lines))


def _mentioned(who: str, mentions: tuple[Actor, ...]) -> Actor | None:
    bare = who.strip().lstrip("@").lower()
    return next((m for m in mentions if bare in {m.user_id.lower(), m.name.lower()}), None)


async def _member_named(turn: ChatTurn, who: str) -> int | None:
    mention = _mentioned(who, turn.event.mentions)
    if mention is None:
        return await member_for(who, turn)
    member = await turn.desk.members.by_identity(mention.platform, mention.user_id)
    if member is None and mention.email:
        member = await turn.desk.members.by_email(mention.email)
    if member is None:
        raise NotFound(f"{mention.name or who} is not linked to a desk member yet.")
    return member.id


async def on_assign(turn: ChatTurn, intent: Intent) -> Reply:
    ticket = await turn.ticket(intent.number)
    policy.require_staff(turn.principal, f"assign ticket #{ticket.number}")
    data: dict[str, object] = {"ticket": ticket.number}
    if intent.who:
        member_id = await _member_named(turn, intent.who)
        if member_id is None:
            data["_candidates"] = [m.name for m in await turn.desk.members.find(intent.who)]
        else:
            data["member_id"] = member_id
    return await turn.dialogs.start("assign", turn.key, turn, data)


async def on_unassign(turn: ChatTurn, intent: Intent) -> Reply:
    ticket = await turn.ticket(intent.number)
    policy.require_staff(turn.principal, f"change the assignees of ticket #{ticket.number}")
    assignees = list(ticket.assignees)
    names = ", ".join(m.name for m in assignees) or "nobody"
    if not assignees:
        raise Invalid(f"Ticket #{ticket.number} is assigned to nobody.")
    if intent.who:
        wanted = intent.who.strip().lstrip("@").lower()
        mention = _mentioned(intent.who, turn.event.mentions)
        if mention is not None:
            linked = await turn.desk.members.by_identity(mention.platform, mention.user_id)
            matches = [m for m in assignees if linked is not None and m.id == linked.id]
        elif wanted in {"me", "myself"}:
            matches = [m for m in assignees if m.id == turn.principal.member_id]
        else:
            matches = [m for m in assignees if wanted in m.name.lower() or wanted == (m.email or "")]
        if not matches:
            raise Invalid(f"Nobody called '{intent.who.strip()}' is assigned to #{ticket.number}; it has {names}.")
    else:
        matches = assignees
    if len(matches) == 1:
        done = await turn.desk.tickets.unassign(turn.principal, ticket.number, matches)
        return await turn.card(done, f"Took {matches[0].name} off #{done.number}.")
    data = {"ticket": ticket.number, "_candidates": [m.name for m in matches], "_ids": [m.id for m in matches]}
    return await turn.dialogs.start("unassign", turn.key, turn, data)


async def _field_change(field: str, turn: ChatTurn, intent: Intent) -> Reply:
    ticket = await turn.ticket(intent.number)
    policy.require_staff(turn.principal, f"change the {field} of ticket #{ticket.number}")
    data = {"ticket": ticket.number, "field": field}
    if not intent.value:
        return await turn.dialogs.start("update", turn.key, turn, data)
    try:
        value = intent.value
        status, priority = (value, None) if field == "status" else (None, value)
        done = await turn.desk.tickets.update(turn.principal, ticket.number, status=status, priority=priority)
    except Unchanged:
        raise
    except Invalid as exc:
        return await turn.dialogs.start("update", turn.key, turn, data, notice=str(exc))
    return await turn.card(done, f"Changed the {field} of #{done.number}.")


async def on_status(turn: ChatTurn, intent: Intent) -> Reply:
    return await _field_change("status", turn, intent)


async def on_priority(turn: ChatTurn, intent: Intent) -> Reply:
    return await _field_change("priority", turn, intent)


async def on_note(turn: ChatTurn, intent: Intent) -> Reply:
    ticket = await turn.ticket(intent.number)
    policy.require_note(turn.principal, ticket, internal=intent.internal)
    if not intent.value:
        data = {"ticket": ticket.number, "internal": intent.internal}
        return await turn.dialogs.start("note", turn.key, turn, data)
    done, _ = await turn.desk.tickets.add_note(
        turn.principal, ticket.number, intent.value, internal=intent.internal, attachments=turn.event.attachments
    )
    kind = "internal note" if intent.internal else "note"
    return await turn.card(done, f"Added your {kind} to #{done.number}.")


async def on_close(turn: ChatTurn, intent: Intent) -> Reply:
    ticket = await turn.ticket(intent.number)
    done = await turn.desk.tickets.close(turn.principal, ticket.number, intent.value)
    return await turn.card(done, f"Closed #{done.number}.")


async def on_reopen(turn: ChatTurn, intent: Intent) -> Reply:
    ticket = await turn.ticket(intent.number)
    done = await turn.desk.tickets.reopen(turn.principal, ticket.number)
    return await turn.card(done, f"Reopened #{done.number}.")


async def on_my_tickets(turn: ChatTurn, intent: Intent) -> Reply:
    return await lists.show_page(turn, "mine", "")


async def on_list(turn: ChatTurn, intent: Intent) -> Reply:
    return await lists.show_page(turn, "list", intent.value or "")


async def on_search(turn: ChatTurn, intent: Intent) -> Reply:
    return await lists.show_page(turn, "search", intent.value or "")


async def on_more(turn: ChatTurn, intent: Intent) -> Reply:
    return await lists.more(turn)


async def on_link(turn: ChatTurn, intent: Intent) -> Reply:
    actor = turn.event.actor
    if turn.principal.is_member:
        return turn.text(f"You are linked to the desk member {turn.principal.name}.")
    hint = f"Ask an admin to run `ticketbot members link <your email> {actor.platform} {actor.user_id}`."
    if actor.email:
        return turn.text(f"No desk member has the email {actor.email}. {hint}")
    return turn.text(f"{actor.platform.title()} did not tell me your email. {hint}")


async def _follow(turn: ChatTurn, intent: Intent, *, enabled: bool) -> Reply:
    verb = "follow" if enabled else "unfollow"
    policy.require_admin(turn.principal, f"make a channel {verb} a board")
    if turn.event.conversation.scope == "personal":
        raise Invalid(f"`{verb}` works in a channel or space: run it there, mentioning me.")
    board = await turn.desk.boards.get(intent.value) if intent.value else (await turn.desk.boards.list())[0]
    changed = await turn.desk.follows.set(turn.event.conversation, board, enabled=enabled)
    if enabled:
        text = f"This conversation now gets a card for every new ticket on {board.name}."
        return turn.text(text if changed else f"This conversation already follows {board.name}.")
    text = f"This conversation no longer follows {board.name}."
    return turn.text(text if changed else f"This conversation did not follow {board.name}.")


async def on_follow(turn: ChatTurn, intent: Intent) -> Reply:
    return await _follow(turn, intent, enabled=True)


async def on_unfollow(turn: ChatTurn, intent: Intent) -> Reply:
    return await _follow(turn, intent, enabled=False)


COMMANDS: Mapping[str, Handler] = {
    "empty": on_empty,
    "help": on_help,
    "thanks": on_thanks,
    "cancel": on_cancel,
    "create": on_create,
    "draft": on_draft,
    "structured": on_structured,
    "show": on_show,
    "notes": on_notes,
    "history": on_history,
    "assign": on_assign,
    "unassign": on_unassign,
    "status": on_status,
    "priority": on_priority,
    "note": on_note,
    "close": on_close,
    "reopen": on_reopen,
    "my_tickets": on_my_tickets,
    "list": on_list,
    "search": on_search,
    "more": on_more,
    "link": on_link,
    "follow": on_follow,
    "unfollow": on_unfollow,
    "unknown": on_not_understood,
    "invalid": on_not_understood,
}
"""Intent name → handler."""
