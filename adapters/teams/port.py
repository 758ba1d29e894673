"""The Teams `ChatPort`: send a card into a conversation, edit a sent card, open a 1:1 chat — proactively, from
stored conversation references, so it works after a restart and outside any turn.

Each operation is a botbuilder proactive turn (`continue_conversation`, `create_conversation`) over the pooled
connector clients. A refusal of the Bot Connector raises `DeliveryError` with the HTTP status and, for a
429, the seconds Teams asked to wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import replace

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationParameters, ConversationReference
from msrest.exceptions import HttpOperationError

from adapters.teams import outgoing
from adapters.teams.connector import CONNECTOR_FAILURES, refusal
from adapters.teams.translate import PLATFORM, conversation_reference, message_activity
from bot.seam import Actor, ConversationDirectory, ConversationRef, DeliveryError, MessageRef, OutboundMessage
from bot.web import is_permanent, retry_after_seconds


def delivery_error(exc: BaseException) -> DeliveryError:
    """The `DeliveryError` for a Bot Connector failure (one of `CONNECTOR_FAILURES`)."""
    if isinstance(exc, HttpOperationError):
        status, retry_after = refusal(exc)
        return DeliveryError(
            f"The Bot Connector answered HTTP {status}.",
            status=status,
            retry_after=retry_after_seconds(retry_after),
            permanent=is_permanent(status),
        )
    if isinstance(exc, TimeoutError):
        return DeliveryError("The Bot Connector did not answer in time.")
    return DeliveryError(f"The Bot Connector could not be reached ({type(exc).__name__}).")


async def _delivered(work: Awaitable[object]) -> None:
    try:
        await work
    except CONNECTOR_FAILURES as exc:
        raise delivery_error(exc) from exc


def _reference(ref: ConversationRef) -> ConversationReference:
    try:
        return conversation_reference(ref)
    except ValueError as exc:
        raise DeliveryError(str(exc), permanent=True) from exc


class TeamsPort:
    """`bot.seam.ChatPort` for Microsoft Teams."""

    platform = PLATFORM

    def __init__(
        self, adapter: CloudAdapter, directory: ConversationDirectory, *, app_id: str, tenant_id: str = ""
    ) -> None:
        self.adapter = adapter
        self.directory = directory
        self.app_id = app_id
        self.tenant_id = tenant_id

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef:
        """Post the message; in a channel into the reference's reply chain, or as a new thread without one."""
        sent: list[str] = []

        async def post(context: TurnContext) -> None:
            context.activity.id = None  # a proactive message replies to nothing
            # A card shared in a group chat or channel refreshes to each viewer's own actions.
            response = await outgoing.send(context, message_activity(msg, refresh=to.scope != "personal"))
            sent.append(response.id if response is not None and response.id else "")

        await _delivered(self.adapter.continue_conversation(_reference(to), post, self.app_id))
        message_id = sent[0]
        thread = to.thread_id or (message_id if to.scope == "channel" and message_id else None)
        return MessageRef(replace(to, thread_id=thread), message_id)

    async def update(self, ref: MessageRef, msg: OutboundMessage) -> MessageRef:
        """Replace a message the bot sent (a card) with this one."""

        async def edit(context: TurnContext) -> None:
            context.activity.id = None
            activity = message_activity(msg)
            activity.id = ref.message_id
            await outgoing.update(context, activity)

        reference = _reference(ref.conversation)
        await _delivered(self.adapter.continue_conversation(reference, edit, self.app_id))
        return ref

    def account(self, to: ConversationRef) -> str:
        return str(to.data.get("tenant_id") or "")  # Teams: 50 a second per app and tenant

    async def open_direct(self, actor: Actor) -> ConversationRef:
        """The 1:1 chat with a Teams user: a stored one, or a new one created in a tenant where the bot is
        installed (the configured tenant's first, else the first known)."""
        if actor.platform != PLATFORM:
            raise DeliveryError(f"A Teams direct chat needs a Teams user, not a {actor.platform} one.", permanent=True)
        known = await self.directory.installed(PLATFORM)
        for ref in known:
            if ref.scope == "personal" and ref.data.get("user_id") == actor.user_id:
                return ref
        home = self._home(known)
        if home is None:
            raise DeliveryError(
                "The bot is not installed in any Teams tenant yet, so it cannot open a chat there.", permanent=True
            )
        data = home.data
        tenant = data.get("tenant_id")
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=data.get("bot_id"), name=data.get("bot_name")),
            members=[ChannelAccount(id=actor.user_id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )
        opened: list[str] = []

        async def created(context: TurnContext) -> None:
            opened.append(context.activity.conversation.id)

        channel = data.get("channel", "msteams")
        opening = self.adapter.create_conversation(self.app_id, created, parameters, channel, data["service_url"])
        await _delivered(opening)
        keep = ("service_url", "channel", "tenant_id", "bot_id", "bot_name")
        ref = ConversationRef(
            PLATFORM, opened[0], None, "personal", {**{k: data[k] for k in keep if k in data}, "user_id": actor.user_id}
        )
        await self.directory.remember(ref, name=actor.name)
        return ref

    def _home(self, known: Sequence[ConversationRef]) -> ConversationRef | None:
        usable = [ref for ref in known if ref.data.get("service_url") and ref.data.get("bot_id")]
        preferred = [ref for ref in usable if self.tenant_id and ref.data.get("tenant_id") == self.tenant_id]
        return next(iter(preferred or usable), None)
