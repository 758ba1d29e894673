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
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Boolean, Row, insert, literal_column, null, or_, select, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk.conversations import to_ref
from bot.desk.views import ticket_view_in
from bot.log_fields import origin
from bot.notify.replies import LOG, dump_message
from bot.notify.routing import Hop, route
from bot.seam import OutboundMessage
from cards.builders import ticket_card
from storage.db import AUDIENCE_VERSION, kept_or_read
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
    table_of,
    utcnow,
)

log = logging.getLogger(__name__)

NOTE_EXCERPT = 300


def key_of(member_id: int | None, conversation_id: int | None) -> str:
    """The key a stored recipient is known by while planning, from its member or conversation column."""
    return f"m:{member_id}" if member_id is not None else f"c:{conversation_id}"


def recipient_key(recipient: Recipient) -> str:
    """The key a stored recipient is known by while planning."""
    return key_of(recipient.member_id, recipient.conversation_id)


# On the tables' columns: a statement on the classes' attributes goes through the ORM's execution path.
_RULE, _FORWARD, _RECIPIENT, _DELIVERY = table_of(Rule), table_of(Forward), table_of(Recipient), table_of(Delivery)
_FROM, _TO = _RECIPIENT.alias("from_recipient"), _RECIPIENT.alias("to_recipient")
_WHEN = _FORWARD.c.starts_at.type
# Everything planning reads before it knows whether anyone is told: every enabled rule with its recipient, and
# every enabled forward with both ends and its dates, as columns in ONE statement built once (two statements
# of ORM objects, rebuilt per event, three with forwards, took 0.72 ms of a 5.0 ms create; this 0.17 ms), and
# kept across turns while the audience's version stands (`storage.db.kept_or_read`). A rule row has `forward` 0, its
# board, and its recipient in `member_id`/`conversation_id`; a forward row has `forward` 1, its source there, its
# destination in `to_member_id`/`to_conversation_id`, and the dates it is active between.
_AUDIENCE = union_all(
    select(
        literal_column("0").label("forward"),
        _RULE.c.id.label("row_id"),
        _RULE.c.board_id,
        _RULE.c.events,
        _RULE.c.priorities,
        _RECIPIENT.c.member_id,
        _RECIPIENT.c.conversation_id,
        null().label("to_member_id"),
        null().label("to_conversation_id"),
        type_coerce(null(), Boolean).label("keep_copy"),
        type_coerce(null(), _WHEN).label("starts_at"),
        type_coerce(null(), _WHEN).label("ends_at"),
    )
    .select_from(_RULE.join(_RECIPIENT, _RECIPIENT.c.id == _RULE.c.recipient_id))
    .where(_RULE.c.enabled.is_(True)),
    select(
        literal_column("1"),
        _FORWARD.c.id,
        null(),
        null(),
        null(),
        _FROM.c.member_id,
        _FROM.c.conversation_id,
        _TO.c.member_id,
        _TO.c.conversation_id,
        _FORWARD.c.keep_copy,
        _FORWARD.c.starts_at,
        _FORWARD.c.ends_at,
    )
    .select_from(
        _FORWARD.join(_FROM, _FROM.c.id == _FORWARD.c.from_recipient_id).join(_TO, _TO.c.id == _FORWARD.c.to_recipient_id)
    )
    .where(_FORWARD.c.enabled.is_(True)),
).order_by("forward", "row_id")


@dataclass(frozen=True)
class _Audience:
    """The enabled rules by board and the enabled forwards, as read by `_AUDIENCE`; immutable rows, so one read
    is shared by every turn that reads the same version."""

    rules: dict[int, tuple[Row[Any], ...]]
    forwards: tuple[Row[Any], ...]

    @classmethod
    async def read(cls, session: AsyncSession, _keeping: bool) -> _Audience:
        """The audience as it is now: its rows are immutable, so it is the same whether it is kept or not."""
        rules: dict[int, list[Row[Any]]] = {}
        forwards = []
        for row in (await session.execute(_AUDIENCE)).all():
            if row.forward:
                forwards.append(row)
            else:
                rules.setdefault(row.board_id, []).append(row)
        return cls({board: tuple(rows) for board, rows in rules.items()}, tuple(forwards))

    def active_forwards(self, now: datetime) -> list[Row[Any]]:
        """The forwards active at `now`: begun (or without a start) and not ended."""
        return [f for f in self.forwards if (f.starts_at is None or f.starts_at <= now) and (f.ends_at is None or f.ends_at > now)]


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
        audience = await kept_or_read(session, AUDIENCE_VERSION, partial(_Audience.read, session))
        keys = self._recipients(audience.rules.get(ticket.board_id, ()), event, ticket, note)
        routed = route(keys, self._forwards(audience.active_forwards(utcnow())))
        actor = {f"m:{event.actor_member_id}", f"i:{event.actor_identity_id}"}
        routed = [r for r in routed if r.key not in actor and not (internal and not r.key.startswith("m:"))]
        if not routed:
            return
        change = f"n{note.uid}" if note is not None else f"e{event.id}"
        wanted = {f"t{ticket.id}:{change}:{r.key}": r for r in routed}
        existing = set(
            (await session.scalars(select(_DELIVERY.c.dedup_key).where(_DELIVERY.c.dedup_key.in_(list(wanted))))).all()
        )
        wanted = {k: r for k, r in wanted.items() if k not in existing}
        if not wanted:
            return
        rows = await _Rows.load(session, [k for r in wanted.values() for k in (r.key, r.forwarded_from) if k], ticket)
        headline = _headline(ticket, event, note)
        view = await ticket_view_in(session, ticket)
        live = dump_message(OutboundMessage(text=headline, card=ticket_card(view, now=utcnow())))
        logged = {**origin(), "ticket": ticket.number}
        payloads: dict[str, dict[str, Any]] = {}  # by text: most recipients get the same message
        deliveries: list[dict[str, Any]] = []
        for dedup_key, routed_to in wanted.items():
            target = self._target(rows, routed_to.key)
            if target is None:
                log.info("no way to reach %s about ticket #%s; skipped", routed_to.key, ticket.number)
                continue
            text = headline
            if routed_to.forwarded_from is not None:
                source, destination = rows.name(routed_to.forwarded_from), rows.name(routed_to.key)
                text = f"Forwarded from {source} → {destination}\n{text}"
            if text not in payloads:
                message = OutboundMessage(text=text, card=ticket_card(view, now=utcnow(), notice=text))
                payloads[text] = {**dump_message(message), "live": live, LOG: logged}
            deliveries.append(
                {
                    "event_id": event.id,
                    "ticket_id": ticket.id,
                    "recipient_id": rows.recipient_id(routed_to.key),
                    "platform": target.platform,
                    "target": target.target,
                    "payload": payloads[text],
                    "dedup_key": dedup_key[:300],
                    "lane": target.lane[:300],
                }
            )
        if deliveries:
            await session.execute(insert(_DELIVERY), deliveries)  # one executemany, not an INSERT per row

    @staticmethod
    def _recipients(rules: Sequence[Row[Any]], event: TicketEventRow, ticket: Ticket, note: Note | None) -> list[str]:
        keys: list[str] = []
        for rule in rules:
            if event.kind not in (rule.events or ["created"]):
                continue
            if rule.priorities and ticket.priority not in rule.priorities:
                continue
            keys.append(key_of(rule.member_id, rule.conversation_id))
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
    def _forwards(forwards: Sequence[Row[Any]]) -> dict[str, list[Hop]]:
        hops: dict[str, list[Hop]] = {}
        for forward in forwards:
            source = key_of(forward.member_id, forward.conversation_id)
            destination = key_of(forward.to_member_id, forward.to_conversation_id)
            hops.setdefault(source, []).append(Hop(source, destination, forward.keep_copy))
        return hops

    def _target(self, rows: _Rows, key: str) -> Target | None:
        kind, _, raw = key.partition(":")
        if kind == "c":
            conversation = rows.conversations.get(int(raw))
            if conversation is None or not conversation.installed:
                return None
            ref = to_ref(conversation)
            lane = conversation_lane(ref.platform, ref.conversation_id)
            return Target(ref.platform, ref.to_json(), lane, conversation.name)
        identity = self._identity(rows, kind, int(raw))
        if identity is None:
            return None
        # A person's deliveries share one lane whether their DM is known yet or not, so they stay in order.
        lane = direct_lane(identity.platform, identity.user_id)
        known = rows.origin if rows.origin is not None and identity.id == rows.requester_identity_id else None
        known = known or rows.directs.get((identity.platform, identity.user_id))
        if known is not None:
            return Target(identity.platform, to_ref(known).to_json(), lane, identity.name)
        actor = {"platform": identity.platform, "user_id": identity.user_id, "name": identity.name}
        return Target(identity.platform, {"direct": actor}, lane, identity.name)

    def _identity(self, rows: _Rows, kind: str, row_id: int) -> Identity | None:
        """The identity a person is reached on: a member's preferred platform, else their first reachable one."""
        if kind == "i":
            identity = rows.identities.get(row_id)
            return identity if identity is not None and self.reachable(identity.platform) else None
        member = rows.members.get(row_id)
        if member is None:
            return None
        reachable = [i for i in rows.linked.get(member.id, []) if self.reachable(i.platform)]
        preferred = [i for i in reachable if i.platform == member.preferred_platform]
        return (preferred or reachable)[0] if reachable else None


@dataclass
class _Rows:
    """What planning reads about the recipients of one event, each kind in one statement however many there are
    (a fan-out to 1,000 recipients wrote its deliveries in about 2 s with a few statements per recipient)."""

    recipients: dict[str, Recipient]
    members: dict[int, Member]
    conversations: dict[int, Conversation]
    identities: dict[int, Identity]
    linked: dict[int, list[Identity]]
    directs: dict[tuple[str, str], Conversation]
    origin: Conversation | None
    requester_identity_id: int | None

    @classmethod
    async def load(cls, session: AsyncSession, keys: Sequence[str], ticket: Ticket) -> _Rows:
        ids: dict[str, set[int]] = {"m": set(), "c": set(), "i": set()}
        for key in keys:
            kind, _, raw = key.partition(":")
            ids[kind].add(int(raw))
        recipients: dict[str, Recipient] = {}
        if ids["m"] or ids["c"]:
            for recipient in await session.scalars(
                select(Recipient).where(or_(Recipient.member_id.in_(ids["m"]), Recipient.conversation_id.in_(ids["c"])))
            ):
                recipients[recipient_key(recipient)] = recipient
        members = await _by_id(session, Member, ids["m"])
        conversations = await _by_id(session, Conversation, ids["c"])
        identities: dict[int, Identity] = {}
        linked: dict[int, list[Identity]] = {}
        if ids["m"] or ids["i"]:
            for identity in await session.scalars(
                select(Identity).where(or_(Identity.member_id.in_(ids["m"]), Identity.id.in_(ids["i"]))).order_by(Identity.id)
            ):
                identities[identity.id] = identity
                if identity.member_id in ids["m"]:
                    linked.setdefault(identity.member_id, []).append(identity)
        directs: dict[tuple[str, str], Conversation] = {}
        if identities:
            user_ids = {i.user_id for i in identities.values()}
            for direct in await session.scalars(
                select(Conversation)
                .where(
                    Conversation.scope == "personal",
                    Conversation.installed.is_(True),
                    Conversation.data["user_id"].as_string().in_(user_ids),
                )
                .order_by(Conversation.id)
            ):
                directs.setdefault((direct.platform, str(direct.data.get("user_id"))), direct)
        requester = identities.get(ticket.requester_identity_id) if ticket.requester_identity_id is not None else None
        opened_in = await _origin(session, requester, ticket) if requester is not None else None
        return cls(recipients, members, conversations, identities, linked, directs, opened_in, ticket.requester_identity_id)

    def recipient_id(self, key: str) -> int | None:
        recipient = self.recipients.get(key)
        return recipient.id if recipient is not None else None

    def name(self, key: str) -> str:
        """What a forward's line calls a recipient: its recipient name, else the member's, room's or person's."""
        recipient = self.recipients.get(key)
        if recipient is not None:
            return recipient.name
        kind, _, raw = key.partition(":")
        if kind == "m":
            member = self.members.get(int(raw))
            return member.name if member else key
        if kind == "c":
            conversation = self.conversations.get(int(raw))
            return (conversation.name or conversation.conversation_id) if conversation else key
        identity = self.identities.get(int(raw))
        return identity.name if identity else key


async def _by_id(session: AsyncSession, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in await session.scalars(select(model).where(model.id.in_(ids)))}


async def _origin(session: AsyncSession, identity: Identity, ticket: Ticket) -> Conversation | None:
    """The requester's own conversation the ticket was opened in, when they are reached on its platform: a
    mail requester is answered in their mail thread (the stored reference names the mail to answer and the
    ticket), not with a new mail; a Teams requester's origin is their DM, which the lookup finds anyway."""
    if identity.platform != ticket.origin_platform:
        return None
    found = await session.scalar(
        select(Conversation).where(
            Conversation.platform == identity.platform, Conversation.conversation_id == ticket.origin_conversation
        )
    )
    return found if found is not None and found.installed and found.scope == "personal" else None
