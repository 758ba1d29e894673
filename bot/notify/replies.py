"""Replies a platform refused, kept in the outbox (`deliveries`) so the worker sends them like notifications.

A deferred reply is one delivery row per message, keyed `reply:<platform>:<event key>:<index>`: a redelivered
inbound event whose reply is already queued adds nothing (the dedup key is UNIQUE).

Every delivery's payload keeps, under `LOG`, the id of the request that planned it (and its ticket number),
so the worker's line about sending it can name them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.log_fields import origin
from bot.seam import ConversationRef, DeliveryError, OutboundMessage
from cards.stored import dump_card, load_card
from storage.db import Database
from storage.models import Delivery, utcnow

log = logging.getLogger(__name__)

LOG = "log"  # the payload key of what the delivery's log line names (request id, ticket number)


def dump_message(message: OutboundMessage) -> dict[str, Any]:
    """An outbound message as the outbox stores it."""
    return {"text": message.text, "card": dump_card(message.card) if message.card is not None else None}


def load_message(payload: dict[str, Any]) -> OutboundMessage:
    """The outbound message from its stored form."""
    card = payload.get("card")
    return OutboundMessage(text=str(payload.get("text") or ""), card=load_card(card) if card else None)


class OutboxReplies:
    """`bot.seam.ReplyQueue` over the outbox table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def defer(
        self, to: ConversationRef, messages: Sequence[OutboundMessage], *, key: str, error: DeliveryError | None = None
    ) -> None:
        """Queue the messages for `to`; the ones already queued under this key are left as they are."""
        reason = str(error) if error is not None else "the platform did not answer in time"
        # The refused try counts as the first attempt; the retry waits at least what the platform asked for.
        retry_at = utcnow() + timedelta(seconds=(error.retry_after or 0.0) if error is not None else 0.0)
        keys = [f"reply:{to.platform}:{key}:{index}"[:300] for index in range(len(messages))]
        async with self.db.transaction() as session:
            queued = set((await session.scalars(select(Delivery.dedup_key).where(Delivery.dedup_key.in_(keys)))).all())
            for dedup_key, message in zip(keys, messages, strict=True):
                if dedup_key in queued:
                    continue
                session.add(
                    Delivery(
                        platform=to.platform,
                        target=to.to_json(),
                        payload={**dump_message(message), LOG: origin()},
                        dedup_key=dedup_key,
                        lane=f"{to.platform}:{to.conversation_id}"[:300],
                        last_error=reason[:500],
                        attempts=1,
                        next_attempt_at=retry_at,
                    )
                )
        log.info("deferred %d reply message(s) on %s: %s", len(messages), to.platform, reason[:200])
