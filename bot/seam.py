"""The seam between the conversation core and the platform adapters.

These types are the only thing the core and an adapter share: an adapter turns a platform payload into an
`InboundEvent`, hands it to the core, and renders the `OutboundMessage`s of the `Reply` with its `ChatPort`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from cards.model import Card

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.web import SharedSession

Scope = Literal["personal", "group", "channel"]
SCOPES: tuple[Scope, ...] = get_args(Scope)


class EventKind(enum.StrEnum):
    """What an inbound event is."""

    MESSAGE = "message"
    CARD_ACTION = "card_action"
    INSTALLED = "installed"
    UNINSTALLED = "uninstalled"


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return data if isinstance(data, MappingProxyType) else MappingProxyType(dict(data))


@dataclass(frozen=True)
class ConversationRef:
    """Where: enough to reply in a conversation, or to send into it proactively later.

    Hashable (by platform, conversation, thread and scope; `data` is adapter-owned detail such as the Teams
    serviceUrl, which may change) and with a stored JSON form, so deliveries and threads can persist it.
    """

    platform: str
    conversation_id: str
    thread_id: str | None = None
    scope: Scope = "personal"
    data: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, not {self.scope!r}")
        object.__setattr__(self, "data", _frozen(self.data))

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "platform": self.platform,
            "conversation_id": self.conversation_id,
            "thread_id": self.thread_id,
            "scope": self.scope,
            "data": dict(self.data),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConversationRef:
        """The reference from its stored form."""
        return cls(
            platform=str(data["platform"]),
            conversation_id=str(data["conversation_id"]),
            thread_id=data.get("thread_id"),
            scope=data.get("scope", "personal"),
            data=data.get("data") or {},
        )

    def in_thread(self, thread_id: str | None) -> ConversationRef:
        """The same conversation, in another thread (None: the conversation itself)."""
        return ConversationRef(self.platform, self.conversation_id, thread_id, self.scope, self.data)


@dataclass(frozen=True)
class Actor:
    """Who: a platform identity. The core maps it to a member."""

    platform: str
    user_id: str
    name: str = ""
    email: str | None = None


@dataclass(frozen=True)
class MessageRef:
    """A message the bot sent, so that it can be edited or replied under later."""

    conversation: ConversationRef
    message_id: str

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"conversation": self.conversation.to_json(), "message_id": self.message_id}

    def dumps(self) -> str:
        """The stored form as one JSON string."""
        return json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MessageRef:
        """The reference from its stored form."""
        return cls(ConversationRef.from_json(data["conversation"]), str(data["message_id"]))


@dataclass(frozen=True)
class Attachment:
    """A file or image on a message, kept on the ticket as a reference (the platform keeps the bytes)."""

    name: str
    content_type: str = ""
    url: str = ""


@dataclass(frozen=True)
class InboundEvent:
    """What happened: a message, a card action, an install or an uninstall."""

    kind: EventKind
    conversation: ConversationRef
    actor: Actor
    idempotency_key: str
    text: str = ""
    mentions: tuple[Actor, ...] = ()
    action: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source_message: MessageRef | None = None
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        if self.kind is EventKind.CARD_ACTION and not self.action:
            raise ValueError("a card action event names its action")
        object.__setattr__(self, "values", _frozen(self.values))


@dataclass(frozen=True)
class OutboundMessage:
    """What the bot says: a plain text that is always present, and optionally a platform-neutral card."""

    text: str
    card: Card | None = None


@dataclass(frozen=True)
class Reply:
    """The core's answer to one event.

    `messages` are sent into the event's conversation in order. For a card action, `refreshed` is the new
    state of the pressed card (Teams answers the invoke with it, Slack updates the message, Webex posts it
    in the thread).
    """

    messages: tuple[OutboundMessage, ...] = ()
    refreshed: OutboundMessage | None = None


class Core(Protocol):
    """The conversation core as the adapters see it."""

    async def handle(self, event: InboundEvent) -> Reply: ...

    async def pending(self, conversation: ConversationRef, actor: Actor) -> OutboundMessage | None:
        """What this person left open in this conversation (a dialog's next question, a draft waiting for a
        confirm), as a reminder an adapter may show when the person comes back; None when nothing is open."""
        ...


class DeliveryError(Exception):
    """Every refusal of every port: the outbox decides retry or dead from these fields.

    `status` is the platform's HTTP status (None when nothing answered: a timeout, a refused connection);
    `retry_after` the seconds the platform asked us to wait; `permanent` says retrying cannot help (the bot
    was removed, the conversation is gone, the message is malformed).
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.permanent = permanent


class ChatPort(Protocol):
    """What the core and the outbox need of a platform: send, edit, open a direct conversation.

    Every refusal raises `DeliveryError`.
    """

    platform: str

    async def send(self, to: ConversationRef, msg: OutboundMessage) -> MessageRef: ...

    async def update(self, ref: MessageRef, msg: OutboundMessage) -> MessageRef: ...

    async def open_direct(self, actor: Actor) -> ConversationRef: ...

    def account(self, to: ConversationRef) -> str:
        """The platform account `to` is in, the scope of the platform's send limit (a Teams tenant, a Slack
        workspace), so the outbox paces each account apart; "" where the limit is the bot's own."""
        ...


class ConversationDirectory(Protocol):
    """The conversations the bot knows, as an adapter may use them: remember, forget, look up."""

    async def remember(self, ref: ConversationRef, *, name: str = "") -> None: ...

    async def forget(self, ref: ConversationRef) -> None: ...

    async def get(self, platform: str, conversation_id: str) -> ConversationRef | None: ...

    async def installed(self, platform: str) -> Sequence[ConversationRef]: ...


class ReplyQueue(Protocol):
    """Replies the platform refused or did not take within the reply budget: the outbox sends them later.

    An adapter that fails to send a reply (a `DeliveryError`, or no answer within `REPLY_BUDGET` seconds) hands
    the messages not yet sent here and answers the inbound request with success: the change is committed, and
    the reply is retried like a notification (backoff, Retry-After, dead after the last attempt). `key` is the
    inbound event's idempotency key, so a redelivered event cannot queue the same reply twice.
    """

    async def defer(
        self, to: ConversationRef, messages: Sequence[OutboundMessage], *, key: str, error: DeliveryError | None = None
    ) -> None: ...


class CursorStore(Protocol):
    """Named positions in a platform's change feed (the mail inbox's Graph delta link), kept in the database so
    that a poller resumes where it stopped after a restart."""

    async def get(self, name: str) -> str | None: ...

    async def put(self, name: str, value: str) -> None: ...


@dataclass(frozen=True)
class SenderRule:
    """Where a mail sender's new tickets go: a board name, and an assignee's email or None."""

    board: str
    assignee: str | None = None


class MailDesk(Protocol):
    """What the mail adapter needs of the desk besides the core: the sender policy set from the CLI, the ticket
    a mail thread opened, and the assignment an assignment rule asks for."""

    async def excluded(self, address: str) -> bool: ...

    async def route(self, address: str) -> SenderRule: ...

    async def ticket_of(self, platform: str, conversation_id: str) -> int | None: ...

    async def assign_by_rule(self, number: int, assignee: str) -> None: ...
Author = Literal["user", "bot"]


@dataclass(frozen=True)
class TranscriptEntry:
    """One message of a stored conversation history: who wrote it, and what it says (a card stays a card)."""

    message_id: str
    author: Author
    message: OutboundMessage


class Transcript(Protocol):
    """The history of conversations whose platform keeps none (the web chat), so a reload shows them again.

    `append` returns the new message's id; `replace` puts a refreshed card in place of the message (False when
    there is no such message); `recent` gives the last `limit` messages, oldest first.
    """

    async def append(self, to: ConversationRef, author: Author, msg: OutboundMessage) -> str: ...

    async def replace(self, ref: MessageRef, msg: OutboundMessage) -> bool: ...

    async def recent(self, conversation: ConversationRef, limit: int) -> Sequence[TranscriptEntry]: ...


TokenCheck = Callable[[str], Awaitable[bool]]
"""Whether a web-chat access token (`ticketbot web token create`) is live; tokens are stored hashed."""


REPLY_BUDGET = 5.0  # seconds; well under Teams' 15 s and Slack's 3 s is met by acking first


@dataclass(frozen=True)
class AdapterContext:
    """Everything an adapter is handed by the composition root, and nothing else.

    `http` holds the one aiohttp client session of the process (connection reuse for every platform API);
    `cursors` and `mail` serve the pollers (the mail adapter), `transcript` stores the history of the web chat
    and `web_tokens` checks its access tokens; each is None where nothing provides it, and an adapter that needs
    one is then off.
    """

    core: Core
    directory: ConversationDirectory
    replies: ReplyQueue
    settings: Settings
    http: SharedSession
    cursors: CursorStore | None = None
    mail: MailDesk | None = None
    transcript: Transcript | None = None
    web_tokens: TokenCheck | None = None


@dataclass(frozen=True)
class Mounted:
    """What an adapter mounted, for the start-up log and `/readyz`.

    `routes` are the HTTP routes it serves ("POST /slack/events"), `ports` the ChatPorts it offers the core and
    the outbox, `ready` an optional check that says whether a long-lived connection (Slack Socket Mode) is up,
    `background` coroutine factories the app runs for its lifetime (a poller, a socket) and cancels on cleanup.
    """

    platform: str
    description: str
    routes: tuple[str, ...] = ()
    ports: tuple[ChatPort, ...] = ()
    ready: Callable[[], bool] | None = None
    background: tuple[Callable[[], Awaitable[None]], ...] = ()


@dataclass(frozen=True)
class Check:
    """One `ticketbot doctor` check (an adapter offers its own through the `ticketbot.checks` entry points).

    `run` returns what it found ("token acquired for app 1234…") and raises on failure; `fix` says what to do
    when it fails. Checks only read: they never change the database or a platform's state.
    """

    name: str
    run: Callable[[], Awaitable[str]]
    fix: str
