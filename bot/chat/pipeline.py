"""The conversation core: one inbound event in, the replies out, the same on every platform.

Each event is one unit of work (`Database.unit`): its idempotency key, the conversation, the identity, the
change and what the change plans go into ONE transaction. A redelivered event whose change committed finds
its key and is answered with nothing; one whose turn failed or crashed before the commit left no key and runs
again. The events of one conversation run one at a time in arrival order (an in-process lock taken before
anything awaits, plus a PostgreSQL advisory lock so several `serve` processes never interleave a dialog);
different conversations run concurrently. Then the event either answers a pending draft, continues the
speaker's dialog, runs a card action (`actions.ACTIONS`) or a command (`commands.COMMANDS`).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import DateTime, String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import drafts
from bot.chat.actions import ACTIONS
from bot.chat.commands import COMMANDS, not_understood
from bot.chat.opening import read_opening
from bot.chat.parser import Intent, confirmation, parse
from bot.chat.replies import help_message
from bot.chat.turn import ChatTurn
from bot.desk import Desk
from bot.desk.errors import TicketbotError
from bot.log_fields import note, turn_line
from bot.seam import Actor, ConversationRef, EventKind, InboundEvent, OutboundMessage, Reply
from cards import verbs
from cards.builders import welcome_card
from dialogs.engine import Dialog, DialogEngine, render_question
from dialogs.replies import notice_card, say
from dialogs.store import DialogKey, DialogStore, Loaded
from dialogs.thread_notes import thread_note
from storage.direct import Direct
from storage.models import SeenEvent, utcnow

log = logging.getLogger(__name__)

FAILURE = "Sorry, something went wrong on my side and nothing was changed. Please try again in a moment."
KEY_LENGTH = 400


# The events whose turns read the conversation, the speaker and the dialog state (`bot.chat.opening`).
_CONVERSING = frozenset({EventKind.MESSAGE, EventKind.CARD_ACTION})

# PostgreSQL: one turn at a time in a conversation, across processes: an advisory lock held until the turn's
# transaction ends, taken by the same statement that records the event's key (one round trip fewer a turn).
# The lock's subquery runs before the row is inserted; the key's conflict check does not depend on the
# statement's snapshot, and the turn's reads come in later statements, with snapshots taken under the lock.
_CONVERSATION_LOCKED = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("lock"), 0))).subquery("locked")


class Router:
    """The conversation core (`bot.seam.Core`)."""

    def __init__(self, desk: Desk, *, dialogs: Sequence[Dialog]) -> None:
        self.desk = desk
        self.dialogs = DialogEngine(DialogStore(desk.db), dialogs)
        # Built once: the statements every turn sends are not rebuilt per turn (a third of their cost, measured).
        seen = desk.db.insert(SeenEvent)
        if desk.db.dialect == "postgresql":
            values = select(bindparam("key", type_=String), bindparam("seen_at", type_=DateTime(timezone=True)))
            seen = seen.from_select(["key", "seen_at"], values.select_from(_CONVERSATION_LOCKED))
        else:
            seen = seen.values(key=bindparam("key"), seen_at=bindparam("seen_at"))
        self._seen = Direct(seen.on_conflict_do_nothing(index_elements=["key"]))
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    async def handle(self, event: InboundEvent) -> Reply:
        """Answer one event. Never raises: failures become a short apology, logged with details. What the turn
        was about (platform, conversation, event key, ticket) reaches one log line (`log_fields.turn_line`)."""
        with turn_line(log):
            return await self._handle(event)

    async def _handle(self, event: InboundEvent) -> Reply:
        key = (event.conversation.platform, event.conversation.conversation_id)
        note(platform=key[0], conversation=key[1], event_key=event.idempotency_key)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        # The lock is taken before anything awaits, so events run in the order handle() was called.
        async with lock:
            try:
                async with self.desk.db.unit() as session:
                    if not await self._first_time(session, event):
                        log.info("ignored a redelivered %s event", event.conversation.platform)
                        return Reply()
                    if event.kind in _CONVERSING:
                        await read_opening(session, event)
                    try:
                        return await self._dispatch(event)
                    except TicketbotError as exc:
                        return Reply(messages=(say(str(exc)),))
            except Exception:
                log.exception("failed to handle %s event in %s", event.kind.value, event.conversation.platform)
                return Reply(messages=(say(FAILURE),))

    async def pending(self, conversation: ConversationRef, actor: Actor) -> OutboundMessage | None:
        """The draft or the dialog question this person left open here, as a reminder (answers nothing)."""
        key = DialogKey(conversation.platform, conversation.conversation_id, actor.user_id)
        state = (await self.dialogs.store.load(key)).state
        if state is None:
            return None
        if state.dialog == drafts.DIALOG:
            f = state.data["fields"]
            return say(
                f"You have a draft waiting: \"{f['title']}\" ({f['priority']}, {f['board']}). "
                "Say `yes` to create it or `cancel` to drop it."
            )
        dialog = self.dialogs.dialogs.get(state.dialog)
        step = next((s for s in dialog.steps if s.name == state.step), None) if dialog else None
        if dialog is None or step is None:
            return None
        event = InboundEvent(kind=EventKind.MESSAGE, conversation=conversation, actor=actor, idempotency_key="")
        async with self.desk.db.unit():
            principal = await self.desk.members.principal_for(actor)
            question = await step.question(state.data, ChatTurn(self.desk, principal, event, self.dialogs, ""))
        if question is None:
            return None
        prefix = f"You left off in the middle of the {dialog.title}; next question:"
        return render_question(question, dialog.title.capitalize(), prefix)

    async def _first_time(self, session: AsyncSession, event: InboundEvent) -> bool:
        """Record the event's key; False when it was recorded before (a redelivery). On PostgreSQL this also
        takes the conversation's lock (`_CONVERSATION_LOCKED`)."""
        ref = event.conversation
        key = f"{ref.platform}:{event.idempotency_key}"[:KEY_LENGTH]
        values = {"key": key, "seen_at": utcnow(), "lock": f"{ref.platform}:{ref.conversation_id}"}
        result = await self._seen.run(session, values)
        return bool(result.rowcount == 1)

    async def _dispatch(self, event: InboundEvent) -> Reply:
        ref = event.conversation
        conversations = self.desk.conversations
        if event.kind is EventKind.INSTALLED:
            # Platforms announce one install more than once (Teams: conversationUpdate and installationUpdate):
            # the welcome goes out only when the conversation was not installed already.
            known = await conversations.get(ref.platform, ref.conversation_id) is not None
            await conversations.remember(ref)
            if known:
                return Reply()
            name = self.desk.settings.bot_name
            return Reply(messages=(OutboundMessage(f"Hi, I'm {name}. Type `help` to see what I can do.", welcome_card(name)),))
        if event.kind is EventKind.UNINSTALLED:
            await conversations.forget(ref)
            return Reply()
        await conversations.remember(ref)
        principal, linked_now = await self.desk.members.arriving(event.actor)
        turn = ChatTurn(self.desk, principal, event, self.dialogs, self.desk.settings.bot_name)
        if event.kind is EventKind.CARD_ACTION:
            return await self._card_action(turn)
        reply = await self._message(turn)
        if linked_now:
            # Linked by the email the platform gave, just now: say to whom, so that a wrong link is noticed.
            return replace(reply, messages=(*reply.messages, say(f"(You are {principal.name} on the desk.)")))
        return reply

    async def _card_action(self, turn: ChatTurn) -> Reply:
        event = turn.event
        if event.action == verbs.ANSWER:
            answer = str(event.values.get("answer") or "").strip()
            return await self._message(replace(turn, event=replace(event, kind=EventKind.MESSAGE, text=answer, action=None)))
        handler = ACTIONS.get(event.action or verbs.UNKNOWN)
        if handler is None:
            return Reply(messages=(say("I do not know that button. Type `help` to see what I can do."),))
        return await handler(turn, event.values)

    async def _message(self, turn: ChatTurn) -> Reply:
        intent = parse(turn.event.text)
        loaded = await self.dialogs.store.load(turn.key)
        state = loaded.state
        if state is not None and state.dialog == drafts.DIALOG:
            answer = confirmation(turn.event.text)
            if answer == "confirm":
                return Reply(messages=(await drafts.confirm(turn, turn.key, state, {}),))
            if answer == "discard" or intent.name == "cancel":
                await self.dialogs.store.clear(turn.key)
                return Reply(messages=(notice_card("Draft discarded", "Nothing was created."),))
        elif state is not None:
            if intent.name == "cancel":
                await self.dialogs.store.clear(turn.key)
                return Reply(messages=(say("Cancelled; nothing was changed."),))
            if intent.name == "help":
                return Reply(messages=(help_message(turn.principal),))
            if intent.name != "structured":
                return await self.dialogs.answer(state, turn.key, turn.event.text, turn)
        reply = await thread_note(turn, intent.name) or await self._command(intent, turn)
        return self._with_expiry(loaded, reply)

    async def _command(self, intent: Intent, turn: ChatTurn) -> Reply:
        handler = COMMANDS.get(intent.name)
        if handler is None:
            return not_understood(intent)
        return await handler(turn, intent)

    @staticmethod
    def _with_expiry(loaded: Loaded, reply: Reply) -> Reply:
        if not loaded.expired or loaded.expired == drafts.DIALOG:
            return reply
        expired = say(f"(Your unfinished {loaded.expired} conversation expired after 30 minutes without an answer.)")
        return Reply(messages=(expired, *reply.messages), refreshed=reply.refreshed)
