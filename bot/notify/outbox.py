"""The outbox worker: sends the delivery rows through the platform ports, once each, in order per recipient.

Claiming: each platform with rows waiting is drained by its own task; one statement marks up to `BATCH` of its
due rows `sending` with a lease (`lease_until`), and they go out at the platform's pace (`bot.notify.pacing`),
so a long queue for one platform (a fan-out to a thousand Teams chats, sent at the pace Teams accepts) does
not hold back the others. On PostgreSQL the
rows are picked with `SELECT … FOR UPDATE SKIP LOCKED`, so several `serve` processes share one outbox and never
claim the same row; on SQLite (where SQLAlchemy drops SKIP LOCKED) the single `UPDATE … RETURNING` is atomic
because SQLite has one writer. A row whose lease ran out (its worker crashed) is due again. A row is due only
when no earlier row of its lane (recipient) is still pending or sending: per recipient, order is kept.

Sending: a `DeliveryError` that is permanent (403 not in the roster, 404 conversation gone) makes the row
`dead` at once with the reason; any other failure (429, 5xx, timeouts, refused connections) is retried after
`backoff · 2^(attempt-1)` seconds with ±25 % jitter, never before the Retry-After the platform gave, and the row
is `dead` after `MAX_ATTEMPTS`. A 429 that carries Retry-After is the platform pacing us, not a failure: the row
waits exactly that long, however often it comes, and is never made dead by it (with the exponential backoff a
fan-out to 1,000 recipients drained at 2.6× the minimum the rate limits allow, see bench/README.md). A row is
marked `sent` only after the port returned.

Threads and live cards: the first delivery about a ticket to a conversation stores the sent message's
reference (`ticket_threads`); later ones go into its thread, and the first card is edited to the ticket's
current state first (an edit can be repeated safely; a send cannot, so the edit comes before the send). Where
the platform refuses edits for good, the refreshed card itself is posted in the thread.

The worker also prunes sent rows and seen inbound events older than the retention setting.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.facts import SEND_LIMITS
from bot.notify.pacing import Held, Pacer
from bot.notify.replies import load_message
from bot.seam import Actor, ChatPort, ConversationRef, DeliveryError, MessageRef, OutboundMessage
from bot.settings import Settings
from storage.db import Database
from storage.models import Delivery, SeenEvent, TicketThread, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 50
MAX_BACKOFF = 3600.0
PRUNE_EVERY = 600.0  # seconds between two prunes


def backoff(attempts: int, base: float) -> float:
    """Seconds to wait after the `attempts`-th failed try: exponential, capped, with ±25 % jitter."""
    return min(MAX_BACKOFF, base * 2 ** (attempts - 1)) * random.uniform(0.75, 1.25)


class OutboxWorker:
    """Claims due deliveries and sends them through `ports` (the dict the app fills as adapters install)."""

    def __init__(self, db: Database, ports: Mapping[str, ChatPort], settings: Settings) -> None:
        self.db = db
        self.ports = ports
        self.settings = settings
        self._last_prune = 0.0
        self._pacers: dict[str, Pacer] = {}

    async def run(self) -> None:
        """Send until cancelled: each platform with rows waiting is drained by its own task, at its own pace (a
        fan-out to a thousand Teams chats at Teams' 50 a second does not hold back the Webex rows at Webex's);
        every `outbox_poll_seconds` the platforms with rows waiting are looked up again."""
        loop = asyncio.get_running_loop()
        drains: dict[str, asyncio.Task[None]] = {}
        try:
            while True:
                try:
                    for platform in await self._waiting():
                        if platform not in drains or drains[platform].done():
                            drains[platform] = asyncio.create_task(self._drain(platform))
                    if loop.time() - self._last_prune > PRUNE_EVERY:
                        await self.prune()
                        self._last_prune = loop.time()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("the outbox worker failed; trying again")
                await asyncio.sleep(self.settings.outbox_poll_seconds)
        finally:
            for task in drains.values():
                task.cancel()
            await asyncio.gather(*drains.values(), return_exceptions=True)

    async def drain_once(self) -> int:
        """Claim a batch for each platform with rows waiting and send them together; the number of rows claimed."""
        batches = await asyncio.gather(*(self._drain_batch(platform) for platform in sorted(await self._waiting())))
        return sum(batches)

    async def _waiting(self) -> list[str]:
        async with self.db.sessions() as session:
            return list(
                (await session.scalars(select(Delivery.platform).where(Delivery.state.in_(("pending", "sending"))).distinct())).all()
            )

    async def _drain(self, platform: str) -> None:
        """Send the platform's batches one after another until none is due, waiting for rows due very soon (a
        refused row's Retry-After) rather than for the next poll."""
        try:
            while True:
                if await self._drain_batch(platform):
                    continue
                async with self.db.sessions() as session:
                    due = await session.scalar(
                        select(func.min(Delivery.next_attempt_at)).where(Delivery.platform == platform, Delivery.state == "pending")
                    )
                wait = (due - utcnow()).total_seconds() if due is not None else None
                if wait is None or wait > self.settings.outbox_poll_seconds:
                    self._pacer(platform).forget()
                    return
                await asyncio.sleep(max(0.0, wait))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the outbox worker failed sending to %s; trying again", platform)

    async def _drain_batch(self, platform: str) -> int:
        rows = await self.claim(platform=platform)
        self._pacer(platform).release()
        if rows:
            await asyncio.gather(*(self.deliver(row) for row in rows))
        return len(rows)

    def _pacer(self, platform: str) -> Pacer:
        if platform not in self._pacers:
            published = SEND_LIMITS.get(platform)
            burst_seconds = published.burst / published.rate if published is not None else 1.0
            self._pacers[platform] = Pacer(self.settings.outbox_send_rates.get(platform), burst_seconds)
        return self._pacers[platform]

    async def claim(self, limit: int = BATCH, *, platform: str | None = None) -> list[Delivery]:
        """Mark up to `limit` due rows (of `platform`, when given) as `sending` under a lease, and return them."""
        now = utcnow()
        candidate = aliased(Delivery, name="candidate")
        earlier = aliased(Delivery, name="earlier")
        blocked = exists().where(
            earlier.lane == candidate.lane, earlier.id < candidate.id, earlier.state.in_(("pending", "sending"))
        )
        due = or_(
            and_(candidate.state == "pending", candidate.next_attempt_at <= now),
            and_(candidate.state == "sending", candidate.lease_until < now),
        )
        ids = select(candidate.id).where(due, ~blocked).order_by(candidate.id).limit(limit)
        if platform is not None:
            ids = ids.where(candidate.platform == platform)
        if self.db.dialect != "sqlite":
            ids = ids.with_for_update(skip_locked=True, of=candidate)
        lease = now + timedelta(seconds=self.settings.outbox_lease_seconds)
        async with self.db.transaction() as session:
            claimed = (
                await session.scalars(
                    update(Delivery)
                    .where(Delivery.id.in_(ids.scalar_subquery()))
                    .values(state="sending", lease_until=lease)
                    .returning(Delivery.id)
                )
            ).all()
            if not claimed:
                return []
            rows = (await session.scalars(select(Delivery).where(Delivery.id.in_(claimed)).order_by(Delivery.id))).all()
        return list(rows)

    async def deliver(self, row: Delivery) -> None:
        """Send one claimed row and record the outcome."""
        pacer = self._pacer(row.platform)
        lease_left = (row.lease_until - utcnow()).total_seconds() if row.lease_until is not None else 0.0
        try:
            async with pacer.sending(within=lease_left / 2):
                sent, first = await self._send(row)
        except Held as held:
            await self._put_back(row, held.seconds)
        except DeliveryError as exc:
            if exc.status == 429 and exc.retry_after is not None:
                pacer.refused(exc.retry_after)
            await self._failed(row, exc)
        except Exception as exc:  # an adapter bug must not stop the worker; the row is retried
            log.exception("sending delivery %s failed", row.id)
            await self._failed(row, DeliveryError(f"{type(exc).__name__} while sending"))
        else:
            pacer.accepted()
            async with self.db.transaction() as session:
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id == row.id)
                    .values(
                        state="sent", sent_at=utcnow(), message_id=sent.message_id[:255], attempts=row.attempts + 1,
                        lease_until=None,
                    )
                )
                if first and row.ticket_id is not None:
                    await self._remember_thread(session, row.ticket_id, sent)

    async def _send(self, row: Delivery) -> tuple[MessageRef, bool]:
        """Send the row's message; the sent message, and whether it is the first about its ticket there."""
        port = self.ports.get(row.platform)
        if port is None:
            raise DeliveryError(f"The {row.platform} platform is not configured in this process.")
        target: dict[str, Any] = dict(row.target)
        if "direct" in target:
            to = await port.open_direct(Actor(**target["direct"]))
        else:
            to = ConversationRef.from_json(target)
        message = load_message(row.payload)
        root = await self._thread(row.ticket_id, to) if row.ticket_id is not None else None
        if root is None:
            return await port.send(to, message), True
        edited = False
        live = row.payload.get("live")
        if live:
            try:
                await port.update(root, load_message(live))
                edited = True
            except DeliveryError as exc:
                if not exc.permanent:
                    raise
                log.info("the first card of ticket %s could not be edited: %s", row.ticket_id, exc)
        if root.conversation.thread_id:
            # Where the first card shows the current state, the thread gets the words; where it cannot be edited
            # (Webex), the thread gets the refreshed card.
            return await port.send(root.conversation, OutboundMessage(text=message.text) if edited else message), False
        return await port.send(to, message), False

    async def _thread(self, ticket_id: int, to: ConversationRef) -> MessageRef | None:
        async with self.db.sessions() as session:
            stored = await session.scalar(
                select(TicketThread.message).where(
                    TicketThread.ticket_id == ticket_id,
                    TicketThread.platform == to.platform,
                    TicketThread.conversation_id == to.conversation_id,
                )
            )
        return MessageRef.from_json(stored) if stored else None

    @staticmethod
    async def _remember_thread(session: AsyncSession, ticket_id: int, sent: MessageRef) -> None:
        conversation = sent.conversation
        known = await session.scalar(
            select(TicketThread.id).where(
                TicketThread.ticket_id == ticket_id,
                TicketThread.platform == conversation.platform,
                TicketThread.conversation_id == conversation.conversation_id,
            )
        )
        if known is None:
            session.add(
                TicketThread(
                    ticket_id=ticket_id,
                    platform=conversation.platform,
                    conversation_id=conversation.conversation_id,
                    thread_id=conversation.thread_id,
                    message=sent.to_json(),
                )
            )

    async def _put_back(self, row: Delivery, seconds: float) -> None:
        """A row not sent because its turn at the platform's pace comes after its lease: pending again, due then,
        no attempt counted."""
        async with self.db.transaction() as session:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == row.id)
                .values(state="pending", lease_until=None, next_attempt_at=utcnow() + timedelta(seconds=seconds))
            )

    async def _failed(self, row: Delivery, exc: DeliveryError) -> None:
        attempts = row.attempts + 1
        reason = f"{exc} (HTTP {exc.status})" if exc.status else str(exc)
        values: dict[str, Any] = {"attempts": attempts, "last_error": reason[:500], "lease_until": None}
        paced = exc.retry_after if exc.status == 429 else None
        if exc.permanent or (attempts >= MAX_ATTEMPTS and paced is None):
            values["state"] = "dead"
            log.warning("delivery %s is dead after %d attempt(s): %s", row.id, attempts, reason[:200])
        else:
            if paced is not None:
                delay = paced
            else:
                delay = max(exc.retry_after or 0.0, backoff(attempts, self.settings.outbox_backoff_seconds))
            values["state"] = "pending"
            values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
            log.info("delivery %s failed (%s); retry in %.1f s", row.id, reason[:200], delay)
        async with self.db.transaction() as session:
            await session.execute(update(Delivery).where(Delivery.id == row.id).values(**values))

    async def prune(self) -> tuple[int, int]:
        """Delete sent rows and seen events older than the retention period; the numbers deleted."""
        cutoff = utcnow() - timedelta(days=self.settings.outbox_retention_days)
        async with self.db.transaction() as session:
            sent = await session.execute(delete(Delivery).where(Delivery.state == "sent", Delivery.sent_at < cutoff))
            seen = await session.execute(delete(SeenEvent).where(SeenEvent.seen_at < cutoff))
        return sent.rowcount or 0, seen.rowcount or 0  # type: ignore[attr-defined]
