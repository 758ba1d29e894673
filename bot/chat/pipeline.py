"""The conversation core: one inbound event in, the replies out, the same on every platform.

The router drops events it has already seen, handles the events of one conversation one at a time in arrival
order (different conversations run concurrently), maps the actor to a member, and then either continues the
actor's dialog, runs a card action, or parses the message into a command, a structured ticket or a draft.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from bot.desk.errors import Forbidden, Invalid, NotFound, TicketbotError
from bot.chat.parser import Intent, parse
from bot.desk.principal import Principal
from bot.desk.priorities import normalize_priority
from dialogs.replies import help_message, notice_card, say, ticket_message
from bot.seam import ConversationRef, EventKind, InboundEvent, OutboundMessage, Reply
from bot.desk.tickets import Origin
from bot.desk.views import ticket_view
from cards import verbs
from cards.builders import create_form, list_card, welcome_card
from cards.views import DraftView
from dialogs.assign import member_for
from dialogs.engine import Dialog, DialogEngine, Turn
from dialogs.store import DialogKey, DialogStore
from dialogs.thread_notes import thread_note
from storage.models import SeenEvent, Ticket

if TYPE_CHECKING:
    from bot.desk import Desk

log = logging.getLogger(__name__)

STALE_NOTICE = "This card was out of date, so nothing was changed; here is the ticket as it is now."
FAILURE = "Sorry, something went wrong on my side and nothing was changed. Please try again in a moment."


def _number(value: Any) -> int | None:
    try:
        number = int(str(value).lstrip("#"))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


class Router:
    """The conversation core (`bot.seam.Core`)."""

    def __init__(self, desk: Desk, *, dialogs: Sequence[Dialog]) -> None:
        self.desk = desk
        self.dialogs = DialogEngine(DialogStore(desk.db), dialogs)
        self.follows = desk.follows
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()
        self._known_conversations: set[tuple[str, str]] = set()

    async def handle(self, event: InboundEvent) -> Reply:
        """Answer one event. Never raises: failures become a short apology, logged with details."""
        key = (event.conversation.platform, event.conversation.conversation_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        # The lock is taken before anything awaits, so events run in the order handle() was called.
        async with lock:
            if not await self._first_time(event):
                return Reply()
            try:
                return await self._dispatch(event)
            except TicketbotError as exc:
                return Reply(messages=(say(str(exc)),))
            except Exception:
                log.exception("failed to handle %s event in %s", event.kind.value, event.conversation.platform)
                return Reply(messages=(say(FAILURE),))

    async def _first_time(self, event: InboundEvent) -> bool:
        try:
            async with self.desk.db.transaction() as session:
                session.add(SeenEvent(key=f"{event.conversation.platform}:{event.idempotency_key}"[:400]))
        except IntegrityError:
            log.info("ignored a redelivered %s event", event.conversation.platform)
            return False
        return True

    async def _remember(self, ref: ConversationRef) -> None:
        key = (ref.platform, ref.conversation_id)
        if key not in self._known_conversations:
            await self.desk.conversations.remember(ref)
            self._known_conversations.add(key)

    async def _dispatch(self, event: InboundEvent) -> Reply:
        ref = event.conversation
        if event.kind is EventKind.INSTALLED:
            # Platforms announce one install more than once (Teams: conversationUpdate and installationUpdate):
            # the welcome goes out only when the conversation was not installed already.
            if await self.desk.conversations.get(ref.platform, ref.conversation_id) is not None:
                await self.desk.conversations.remember(ref)
                return Reply()
            await self.desk.conversations.remember(ref)
            self._known_conversations.add((ref.platform, ref.conversation_id))
            name = self.desk.settings.bot_name
            return Reply(messages=(OutboundMessage(f"Hi, I'm {name}. Type `help` to see what I can do.", welcome_card(name)),))
        if event.kind is EventKind.UNINSTALLED:
            await self.desk.conversations.forget(ref)
            self._known_conversations.discard((ref.platform, ref.conversation_id))
            return Reply()
        await self._remember(ref)
        turn = Turn(self.desk, await self.desk.members.principal_for(event.actor), event)
        if event.kind is EventKind.CARD_ACTION:
            return await self._card_action(turn)
        return await self._message(turn)

    @staticmethod
    def _dialog_key(event: InboundEvent) -> DialogKey:
        return DialogKey(event.conversation.platform, event.conversation.conversation_id, event.actor.user_id)

    async def _message(self, turn: Turn) -> Reply:
        key = self._dialog_key(turn.event)
        intent = parse(turn.event.text)
        loaded = await self.dialogs.store.load(key)
        if loaded.state is not None:
            if intent.name == "cancel":
                await self.dialogs.store.clear(key)
                return Reply(messages=(say("Cancelled; nothing was changed."),))
            if intent.name == "help":
                return Reply(messages=(help_message(is_admin=turn.principal.is_admin),))
            return await self.dialogs.answer(loaded.state, key, turn.event.text, turn)
        reply = await thread_note(turn, intent.name) or await self._command(intent, turn, key)
        if loaded.expired:
            expired = say(f"(Your unfinished {loaded.expired} conversation expired after 30 minutes without an answer.)")
            return Reply(messages=(expired, *reply.messages), refreshed=reply.refreshed)
        return reply

    async def _command(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        handler = getattr(self, f"_on_{intent.name}", None)
        if handler is None:
            return self._not_understood(intent)
        return await handler(intent, turn, key)

    @staticmethod
    def _not_understood(intent: Intent) -> Reply:
        hint = f" Did you mean `{intent.suggestion}`?" if intent.suggestion else ""
        error = f"{intent.error} " if intent.error else "I did not understand that."
        return Reply(messages=(say(f"{error}{hint} Type `help` to see everything I can do."),))

    async def _on_unknown(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return self._not_understood(intent)

    async def _on_invalid(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return self._not_understood(intent)

    async def _on_help(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return Reply(messages=(help_message(is_admin=turn.principal.is_admin),))

    _on_empty = _on_help

    async def _on_cancel(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return Reply(messages=(say("There is nothing to cancel."),))

    async def _on_create(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        if intent.fields.get("title"):
            return await self._draft(intent.fields, turn)
        return await self.dialogs.start(
            "create", key, turn, {"_ask_description": True, "_ask_priority": True}, notice="Let's open a ticket."
        )

    async def _on_draft(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return await self._draft(intent.fields, turn)

    async def _draft(self, fields: Mapping[str, str], turn: Turn) -> Reply:
        boards = await self.desk.boards.list()
        text = f"{fields.get('title', '')} {fields.get('description', '')}".lower()
        board = next((b for b in boards if any(k in text.split() for k in b.keywords)), boards[0])
        categories = await self.desk.boards.categories(board.id)
        draft = DraftView(
            title=fields.get("title", ""),
            description=fields.get("description", ""),
            priority=fields.get("priority") or board.default_priority,
            board=board.name,
            category=None,
            boards=tuple(b.name for b in boards),
            categories=tuple(c.name for c in categories),
        )
        text = f"Shall I open a ticket \"{draft.title}\" ({draft.priority}, {draft.board})? Press Create, or Cancel."
        return Reply(messages=(OutboundMessage(text, create_form(draft)),))

    async def _on_structured(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        data: dict[str, Any] = {}
        problems: list[str] = []
        fields = intent.fields
        if fields.get("title", "").strip():
            data["title"] = fields["title"].strip()
        if fields.get("description"):
            data["description"] = fields["description"]
        if fields.get("priority"):
            if normalize_priority(fields["priority"]):
                data["priority"] = normalize_priority(fields["priority"])
            else:
                problems.append(f"'{fields['priority']}' is not a priority.")
                data["_ask_priority"] = True
        if fields.get("board"):
            try:
                data["board"] = (await self.desk.boards.get(fields["board"])).name
            except NotFound as exc:
                problems.append(str(exc))
        if fields.get("category"):
            data["category"] = fields["category"]
        return await self.dialogs.start("create", key, turn, data, notice=" ".join(problems) or None)

    async def _ticket(self, number: int | None, turn: Turn) -> Ticket:
        if number is None:
            raise Invalid("Which ticket? Give its number, like `show 42`.")
        ticket = await self.desk.tickets.get(number)
        if not self.desk.tickets.may_see(turn.principal, ticket):
            raise Forbidden(f"Ticket #{number} is not yours, and only desk members can see other people's tickets.")
        return ticket

    async def _on_show(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        ticket = await self._ticket(intent.number, turn)
        return Reply(messages=(await ticket_message(self.desk, ticket),))

    async def _on_history(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        ticket = await self._ticket(intent.number, turn)
        lines = [f"History of #{ticket.number} {ticket.title}:"]
        for entry in await self.desk.tickets.history(ticket.number):
            what = "; ".join(
                f"{c['field']} {c['old'] or '–'} → {c['new'] or '–'}" if c["field"] != "note" else "added a note"
                for c in entry.changes
            )
            lines.append(f"{entry.at:%Y-%m-%d %H:%M} {entry.actor} {entry.action}: {what}")
        return Reply(messages=(say("\n".join(lines)),))

    async def _resolve_who(self, who: str, turn: Turn) -> int | None:
        mention = self._mentioned(who, turn.event.mentions)
        if mention is not None:
            member = await self.desk.members.by_identity(mention.platform, mention.user_id)
            if member is None and mention.email:
                member = await self.desk.members.by_email(mention.email)
            if member is None:
                raise NotFound(f"{mention.name or who} is not linked to a desk member yet.")
            return member.id
        return await member_for(who, turn)

    @staticmethod
    def _mentioned(who: str, mentions) -> Any:
        bare = who.strip().lstrip("@").lower()
        for mention in mentions:
            if bare in {mention.user_id.lower(), mention.name.lower()}:
                return mention
        return None

    async def _on_assign(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        ticket = await self._ticket(intent.number, turn)
        if not intent.who:
            return await self.dialogs.start("assign", key, turn, {"ticket": ticket.number})
        member_id = await self._resolve_who(intent.who, turn)
        if member_id is None:
            return await self.dialogs.start(
                "assign",
                key,
                turn,
                {"ticket": ticket.number, "_candidates": [m.name for m in await self.desk.members.find(intent.who)]},
            )
        return await self.dialogs.start("assign", key, turn, {"ticket": ticket.number, "member_id": member_id})

    async def _on_unassign(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        ticket = await self._ticket(intent.number, turn)
        member_id = await self._resolve_who(intent.who or "", turn) if intent.who else None
        if member_id is None:
            names = ", ".join(m.name for m in ticket.assignees) or "nobody"
            raise Invalid(f"Whom should I take off #{ticket.number}? It is assigned to {names}.")
        member = await self.desk.members.get(member_id)
        ticket = await self.desk.tickets.unassign(turn.principal, ticket.number, [member])
        return Reply(messages=(await ticket_message(self.desk, ticket, notice=f"Took {member.name} off #{ticket.number}."),))

    async def _field_change(self, field: str, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        ticket = await self._ticket(intent.number, turn)
        data = {"ticket": ticket.number, "field": field}
        if not intent.value:
            return await self.dialogs.start("update", key, turn, data)
        try:
            ticket = await self.desk.tickets.update(turn.principal, ticket.number, **{field: intent.value})
        except Invalid as exc:
            if "Nothing to change" in str(exc):
                raise
            return await self.dialogs.start("update", key, turn, data, notice=str(exc))
        return Reply(messages=(await ticket_message(self.desk, ticket, notice=f"Changed the {field} of #{ticket.number}."),))

    async def _on_status(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return await self._field_change("status", intent, turn, key)

    async def _on_priority(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return await self._field_change("priority", intent, turn, key)

    async def _on_note(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        ticket = await self._ticket(intent.number, turn)
        if not intent.value:
            raise Invalid(f"What should the note on #{ticket.number} say? Write `note {ticket.number} <text>`.")
        ticket, _ = await self.desk.tickets.add_note(turn.principal, ticket.number, intent.value)
        return Reply(messages=(await ticket_message(self.desk, ticket, notice=f"Added your note to #{ticket.number}."),))

    async def _on_close(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        ticket = await self._ticket(intent.number, turn)
        ticket = await self.desk.tickets.close(turn.principal, ticket.number, intent.value)
        return Reply(messages=(await ticket_message(self.desk, ticket, notice=f"Closed #{ticket.number}."),))

    async def _on_reopen(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        ticket = await self._ticket(intent.number, turn)
        ticket = await self.desk.tickets.reopen(turn.principal, ticket.number)
        return Reply(messages=(await ticket_message(self.desk, ticket, notice=f"Reopened #{ticket.number}."),))

    async def _list_reply(self, title: str, tickets, empty: str) -> Reply:
        views = [await ticket_view(self.desk.db, t) for t in tickets[:10]]
        text = "\n".join(f"#{v.number} {v.title} · {v.status} · {v.priority}" for v in views) or empty
        card = list_card(title, views, empty_text=empty, total=len(tickets))
        return Reply(messages=(OutboundMessage(f"{title}\n{text}", card),))

    async def _on_my_tickets(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        principal = turn.principal
        tickets = list(await self.desk.tickets.list(requester=principal, open_only=True))
        if principal.member_id is not None:
            assigned = await self.desk.tickets.list(assignee_id=principal.member_id, open_only=True)
            seen = {t.number for t in tickets}
            tickets = sorted([*tickets, *(t for t in assigned if t.number not in seen)], key=lambda t: -t.number)
        return await self._list_reply("My open tickets", tickets, "You have no open tickets.")

    async def _on_list(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        self._members_only(turn.principal, "list all tickets")
        words = (intent.value or "").lower()
        boards = await self.desk.boards.list()
        board = next((b for b in boards if b.name.lower() in words), None)
        if board is not None:
            words = words.replace(board.name.lower(), " ")
        statuses = {s.name.lower(): s.name for b in boards for s in b.statuses}
        status = next((statuses[s] for s in sorted(statuses, key=len, reverse=True) if s in words), None)
        if status is not None:
            words = words.replace(status.lower(), " ")
        if words.strip() and words.strip() not in {"all", "open"}:
            raise Invalid(f"I can list by board and status; '{words.strip()}' is neither. Try `list Service Desk new`.")
        tickets = await self.desk.tickets.list(
            board=board.name if board else None, status=status, open_only=status is None
        )
        title = " · ".join(filter(None, ["Open tickets" if status is None else "Tickets", board and board.name, status]))
        return await self._list_reply(title, list(tickets), "No tickets match.")

    async def _on_search(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        if not intent.value:
            raise Invalid("Search for what? Write `search <words>`.")
        requester = None if turn.principal.is_member or turn.principal.is_admin else turn.principal
        tickets = await self.desk.tickets.list(words=intent.value, requester=requester)
        return await self._list_reply(f"Tickets matching “{intent.value}”", list(tickets), "No tickets match.")

    async def _on_link(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        actor = turn.event.actor
        if turn.principal.is_member:
            return Reply(messages=(say(f"You are linked to the desk member {turn.principal.name}."),))
        hint = (
            f"Ask an admin to run `ticketbot members link <your email> {actor.platform} {actor.user_id}`."
        )
        if actor.email:
            return Reply(messages=(say(f"No desk member has the email {actor.email}. {hint}"),))
        return Reply(messages=(say(f"{actor.platform.title()} did not tell me your email. {hint}"),))

    @staticmethod
    def _members_only(principal: Principal, what: str) -> None:
        if not (principal.is_member or principal.is_admin):
            raise Forbidden(f"Only desk members can {what}.")

    async def _on_follow(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return await self._follow(intent, turn, enabled=True)

    async def _on_unfollow(self, intent: Intent, turn: Turn, key: DialogKey) -> Reply:
        return await self._follow(intent, turn, enabled=False)

    async def _follow(self, intent: Intent, turn: Turn, *, enabled: bool) -> Reply:
        verb = "follow" if enabled else "unfollow"
        if not turn.principal.is_admin:
            raise Forbidden(f"Only admins can make a channel {verb} a board.")
        if turn.event.conversation.scope == "personal":
            raise Invalid(f"`{verb}` works in a channel or space: run it there, mentioning me.")
        board = await self.desk.boards.get(intent.value) if intent.value else (await self.desk.boards.list())[0]
        changed = await self.follows.set(turn.event.conversation, board, enabled=enabled)
        if enabled:
            text = f"This conversation now gets a card for every new ticket on {board.name}."
            return Reply(messages=(say(text if changed else f"This conversation already follows {board.name}."),))
        text = f"This conversation no longer follows {board.name}."
        return Reply(messages=(say(text if changed else f"This conversation did not follow {board.name}."),))

    async def _card_action(self, turn: Turn) -> Reply:
        event = turn.event
        handler = self._actions().get(event.action or verbs.UNKNOWN)
        if handler is None:
            return Reply(messages=(say("I do not know that button. Type `help` to see what I can do."),))
        return await handler(turn, event.values)

    def _actions(self) -> dict[str, Callable[[Turn, Mapping[str, Any]], Awaitable[Reply]]]:
        return {
            "ticket.create": self._act_create,
            "ticket.cancel_draft": self._act_cancel_draft,
            "ticket.show": self._act_show,
            "ticket.assign_me": self._act_assign_me,
            "ticket.status": self._act_status,
            "ticket.priority": self._act_priority,
            "ticket.note": self._act_note,
            "ticket.close": self._act_close,
            "ticket.reopen": self._act_reopen,
        }

    async def _act_create(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        title = str(values.get("title") or "").strip()
        if not title:
            raise Invalid("The ticket needs a title: fill it in and press Create again.")
        event = turn.event
        ticket = await self.desk.tickets.create(
            turn.principal,
            title=title,
            description=str(values.get("description") or ""),
            priority=str(values.get("priority") or "") or None,
            board=str(values.get("board") or "") or None,
            category=str(values.get("category") or "") or None,
            origin=Origin(event.conversation.platform, event.conversation.conversation_id, event.idempotency_key),
        )
        await self.dialogs.store.clear(self._dialog_key(event))
        message = await ticket_message(self.desk, ticket, notice=f"Created ticket #{ticket.number}.")
        return Reply(refreshed=message)

    async def _act_cancel_draft(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        return Reply(refreshed=notice_card("Draft discarded", "Nothing was created."))

    async def _acted_ticket(self, turn: Turn, values: Mapping[str, Any]) -> tuple[Ticket, Reply | None]:
        """The pressed card's ticket, or the reply for a broken or stale card."""
        number = _number(values.get("ticket"))
        if number is None:
            raise Invalid("That card does not say which ticket it is about.")
        ticket = await self._ticket(number, turn)
        version = _number(values.get("version"))
        if version is not None and version != ticket.version:
            return ticket, Reply(refreshed=await ticket_message(self.desk, ticket, notice=STALE_NOTICE))
        return ticket, None

    async def _act_show(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        number = _number(values.get("ticket"))
        ticket = await self._ticket(number, turn)
        return Reply(messages=(await ticket_message(self.desk, ticket),))

    async def _act(self, turn: Turn, values: Mapping[str, Any], change) -> Reply:
        ticket, stale = await self._acted_ticket(turn, values)
        if stale is not None:
            return stale
        try:
            changed, notice = await change(ticket)
        except (Forbidden, Invalid) as exc:
            current = await self.desk.tickets.get(ticket.number)
            return Reply(messages=(say(str(exc)),), refreshed=await ticket_message(self.desk, current))
        return Reply(refreshed=await ticket_message(self.desk, changed, notice=notice))

    async def _act_assign_me(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        async def change(ticket: Ticket):
            member_id = await member_for("me", turn)
            member = await self.desk.members.get(member_id)
            done = await self.desk.tickets.assign(turn.principal, ticket.number, [member], expected_version=ticket.version)
            return done, f"Assigned to {member.name}."

        return await self._act(turn, values, change)

    async def _act_status(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        async def change(ticket: Ticket):
            status = str(values.get("status") or "")
            done = await self.desk.tickets.set_status(turn.principal, ticket.number, status, expected_version=ticket.version)
            return done, f"Status set to {done.status.name}."

        return await self._act(turn, values, change)

    async def _act_priority(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        async def change(ticket: Ticket):
            priority = str(values.get("priority") or "")
            done = await self.desk.tickets.update(turn.principal, ticket.number, priority=priority, expected_version=ticket.version)
            return done, f"Priority set to {done.priority}."

        return await self._act(turn, values, change)

    async def _act_note(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        async def change(ticket: Ticket):
            done, _ = await self.desk.tickets.add_note(
                turn.principal, ticket.number, str(values.get("note") or ""), expected_version=ticket.version
            )
            return done, "Note added."

        return await self._act(turn, values, change)

    async def _act_close(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        async def change(ticket: Ticket):
            done = await self.desk.tickets.close(turn.principal, ticket.number, expected_version=ticket.version)
            return done, f"Closed by {turn.principal.name}."

        return await self._act(turn, values, change)

    async def _act_reopen(self, turn: Turn, values: Mapping[str, Any]) -> Reply:
        async def change(ticket: Ticket):
            done = await self.desk.tickets.reopen(turn.principal, ticket.number, expected_version=ticket.version)
            return done, f"Reopened by {turn.principal.name}."

        return await self._act(turn, values, change)
