"""The planner: a ticket event in, delivery rows out — in the transaction of the change (SPEC §4).

Who receives what:
- created: every enabled rule of the ticket's board whose filters match (its priorities, its event types)
  gives its recipient; every assignee gets a DM on their preferred platform.
- updated: the assignees, the requester for public notes and status changes, and the recipients of rules that
  ask for updates. The actor never receives their own change; internal notes reach members only.
- forwards (`bot.notify.routing`) then decide the final recipients.
Each (ticket, change, recipient) is one delivery at most: the dedup key is UNIQUE. The change is the note's id
for a note (an external system's note arrives once however often it is replayed), otherwise the event's id.

Recipient keys: `m:<member id>` (a person, by DM), `c:<conversation row id>` (a channel, space or a stored
DM), `i:<identity id>` (a requester who is not a member yet).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk.conversations import to_ref
from bot.desk.views import ticket_view_in
from bot.log_fields import origin
from bot.notify.replies import LOG, dump_message
from bot.notify.routing import Hop, route
from bot.seam import OutboundMessage
from cards.builders import ticket_card
from storage.models import (
    Conversation,
    Delivery,
    Forward,
    Identity,
    Member,
    Note,
    Recipient,
    Rule,
    Ticket,
    TicketEventRow,
    utcnow,
)

log = logging.getLogger(__name__)

NOTE_EXCERPT = 300


def recipient_key(recipient: Recipient) -> str:
    """The key a stored recipient is known by while planning."""
    return f"m:{recipient.member_id}" if recipient.member_id is not None else f"c:{recipient.conversation_id}"


def direct_lane(platform: str, user_id: str) -> str:
    """The outbox lane of a DM not opened yet (per person and platform)."""
    return f"{platform}:user:{user_id}"


def conversation_lane(platform: str, conversation_id: str) -> str:
    """The outbox lane of a conversation: its deliveries go out in order."""
    return f"{platform}:{conversation_id}"


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: a stored conversation, or a person to open a DM with."""

    platform: str
    target: dict[str, Any]
    lane: str
    name: str


def _headline(ticket: Ticket, event: TicketEventRow, note: Note | None) -> str:
    if event.kind == "created":
        return f"New ticket #{ticket.number} on {ticket.board.name}: {ticket.title} ({ticket.priority})"
    parts = []
    for change in event.changes:
        field = change.get("field")
        if field == "note" and note is not None:
            kind = "an internal note" if note.internal else "a note"
            text = note.text if len(note.text) <= NOTE_EXCERPT else note.text[: NOTE_EXCERPT - 1] + "…"
            parts.append(f"{note.author_name} added {kind}: {text}")
        elif field == "assignees":
            parts.append(f"assigned to {', '.join(change.get('new') or []) or 'nobody'}")
        elif field == "description":
            parts.append("description changed")
        else:
            parts.append(f"{field} {change.get('old') or '–'} → {change.get('new') or '–'}")
    return f"#{ticket.number} {ticket.title}: {'; '.join(parts)} (by {event.actor_name})"


class Planner:
    """`bot.desk.events.EventPlanner`: writes the deliveries of one ticket event.

    `reachable(platform)` says whether a platform can be sent to at all (an adapter for it exists): a person is
    reached on their preferred platform, else on the first reachable one they are linked on (never, say, on the
    terminal chat's identity).
    """

    def __init__(self, reachable: Callable[[str], bool] = lambda _platform: True) -> None:
        self.reachable = reachable

    async def __call__(self, session: AsyncSession, event: TicketEventRow, ticket: Ticket, note: Note | None) -> None:
        internal = note is not None and note.internal
        keys = await self._recipients(session, event, ticket, note)
        routed = route(keys, await self._forwards(session))
        actor = {f"m:{event.actor_member_id}", f"i:{event.actor_identity_id}"}
        routed = [r for r in routed if r.key not in actor and not (internal and not r.key.startswith("m:"))]
        if not routed:
            return
        names = await self._names(session, [k for r in routed for k in (r.key, r.forwarded_from) if k])
        headline = _headline(ticket, event, note)
        view = await ticket_view_in(session, ticket)
        live = OutboundMessage(text=headline, card=ticket_card(view, now=utcnow()))
        change = f"n{note.uid}" if note is not None else f"e{event.id}"
        wanted = {f"t{ticket.id}:{change}:{r.key}": r for r in routed}
        existing = set(
            (await session.scalars(select(Delivery.dedup_key).where(Delivery.dedup_key.in_(list(wanted))))).all()
        )
        for dedup_key, routed_to in wanted.items():
            if dedup_key in existing:
                continue
            target = await self._target(session, routed_to.key, ticket)
            if target is None:
                log.info("no way to reach %s about ticket #%s; skipped", routed_to.key, ticket.number)
                continue
            text = headline
            if routed_to.forwarded_from is not None:
                source, destination = names.get(routed_to.forwarded_from, "?"), names.get(routed_to.key, "?")
                text = f"Forwarded from {source} → {destination}\n{text}"
            message = OutboundMessage(text=text, card=ticket_card(view, now=utcnow(), notice=text))
            session.add(
                Delivery(
                    event_id=event.id,
                    ticket_id=ticket.id,
                    recipient_id=await self._recipient_id(session, routed_to.key),
                    platform=target.platform,
                    target=target.target,
                    payload={**dump_message(message), "live": dump_message(live), LOG: {**origin(), "ticket": ticket.number}},
                    dedup_key=dedup_key[:300],
                    lane=target.lane[:300],
                )
            )
        await session.flush()

    @staticmethod
    async def _recipients(session: AsyncSession, event: TicketEventRow, ticket: Ticket, note: Note | None) -> list[str]:
        keys: list[str] = []
        rules = (
            await session.execute(
                select(Rule, Recipient)
                .join(Recipient, Recipient.id == Rule.recipient_id)
                .where(Rule.board_id == ticket.board_id, Rule.enabled.is_(True))
                .order_by(Rule.id)
            )
        ).all()
        for rule, recipient in rules:
            if event.kind not in (rule.events or ["created"]):
                continue
            if rule.priorities and ticket.priority not in rule.priorities:
                continue
            keys.append(recipient_key(recipient))
        keys.extend(f"m:{member.id}" for member in ticket.assignees)
        if event.kind == "updated":
            fields = {change.get("field") for change in event.changes}
            if "status" in fields or (note is not None and not note.internal):
                if ticket.requester_member_id is not None:
                    keys.append(f"m:{ticket.requester_member_id}")
                elif ticket.requester_identity_id is not None:
                    keys.append(f"i:{ticket.requester_identity_id}")
        return list(dict.fromkeys(keys))

    @staticmethod
    async def _forwards(session: AsyncSession) -> dict[str, list[Hop]]:
        now = utcnow()
        active = (
            await session.scalars(
                select(Forward)
                .where(
                    Forward.enabled.is_(True),
                    or_(Forward.starts_at.is_(None), Forward.starts_at <= now),
                    or_(Forward.ends_at.is_(None), Forward.ends_at > now),
                )
                .order_by(Forward.id)
            )
        ).all()
        if not active:
            return {}
        ids = {f.from_recipient_id for f in active} | {f.to_recipient_id for f in active}
        recipients = {r.id: r for r in (await session.scalars(select(Recipient).where(Recipient.id.in_(ids)))).all()}
        hops: dict[str, list[Hop]] = {}
        for forward in active:
            source = recipient_key(recipients[forward.from_recipient_id])
            hops.setdefault(source, []).append(
                Hop(source, recipient_key(recipients[forward.to_recipient_id]), forward.keep_copy)
            )
        return hops

    @staticmethod
    async def _names(session: AsyncSession, keys: Sequence[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for key in set(keys):
            kind, _, raw = key.partition(":")
            row_id = int(raw)
            recipient_id = await Planner._recipient_id(session, key)
            recipient = await session.get(Recipient, recipient_id) if recipient_id is not None else None
            if recipient is not None:
                names[key] = recipient.name
            elif kind == "m":
                member = await session.get(Member, row_id)
                names[key] = member.name if member else key
            elif kind == "c":
                conversation = await session.get(Conversation, row_id)
                names[key] = (conversation.name or conversation.conversation_id) if conversation else key
            else:
                identity = await session.get(Identity, row_id)
                names[key] = identity.name if identity else key
        return names

    @staticmethod
    async def _recipient_id(session: AsyncSession, key: str) -> int | None:
        kind, _, raw = key.partition(":")
        if kind == "m":
            return await session.scalar(select(Recipient.id).where(Recipient.member_id == int(raw)))
        if kind == "c":
            return await session.scalar(select(Recipient.id).where(Recipient.conversation_id == int(raw)))
        return None

    async def _target(self, session: AsyncSession, key: str, ticket: Ticket) -> Target | None:
        kind, _, raw = key.partition(":")
        if kind == "c":
            conversation = await session.get(Conversation, int(raw))
            if conversation is None or not conversation.installed:
                return None
            ref = to_ref(conversation)
            lane = conversation_lane(ref.platform, ref.conversation_id)
            return Target(ref.platform, ref.to_json(), lane, conversation.name)
        if kind == "m":
            member = await session.get(Member, int(raw))
            if member is None:
                return None
            linked = (
                await session.scalars(select(Identity).where(Identity.member_id == member.id).order_by(Identity.id))
            ).all()
            identities = [i for i in linked if self.reachable(i.platform)]
            preferred = [i for i in identities if i.platform == member.preferred_platform]
            identity: Identity | None = (preferred or list(identities))[0] if identities else None
        else:
            identity = await session.get(Identity, int(raw))
        if identity is None or not self.reachable(identity.platform):
            return None
        # A person's deliveries share one lane whether their DM is known yet or not, so they stay in order.
        lane = direct_lane(identity.platform, identity.user_id)
        origin = await self._origin(session, identity, ticket)
        if origin is not None:
            return Target(identity.platform, to_ref(origin).to_json(), lane, identity.name)
        direct = await session.scalar(
            select(Conversation).where(
                and_(
                    Conversation.platform == identity.platform,
                    Conversation.scope == "personal",
                    Conversation.installed.is_(True),
                    Conversation.data["user_id"].as_string() == identity.user_id,
                )
            )
        )
        if direct is not None:
            return Target(identity.platform, to_ref(direct).to_json(), lane, identity.name)
        actor = {"platform": identity.platform, "user_id": identity.user_id, "name": identity.name}
        return Target(identity.platform, {"direct": actor}, lane, identity.name)

    @staticmethod
    async def _origin(session: AsyncSession, identity: Identity, ticket: Ticket) -> Conversation | None:
        """The requester's own conversation the ticket was opened in, when they are reached on its platform: a
        mail requester is answered in their mail thread (the stored reference names the mail to answer and the
        ticket), not with a new mail; a Teams requester's origin is their DM, which the lookup finds anyway."""
        if identity.id != ticket.requester_identity_id or identity.platform != ticket.origin_platform:
            return None
        origin = await session.scalar(
            select(Conversation).where(
                Conversation.platform == identity.platform, Conversation.conversation_id == ticket.origin_conversation
            )
        )
        return origin if origin is not None and origin.installed and origin.scope == "personal" else None
