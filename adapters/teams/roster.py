"""Who a Teams user is beyond what an activity says: AAD object id and email, from the conversation roster.

A message names its sender by Teams id and AAD object id, and the people it mentions by Teams id only; neither
carries an email. The Bot Connector's `GET /v3/conversations/{id}/members/{userId}` does. The answers are kept
per process (people rarely change), so each person costs one lookup; a failed lookup leaves the event as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from msrest.exceptions import HttpOperationError

from adapters.teams.connector import refusal
from adapters.teams.translate import PLATFORM, REFRESH_USERS, roster_of, tenant_of
from bot.seam import Actor, InboundEvent

log = logging.getLogger(__name__)

MAX_KNOWN = 10_000


@dataclass(frozen=True)
class Member:
    """What the roster says about one person."""

    aad_object_id: str | None
    email: str | None


class Roster:
    """Member lookups through the turn's connector client, remembered per (tenant, Teams user id)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str | None, str], Member | None] = {}

    async def enrich(self, context: TurnContext, activity: Mapping[str, Any], event: InboundEvent) -> InboundEvent:
        """The event with the sender's email and the mentioned people's AAD object ids filled in."""
        sender = await self.lookup(context, activity, str(activity["from"]["id"]))
        actor = event.actor
        if sender is not None and sender.email and not actor.email:
            actor = replace(actor, email=sender.email)
        mentions: list[Actor] = []
        for mentioned in event.mentions:
            member = await self.lookup(context, activity, mentioned.user_id)
            if member is not None and member.aad_object_id:
                mentioned = Actor(PLATFORM, member.aad_object_id, mentioned.name, member.email)
            mentions.append(mentioned)
        return replace(event, actor=actor, mentions=tuple(mentions))

    async def user_ids(self, context: TurnContext, activity: Mapping[str, Any]) -> list[str]:
        """The Teams ids of the people in this activity's team or chat (at most `REFRESH_USERS`), for a shared
        card's automatic refresh; empty when the roster cannot be read (the card then refreshes on demand)."""
        connector = context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
        try:
            accounts = await connector.conversations.get_conversation_members(roster_of(activity))
        except Exception as exc:  # a roster failure must not cost the presser the answer
            log.warning("Teams roster listing failed: %s", type(exc).__name__)
            return []
        return [account.id for account in accounts if account.id][:REFRESH_USERS]

    async def lookup(self, context: TurnContext, activity: Mapping[str, Any], user_id: str) -> Member | None:
        """The roster entry of `user_id` in this activity's team or chat, or None when there is none."""
        key = (tenant_of(activity), user_id)
        if key in self._known:
            return self._known[key]
        connector = context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
        try:
            account = await connector.conversations.get_conversation_member(roster_of(activity), user_id)
        except HttpOperationError as exc:
            log.info("Teams roster has no member %s (HTTP %s)", user_id, refusal(exc)[0])
            member = None
        except Exception as exc:  # a network failure must not cost the user the answer
            log.warning("Teams roster lookup failed: %s", type(exc).__name__)
            return None
        else:
            extra = account.additional_properties or {}
            email = extra.get("email") or extra.get("userPrincipalName")
            member = Member(account.aad_object_id, email if isinstance(email, str) else None)
        if len(self._known) >= MAX_KNOWN:
            self._known.pop(next(iter(self._known)))
        self._known[key] = member
        return member
