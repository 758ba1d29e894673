"""Recipients, rules, forwards and the outbox as the CLI and the admin API manage them.

Each method is one transaction and returns plain dicts (the CLI prints them, the API answers them). Bad input
raises a domain error with a clear message and stores nothing: a forward to itself, one whose start is not
before its end is refused; one that would close a cycle of forwards is a conflict with the forwards there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.desk.errors import Conflict, Invalid, NotFound
from bot.desk.priorities import normalize_priority
from bot.facts import DELIVERY_STATES, PRIORITIES, RECIPIENT_KINDS
from bot.notify.routing import closes_cycle
from storage.db import Database
from storage.models import Board, Conversation, Delivery, Forward, Recipient, Rule, utcnow

EVENTS = ("created", "updated")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def recipient_dict(recipient: Recipient, conversation: Conversation | None) -> dict[str, Any]:
    """A recipient as the CLI and the API show it."""
    return {
        "id": recipient.id,
        "name": recipient.name,
        "kind": recipient.kind,
        "platform": conversation.platform if conversation else None,
        "conversation": conversation.conversation_id if conversation else None,
        "member_id": recipient.member_id,
    }


def rule_dict(rule: Rule, board: Board, recipient: Recipient) -> dict[str, Any]:
    """A rule as the CLI and the API show it."""
    return {
        "id": rule.id,
        "board": board.name,
        "recipient_id": recipient.id,
        "recipient": recipient.name,
        "enabled": rule.enabled,
        "priorities": list(rule.priorities),
        "events": list(rule.events),
    }


def forward_dict(forward: Forward) -> dict[str, Any]:
    """A forward as the CLI and the API show it."""
    return {
        "id": forward.id,
        "from": forward.from_recipient_id,
        "to": forward.to_recipient_id,
        "keep_copy": forward.keep_copy,
        "enabled": forward.enabled,
        "start": _iso(forward.starts_at),
        "end": _iso(forward.ends_at),
    }


def delivery_dict(delivery: Delivery) -> dict[str, Any]:
    """A delivery (outbox row) as the CLI and the API show it (not its payload: that is the card itself)."""
    return {
        "id": delivery.id,
        "state": delivery.state,
        "platform": delivery.platform,
        "recipient_id": delivery.recipient_id,
        "ticket_id": delivery.ticket_id,
        "attempts": delivery.attempts,
        "error": delivery.last_error,
        "created_at": _iso(delivery.created_at),
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "sent_at": _iso(delivery.sent_at),
    }


def _one(rows: list[dict[str, Any]], what: str, row_id: int) -> dict[str, Any]:
    for row in rows:
        if row["id"] == row_id:
            return row
    raise NotFound(f"There is no {what} {row_id}.")


class RecipientService:
    """Named notification targets."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, platform: str, conversation_id: str, name: str, *, kind: str = "room") -> dict[str, Any]:
        """Add the conversation as a recipient (stored as a known conversation too when it is new)."""
        if kind not in RECIPIENT_KINDS:
            raise Invalid(f"'{kind}' is not a recipient kind. Use one of: {', '.join(RECIPIENT_KINDS)}.", "kind")
        platform, conversation_id, name = platform.strip().lower(), conversation_id.strip(), " ".join(name.split())
        if not platform or not conversation_id or not name:
            raise Invalid("A recipient needs a platform, a conversation id and a name.")
        async with self.db.transaction() as session:
            conversation = await session.scalar(
                select(Conversation).where(
                    Conversation.platform == platform, Conversation.conversation_id == conversation_id
                )
            )
            if conversation is None:
                scope = "personal" if kind == "person" else "channel"
                conversation = Conversation(platform=platform, conversation_id=conversation_id, scope=scope, name=name)
                session.add(conversation)
                await session.flush()
            if await session.scalar(select(Recipient.id).where(Recipient.conversation_id == conversation.id)):
                raise Conflict(f"The {platform} conversation {conversation_id} is a recipient already.")
            recipient = Recipient(name=name, kind=kind, conversation_id=conversation.id)
            session.add(recipient)
            await session.flush()
            return recipient_dict(recipient, conversation)

    async def adopt(
        self, platform: str, conversation_id: str, name: str, *, kind: str, member_id: int | None = None
    ) -> bool:
        """Make a known conversation a recipient (`sync`); False when it, or its member, is one already.

        A person's recipient names the member matched by email, so their deliveries follow the member (their
        preferred platform, their forwards) rather than this one DM.
        """
        async with self.db.transaction() as session:
            conversation = await session.scalar(
                select(Conversation).where(
                    Conversation.platform == platform, Conversation.conversation_id == conversation_id
                )
            )
            if conversation is None:
                raise NotFound(f"The {platform} conversation {conversation_id} is not known.")
            taken = Recipient.conversation_id == conversation.id
            if member_id is not None:
                taken = taken | (Recipient.member_id == member_id)
            if await session.scalar(select(Recipient.id).where(taken)):
                return False
            session.add(Recipient(name=name, kind=kind, conversation_id=conversation.id, member_id=member_id))
            return True

    async def list(self) -> list[dict[str, Any]]:
        """Every recipient, by id."""
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(Recipient, Conversation)
                    .outerjoin(Conversation, Conversation.id == Recipient.conversation_id)
                    .order_by(Recipient.id)
                )
            ).all()
        return [recipient_dict(r, c) for r, c in rows]

    async def get(self, recipient_id: int) -> dict[str, Any]:
        """One recipient (NotFound when there is none with this id)."""
        return _one(await self.list(), "recipient", recipient_id)


class RuleService:
    """Board rules: which recipients hear about a board's tickets."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, board: str, recipient_id: int, *, min_priority: str | None = None, on_update: bool = False
    ) -> dict[str, Any]:
        """Route `board`'s new tickets (and updates, with `on_update`) at `min_priority` or above to the recipient."""
        priorities: list[str] = []
        if min_priority:
            chosen = normalize_priority(min_priority)
            if chosen is None:
                raise Invalid(f"'{min_priority}' is not a priority. Use one of: {', '.join(PRIORITIES)}.", "min_priority")
            priorities = list(PRIORITIES[PRIORITIES.index(chosen) :])
        events = ["created", "updated"] if on_update else ["created"]
        try:
            async with self.db.transaction() as session:
                board_row = await session.scalar(select(Board).where(func.lower(Board.name) == board.strip().lower()))
                if board_row is None:
                    raise NotFound(f"There is no board '{board}'.")
                recipient = await session.get(Recipient, recipient_id)
                if recipient is None:
                    raise NotFound(f"There is no recipient {recipient_id}.")
                rule = Rule(board_id=board_row.id, recipient_id=recipient.id, priorities=priorities, events=events)
                session.add(rule)
                await session.flush()
                return rule_dict(rule, board_row, recipient)
        except IntegrityError as exc:
            raise Conflict(f"Board {board} has a rule for recipient {recipient_id} already.") from exc

    async def list(self) -> list[dict[str, Any]]:
        """Every rule, by id."""
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(Rule, Board, Recipient)
                    .join(Board, Board.id == Rule.board_id)
                    .join(Recipient, Recipient.id == Rule.recipient_id)
                    .order_by(Rule.id)
                )
            ).all()
        return [rule_dict(rule, board, recipient) for rule, board, recipient in rows]

    async def get(self, rule_id: int) -> dict[str, Any]:
        """One rule (NotFound when there is none with this id)."""
        return _one(await self.list(), "rule", rule_id)

    async def set_enabled(self, rule_id: int, enabled: bool) -> None:
        """Enable or disable a rule."""
        async with self.db.transaction() as session:
            rule = await session.get(Rule, rule_id)
            if rule is None:
                raise NotFound(f"There is no rule {rule_id}.")
            rule.enabled = enabled

    async def delete(self, rule_id: int) -> None:
        """Delete a rule."""
        async with self.db.transaction() as session:
            rule = await session.get(Rule, rule_id)
            if rule is None:
                raise NotFound(f"There is no rule {rule_id}.")
            await session.delete(rule)


class ForwardService:
    """Forwards between recipients."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        source: int,
        destination: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        keep_copy: bool = False,
    ) -> dict[str, Any]:
        """Forward what reaches `source` to `destination` while now ∈ [start, end) (open ends allowed)."""
        if source == destination:
            raise Invalid("A forward needs two different recipients; it cannot forward to itself.", "to")
        if start is not None and end is not None and start >= end:
            raise Invalid("The forward's start must be before its end.", "end")
        async with self.db.transaction() as session:
            for recipient_id in (source, destination):
                if await session.get(Recipient, recipient_id) is None:
                    raise NotFound(f"There is no recipient {recipient_id}.")
            edges: dict[str, list[str]] = {}
            for forward in (await session.scalars(select(Forward).where(Forward.enabled.is_(True)))).all():
                edges.setdefault(str(forward.from_recipient_id), []).append(str(forward.to_recipient_id))
            if closes_cycle(str(source), str(destination), edges):
                raise Conflict(f"A forward {source} → {destination} would close a cycle of forwards; nothing was added.")
            forward = Forward(
                from_recipient_id=source, to_recipient_id=destination, keep_copy=keep_copy, starts_at=start, ends_at=end
            )
            session.add(forward)
            await session.flush()
            return forward_dict(forward)

    async def list(self) -> list[dict[str, Any]]:
        """Every forward, by id."""
        async with self.db.sessions() as session:
            return [forward_dict(f) for f in (await session.scalars(select(Forward).order_by(Forward.id))).all()]

    async def get(self, forward_id: int) -> dict[str, Any]:
        """One forward (NotFound when there is none with this id)."""
        async with self.db.sessions() as session:
            forward = await session.get(Forward, forward_id)
        if forward is None:
            raise NotFound(f"There is no forward {forward_id}.")
        return forward_dict(forward)

    async def delete(self, forward_id: int) -> None:
        """Delete a forward."""
        async with self.db.transaction() as session:
            forward = await session.get(Forward, forward_id)
            if forward is None:
                raise NotFound(f"There is no forward {forward_id}.")
            await session.delete(forward)


class OutboxService:
    """What the delivery queue holds, and retrying dead rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def status(self) -> dict[str, Any]:
        """Counts by state, the age of the oldest pending row in seconds, and the dead rows with their error."""
        async with self.db.sessions() as session:
            counts = dict((await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all())
            oldest = await session.scalar(select(func.min(Delivery.created_at)).where(Delivery.state == "pending"))
            dead = (await session.scalars(select(Delivery).where(Delivery.state == "dead").order_by(Delivery.id))).all()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=utcnow().tzinfo)
        return {
            "counts": {state: int(counts.get(state, 0)) for state in DELIVERY_STATES},
            "oldest_pending_seconds": round((utcnow() - oldest).total_seconds(), 1) if oldest else None,
            "dead": [
                {"id": d.id, "platform": d.platform, "attempts": d.attempts, "error": d.last_error} for d in dead
            ],
        }

    async def list(self, *, state: str | None = None, after: int = 0, limit: int = 50) -> list[dict[str, Any]]:
        """Up to `limit` deliveries with an id above `after` (of one state when given), by id."""
        query = select(Delivery).where(Delivery.id > after).order_by(Delivery.id).limit(limit)
        if state is not None:
            query = query.where(Delivery.state == state)
        async with self.db.sessions() as session:
            return [delivery_dict(d) for d in (await session.scalars(query)).all()]

    async def get(self, delivery_id: int) -> dict[str, Any]:
        """One delivery (NotFound when there is none with this id)."""
        async with self.db.sessions() as session:
            delivery = await session.get(Delivery, delivery_id)
        if delivery is None:
            raise NotFound(f"There is no delivery {delivery_id}.")
        return delivery_dict(delivery)

    async def retry(self, ids: Sequence[int] | None = None) -> int:
        """Make dead rows pending again (these ids, or every dead row); the number revived."""
        query = update(Delivery).where(Delivery.state == "dead")
        if ids is not None:
            async with self.db.sessions() as session:
                for delivery_id in ids:
                    state = await session.scalar(select(Delivery.state).where(Delivery.id == delivery_id))
                    if state is None:
                        raise NotFound(f"There is no delivery {delivery_id}.")
                    if state != "dead":
                        raise Invalid(f"Delivery {delivery_id} is {state}, not dead; only dead rows are retried.")
            query = query.where(Delivery.id.in_(ids))
        async with self.db.transaction() as session:
            result = await session.execute(query.values(state="pending", attempts=0, next_attempt_at=utcnow()))
        return result.rowcount or 0  # type: ignore[attr-defined]
