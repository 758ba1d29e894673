"""The Slack `ChatPort` and the Web API client it and the listeners share.

`send` is `chat.postMessage` (into the reference's thread when it has one), `update` is `chat.update`,
`open_direct` is `conversations.open`. Each call uses the bot token of the reference's workspace: the one
`SLACK_BOT_TOKEN` in single-workspace mode, the installation's token in OAuth mode. A refusal raises
`DeliveryError`: HTTP 429 with Slack's Retry-After; an `ok: false` answer (channel_not_found, not_in_channel,
invalid_auth, …) is permanent except for Slack's few transient errors; no answer at all is retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import CardMemory, message_arguments
from adapters.slack.translate import PLATFORM, conversation_ref, split_user_key
from bot.seam import Actor, ConversationRef, DeliveryError, MessageRef, OutboundMessage
from bot.web import is_permanent, retry_after_seconds

TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout"})


class Tokens:
    """The bot token for a workspace: the configured one, or the one its installation stored."""

    def __init__(self, bot_token: str, store: AsyncInstallationStore | None = None) -> None:
        self.bot_token = bot_token
        self.store = store

    async def for_team(self, team_id: str | None) -> str:
        if self.store is not None and team_id:
            bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
            if bot is not None and bot.bot_token:
                return bot.bot_token
        if self.bot_token:
            return self.bot_token
        raise DeliveryError(f"The app is not installed in the Slack workspace {team_id}.", permanent=True)


def refusal(exc: Exception) -> DeliveryError:
    """The `DeliveryError` for a failed Web API call."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = str(exc.response.get("error") or "")
        retry_after = retry_after_seconds(exc.response.headers.get("Retry-After")) if exc.response.headers else None
        if status == 429 or error == "ratelimited":
            return DeliveryError("Slack asked us to slow down (HTTP 429).", status=429, retry_after=retry_after)
        if status >= 500 or error in TRANSIENT_ERRORS:
            return DeliveryError(f"Slack answered HTTP {status} ({error or 'no error code'}).", status=status)
        permanent = status == 200 or is_permanent(status)
        return DeliveryError(f"Slack refused the call: {error or f'HTTP {status}'}.", status=status,
                             permanent=permanent)
    return DeliveryError(f"The Slack Web API could not be reached ({type(exc).__name__}).")


async def delivered(call: Awaitable[Any]) -> Any:
    """The answer of a Web API call; every failure raised as `DeliveryError`."""
    try:
        return await call
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        raise refusal(exc) from exc


class SlackPort:
    """`bot.seam.ChatPort` for Slack."""

    platform = PLATFORM

    def __init__(self, client: Callable[[str], AsyncWebClient], tokens: Tokens, cards: CardMemory) -> None:
        self._client = client
        self.tokens = tokens
        self.cards = cards

    async def client_for(self, team_id: str | None) -> AsyncWebClient:
        """A Web API client holding the workspace's bot token, over the shared HTTP session."""
        return self._client(await self.tokens.for_team(team_id))

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        client = await self.client_for(to.data.get("team_id"))
        arguments = message_arguments(msg)
        if to.thread_id:
            arguments["thread_ts"] = to.thread_id
        answer = await delivered(client.chat_postMessage(channel=to.conversation_id, **arguments))
        ts = str(answer.get("ts") or "")
        self.cards.keep(to.conversation_id, ts, msg.card)
        thread = to.thread_id or (ts if to.scope != "personal" and ts else None)
        return MessageRef(replace(to, thread_id=thread), ts)

    async def update(self, ref: MessageRef, msg: OutboundMessage) -> MessageRef:
        to = ref.conversation
        client = await self.client_for(to.data.get("team_id"))
        arguments = message_arguments(msg)
        await delivered(client.chat_update(channel=to.conversation_id, ts=ref.message_id, **arguments))
        self.cards.keep(to.conversation_id, ref.message_id, msg.card)
        return ref

    def account(self, to: ConversationRef) -> str:
        return str(to.data.get("team_id") or "")  # the Web API counts per workspace

    async def open_direct(self, actor: Actor) -> ConversationRef:
        if actor.platform != PLATFORM:
            raise DeliveryError(f"A Slack DM needs a Slack user, not a {actor.platform} one.", permanent=True)
        team_id, user_id = split_user_key(actor.user_id)
        client = await self.client_for(team_id)
        answer = await delivered(client.conversations_open(users=user_id))
        channel = str((answer.get("channel") or {}).get("id") or "")
        if not channel:
            raise DeliveryError("Slack opened no DM channel.", permanent=True)
        return conversation_ref(team_id, channel, channel_type="im")
