"""The outbox worker: sends the delivery rows through the platform ports, once each, in order per recipient.

Claiming: each platform with rows waiting is drained by its own task; one statement marks up to `BATCH` of its
due rows `sending` with a lease (`lease_until`), and they go out at the pace of each row's platform account
(a Teams tenant, a Slack workspace: `ChatPort.account`; `bot.notify.pacing`), so a long queue for one
platform (a fan-out to a thousand Teams chats, sent at the pace Teams accepts) does not hold back the others,
and one tenant's queue does not hold back another's. On PostgreSQL the rows are picked with
`SELECT … FOR UPDATE SKIP LOCKED`, so several `serve` processes share one outbox and never claim the same row;
on SQLite (where SQLAlchemy drops SKIP LOCKED) the single `UPDATE … RETURNING` is atomic because SQLite has
one writer. A row whose lease ran out (its worker crashed) is due again. A row is due only when no earlier
row of its lane (recipient) is still pending or sending: per recipient, order is kept.

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

Shutdown (`finish`, when `serve` gets SIGTERM): the worker claims nothing more, lets the sends in flight end
within the shutdown bound (each is recorded as usual), then cuts off any still running and puts every row it
still holds back to `pending`, due at once: another process sends them now, not after the lease (60 s) runs
out. A row's outcome, once the platform has answered, is written even if the bound is reached meanwhile, so a
sent row is never released (that would send it twice). A send cut off by the bound is the one case that may
repeat: the platform may have taken the message before the connection closed.

Each attempt writes one log line (`delivery sent|retry|dead`) with the platform, the conversation, the ticket
number, the dedup key as the event key and the id of the request that planned it, and reports to `observe`
(the metrics: attempts by platform and outcome, and the time from the row's creation to its sending).

The worker also prunes sent rows and seen inbound events older than the retention setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.facts import SEND_LIMITS
from bot.log_fields import REQUEST_ID, described
from bot.notify.pacing import Held, Pacer
from bot.notify.replies import LOG, load_message
from bot.seam import Actor, ChatPort, ConversationRef, DeliveryError, MessageRef, OutboundMessage
from bot.settings import Settings
from storage.db import Database
from storage.models import Delivery, SeenEvent, TicketThread, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 50
MAX_BACKOFF = 3600.0
PRUNE_EVERY = 600.0  # seconds between two prunes
UNFINISHED = ("pending", "sending")  # the states of a row not yet sent or given up on
# Built once: the worker asks on every poll, and building it each time also left its expression objects in cycles.
_WAITING = select(Delivery.platform).where(Delivery.state.in_(UNFINISHED)).distinct()

# `observe(platform, outcome, age)`: one attempt's outcome, and the seconds since its row was created.
Observer = Callable[[str, str, float], None]


def backoff(attempts: int, base: float) -> float:
    """Seconds to wait after the `attempts`-th failed try: exponential, capped, with ±25 % jitter."""
    return min(MAX_BACKOFF, base * 2 ** (attempts - 1)) * random.uniform(0.75, 1.25)


class OutboxWorker:
    """Claims due deliveries and sends them through `ports` (the dict the app fills as adapters install)."""

    def __init__(
        self, db: Database, ports: Mapping[str, ChatPort], settings: Settings, observe: Observer | None = None
    ) -> None:
        self.db = db
        self.ports = ports
        self.settings = settings
        self.observe = observe
        self._last_prune = 0.0
        self._stopping = asyncio.Event()
        # The rows this worker claimed and has no outcome for yet, with the lease it set (to release only its own).
        self._claims: dict[int, datetime] = {}
        self._recording: set[asyncio.Task[None]] = set()
        self._pacers: dict[str, dict[str, Pacer]] = {}  # by platform, then account (`ChatPort.account`)

    async def run(self) -> None:
        """Send until `stop()` (or cancelled): each platform with rows waiting is drained by its own task, at its
        own pace (a fan-out to a thousand Teams chats at Teams' 50 a second does not hold back the Webex rows at
        Webex's); every `outbox_poll_seconds` the platforms with rows waiting are looked up again. After `stop()`
        it returns once the batches in flight are done."""
        loop = asyncio.get_running_loop()
        drains: dict[str, asyncio.Task[None]] = {}
        try:
            while not self._stopping.is_set():
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
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.settings.outbox_poll_seconds)
            await asyncio.gather(*drains.values())
        finally:
            for task in drains.values():
                task.cancel()
            await asyncio.gather(*drains.values(), return_exceptions=True)

    def stop(self) -> None:
        """Claim nothing more: `run` returns once the batch in flight is done."""
        self._stopping.set()

    async def finish(self, running: asyncio.Task[None], bound: float) -> int:
        """Stop; give the batch in flight up to `bound` seconds, then cut it off; wait for the outcomes being
        written; put the rows still claimed back to pending. The number of rows released."""
        self.stop()
        await asyncio.wait({running}, timeout=bound)
        if not running.done():
            running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        if self._recording:
            await asyncio.gather(*self._recording, return_exceptions=True)
        released = await self.release()
        if released:
            log.info("released %d claimed deliveries for another process to send", released)
        return released

    async def release(self) -> int:
        """Put the rows this worker claimed and has no outcome for back to pending, due now; the number put back.
        A row whose lease ran out and that another worker claimed since (a new lease) is left alone."""
        claims, self._claims = self._claims, {}
        released = 0
        async with self.db.transaction() as session:
            for row_id, lease in claims.items():
                result = await session.execute(
                    update(Delivery)
                    .where(Delivery.id == row_id, Delivery.state == "sending", Delivery.lease_until == lease)
                    .values(state="pending", lease_until=None, next_attempt_at=utcnow())
                )
                released += result.rowcount or 0  # type: ignore[attr-defined]
        return released

    async def drain_once(self) -> int:
        """Claim a batch for each platform with rows waiting and send them together; the number of rows claimed."""
        batches = await asyncio.gather(*(self._drain_batch(platform) for platform in sorted(await self._waiting())))
        return sum(batches)

    async def _waiting(self) -> list[str]:
        async with self.db.sessions() as session:
            return list((await session.scalars(_WAITING)).all())

    async def _drain(self, platform: str) -> None:
        """Send the platform's batches one after another until none is due (or `stop()`), waiting for rows due
        very soon (a refused row's Retry-After) rather than for the next poll."""
        try:
            while not self._stopping.is_set():
                if await self._drain_batch(platform):
                    continue
                async with self.db.sessions() as session:
                    due = await session.scalar(
                        select(func.min(Delivery.next_attempt_at)).where(Delivery.platform == platform, Delivery.state == "pending")
                    )
                wait = (due - utcnow()).total_seconds() if due is not None else None
                if wait is None or wait > self.settings.outbox_poll_seconds:
                    for pacer in self._pacers.get(platform, {}).values():
                        pacer.forget()
                    return
                await asyncio.sleep(max(0.0, wait))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the outbox worker failed sending to %s; trying again", platform)

    async def _drain_batch(self, platform: str) -> int:
        rows = await self.claim(platform=platform)
        for pacer in self._pacers.get(platform, {}).values():
            pacer.release()
        if rows:
            await asyncio.gather(*(self.deliver(row) for row in rows))
        return len(rows)

    def _pacer(self, platform: str, account: str) -> Pacer:
        """The pace of one account of a platform: each Teams tenant and Slack workspace has its own limit, so an
        MSP's fan-out to twenty tenants goes twenty times as fast as to one."""
        accounts = self._pacers.setdefault(platform, {})
        if account not in accounts:
            published = SEND_LIMITS.get(platform)
            burst_seconds = published.burst / published.rate if published is not None else 1.0
            accounts[account] = Pacer(self.settings.outbox_send_rates.get(platform), burst_seconds)
        return accounts[account]

    async def claim(self, limit: int = BATCH, *, platform: str | None = None) -> list[Delivery]:
        """Mark up to `limit` due rows (of `platform`, when given) as `sending` under a lease, and return them."""
        now = utcnow()
        candidate = aliased(Delivery, name="candidate")
        earlier = aliased(Delivery, name="earlier")
        blocked = exists().where(
            earlier.lane == candidate.lane, earlier.id < candidate.id, earlier.state.in_(UNFINISHED)
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
            # Held from here on: should the commit fail, `release` finds no row under this lease and changes none.
            self._claims.update((row_id, lease) for row_id in claimed)
            rows = (await session.scalars(select(Delivery).where(Delivery.id.in_(claimed)).order_by(Delivery.id))).all()
        return list(rows)

    async def deliver(self, row: Delivery) -> None:
        """Send one claimed row and record the outcome (the recording runs on even if the send is cut off)."""
        pacer: Pacer | None = None  # known with the row's conversation; a refused direct-chat opening holds none
        lease_left = (row.lease_until - utcnow()).total_seconds() if row.lease_until is not None else 0.0
        token = REQUEST_ID.set(str(row.payload.get(LOG, {}).get("request_id") or uuid.uuid4().hex))
        try:
            try:
                port, to = await self._destination(row)
                pacer = self._pacer(row.platform, port.account(to))
                async with pacer.sending(within=lease_left / 2):
                    sent, first = await self._send(port, row, to)
            except Held as held:
                outcome = self._put_back(row, held.seconds)
            except DeliveryError as exc:
                if pacer is not None and exc.status == 429 and exc.retry_after is not None:
                    pacer.refused(exc.retry_after)
                outcome = self._failed(row, exc)
            except Exception as exc:  # an adapter bug must not stop the worker; the row is retried
                log.exception("sending delivery %s failed", row.id)
                outcome = self._failed(row, DeliveryError(f"{type(exc).__name__} while sending"))
            else:
                pacer.accepted()
                outcome = self._sent(row, sent, first)
            self._claims.pop(row.id, None)
            recording = asyncio.ensure_future(outcome)
            self._recording.add(recording)
            recording.add_done_callback(self._recording.discard)
            await asyncio.shield(recording)
        finally:
            REQUEST_ID.reset(token)

    async def _sent(self, row: Delivery, sent: MessageRef, first: bool) -> None:
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
        self._report(row, "sent", row.attempts + 1)

    def _report(self, row: Delivery, outcome: str, attempts: int, reason: str | None = None) -> None:
        """The attempt's log line and metrics."""
        age = max(0.0, (utcnow() - row.created_at).total_seconds()) if row.created_at else 0.0
        target = row.target or {}
        conversation = target.get("conversation_id") or target.get("direct", {}).get("user_id") or ""
        fields = {
            "platform": row.platform, "conversation": conversation, "ticket": row.payload.get(LOG, {}).get("ticket"),
            "event_key": row.dedup_key,
        }
        tail = f" after {attempts} attempt(s): {reason}" if reason else ""
        level = logging.WARNING if outcome == "dead" else logging.INFO
        log.log(level, "delivery %s %s%s%s", row.id, outcome, described(fields), tail,
                extra={"delivery": row.id, "outcome": outcome, **fields})
        if self.observe is not None:
            self.observe(row.platform, outcome, age)

    async def _destination(self, row: Delivery) -> tuple[ChatPort, ConversationRef]:
        """The platform's port and the conversation the row goes to (a person's direct chat opened if need be:
        that is a call of its own, made before the row waits for its account's pace)."""
        port = self.ports.get(row.platform)
        if port is None:
            raise DeliveryError(f"The {row.platform} platform is not configured in this process.")
        target: dict[str, Any] = dict(row.target)
        if "direct" in target:
            return port, await port.open_direct(Actor(**target["direct"]))
        return port, ConversationRef.from_json(target)

    async def _send(self, port: ChatPort, row: Delivery, to: ConversationRef) -> tuple[MessageRef, bool]:
        """Send the row's message; the sent message, and whether it is the first about its ticket there."""
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
            outcome, said = "dead", reason[:200]
        else:
            if paced is not None:
                delay = paced
            else:
                delay = max(exc.retry_after or 0.0, backoff(attempts, self.settings.outbox_backoff_seconds))
            values["state"] = "pending"
            values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
            outcome, said = "retry", f"{reason[:200]}; retry in {delay:.1f} s"
        async with self.db.transaction() as session:
            await session.execute(update(Delivery).where(Delivery.id == row.id).values(**values))
        self._report(row, outcome, attempts, said)

    async def prune(self) -> tuple[int, int]:
        """Delete sent rows and seen events older than the retention period; the numbers deleted."""
        cutoff = utcnow() - timedelta(days=self.settings.outbox_retention_days)
        async with self.db.transaction() as session:
            sent = await session.execute(delete(Delivery).where(Delivery.state == "sent", Delivery.sent_at < cutoff))
            seen = await session.execute(delete(SeenEvent).where(SeenEvent.seen_at < cutoff))
        return sent.rowcount or 0, seen.rowcount or 0  # type: ignore[attr-defined]
