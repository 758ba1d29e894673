"""One harness per platform for the `ChatPort` contract suite: its fake platform server(s), the settings that
point the real app at them, and what the contract cases need in neutral terms.

A harness offers the served app's port, a conversation to send to (one where threads exist), an actor to open a
direct conversation with, a way to make the fake answer the next call with 429 + Retry-After, a port and
reference that reach nothing (a closed local port), and `seen()`: the messages the fake platform accepted,
translated to `Seen` so the cases assert on the platform request whatever the platform. A new adapter joins the
suite by adding its harness to `HARNESSES` (the completeness case fails until it does).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from bot.app import create_app
from bot.seam import Actor, ChatPort, ConversationRef
from bot.services import Services
from tests.fakes.bot_connector import BotConnectorStub
from tests.fakes.graph import GraphStub, mail
from tests.fakes.login import CLIENT_ID, CLIENT_SECRET, TENANT, LoginStub
from tests.fakes.slack_api import SlackApiStub, bot_token
from tests.fakes.tls import LocalCertificate
from tests.fakes.webex_api import BOT_ID, WebexApiStub
from tests.helpers import make_settings
from tests.http import served


@dataclass(frozen=True)
class Seen:
    """One message the fake platform accepted: a new post, or an edit of `message_id` in place.

    `thread` is the thread the message is in at the platform: the root's id (a top-level post roots its own
    thread), or for mail the mail conversation; None where the platform has no thread (a new mail to a person).
    """

    edit: bool
    conversation: str
    thread: str | None
    message_id: str
    text: str


async def serve_app(stack: AsyncExitStack, db_url: str, settings: dict[str, Any]) -> Services:
    """The whole app over `db_url` with these settings, served on a free local port until `stack` closes."""
    services = Services(make_settings(db_url, **settings))
    await stack.enter_async_context(served(create_app(services)))
    return services


class Harness(ABC):
    """A platform's fakes and the app served against them. Build with `started`, then `serve`."""

    platform: ClassVar[str]
    edits_in_place: ClassVar[bool]  # False: the platform cannot edit, `update` posts into the thread
    actor: ClassVar[Actor]

    def __init__(self) -> None:
        self.services: Services | None = None

    @classmethod
    @abstractmethod
    async def started(cls, stack: AsyncExitStack, tls: LocalCertificate) -> Self:
        """The harness with its fake servers running until `stack` closes."""

    @abstractmethod
    def settings(self, unreachable: str | None = None) -> dict[str, Any]:
        """The settings that turn the platform on against the fakes (against `unreachable`, a base URL that
        answers nothing, where the platform's API is a setting)."""

    @property
    @abstractmethod
    def conversation(self) -> ConversationRef:
        """A conversation to send to, in which the platform keeps threads."""

    @abstractmethod
    def throttle_next(self, retry_after: str) -> None:
        """The fake answers the next call with 429 and this Retry-After."""

    @abstractmethod
    def refusals_left(self) -> int:
        """Refusals queued at the fake that no call has met yet."""

    @abstractmethod
    def seen(self) -> list[Seen]:
        """The messages the fake accepted, in order."""

    async def serve(self, stack: AsyncExitStack, db_url: str) -> None:
        """Serve the real app pointed at the fakes."""
        self.services = await serve_app(stack, db_url, self.settings())

    @property
    def port(self) -> ChatPort:
        assert self.services is not None, "serve the harness first"
        return self.services.ports[self.platform]

    async def unreachable(self, stack: AsyncExitStack, db_url: str, closed: str) -> tuple[ChatPort, ConversationRef]:
        """A port and a conversation whose platform API is at `closed` (a local port nobody listens on)."""
        services = await serve_app(stack, db_url, self.settings(unreachable=closed))
        return services.ports[self.platform], self.conversation


class TeamsHarness(Harness):
    """Teams: the Bot Connector stub at the conversation's `serviceUrl`; the app in local mode."""

    platform = "teams"
    edits_in_place = True
    actor = Actor("teams", "aad-megan", "Megan Bowen")

    def __init__(self, connector: BotConnectorStub) -> None:
        super().__init__()
        self.connector = connector

    @classmethod
    async def started(cls, stack: AsyncExitStack, tls: LocalCertificate) -> Self:
        return cls(await stack.enter_async_context(BotConnectorStub()))

    def settings(self, unreachable: str | None = None) -> dict[str, Any]:
        return {}

    def _channel(self, service_url: str) -> ConversationRef:
        data = {"service_url": service_url, "channel": "msteams", "tenant_id": "tenant-contract",
                "bot_id": "28:contract-bot", "bot_name": "Ticketbot"}
        return ConversationRef("teams", "19:contract@thread.tacv2", None, "channel", data)

    @property
    def conversation(self) -> ConversationRef:
        return self._channel(self.connector.service_url)

    async def serve(self, stack: AsyncExitStack, db_url: str) -> None:
        """Serve the app with the bot installed in the channel's team, so it can open a 1:1 chat in that tenant."""
        await super().serve(stack, db_url)
        assert self.services is not None
        await self.services.conversations.remember(self.conversation)

    def throttle_next(self, retry_after: str) -> None:
        self.connector.refuse_next(429, retry_after=retry_after)

    def refusals_left(self) -> int:
        return len(self.connector.refusals)

    def seen(self) -> list[Seen]:
        seen = []
        for request in self.connector.activities():
            if request.status >= 300:
                continue
            conversation, _, thread = str(request.conversation_id).partition(";messageid=")
            edit = request.method == "PUT"
            message_id = str(request.activity_id if edit else request.answer["id"])
            seen.append(Seen(edit, conversation, thread or message_id, message_id, request.json.get("text", "")))
        return seen

    async def unreachable(self, stack: AsyncExitStack, db_url: str, closed: str) -> tuple[ChatPort, ConversationRef]:
        """Teams finds its connector through the conversation's stored `serviceUrl`, not a setting."""
        return self.port, self._channel(closed + "/")


class SlackHarness(Harness):
    """Slack: the Web API stub at `SLACK_API_URL`, one workspace."""

    platform = "slack"
    edits_in_place = True
    actor = Actor("slack", "T111:W222", "Megan Bowen")

    def __init__(self, slack: SlackApiStub) -> None:
        super().__init__()
        self.slack = slack

    @classmethod
    async def started(cls, stack: AsyncExitStack, tls: LocalCertificate) -> Self:
        return cls(await stack.enter_async_context(SlackApiStub()))

    def settings(self, unreachable: str | None = None) -> dict[str, Any]:
        api_url = unreachable + "/api/" if unreachable else self.slack.api_url
        return {"slack_bot_token": bot_token("T111"), "slack_signing_secret": "contract-signing",
                "slack_api_url": api_url}

    @property
    def conversation(self) -> ConversationRef:
        return ConversationRef("slack", "C111", None, "channel", {"team_id": "T111"})

    def throttle_next(self, retry_after: str) -> None:
        self.slack.refuse_next(429, retry_after=retry_after)

    def refusals_left(self) -> int:
        return len(self.slack.refusals)

    def seen(self) -> list[Seen]:
        seen = []
        for call in self.slack.calls:
            if call.method not in ("chat.postMessage", "chat.update") or not call.answer.get("ok"):
                continue
            ts = str(call.answer["ts"])
            thread = str(call.args.get("thread_ts") or ts)
            seen.append(Seen(call.method == "chat.update", str(call.args["channel"]), thread, ts,
                             str(call.args.get("text", ""))))
        return seen


class WebexHarness(Harness):
    """Webex: the REST API stub at `WEBEX_API_URL`; a group space."""

    platform = "webex"
    edits_in_place = False
    actor = Actor("webex", "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9tZWdhbg", "Megan Bowen")

    def __init__(self, webex: WebexApiStub) -> None:
        super().__init__()
        self.webex = webex

    @classmethod
    async def started(cls, stack: AsyncExitStack, tls: LocalCertificate) -> Self:
        return cls(await stack.enter_async_context(WebexApiStub()))

    def settings(self, unreachable: str | None = None) -> dict[str, Any]:
        api_url = unreachable + "/v1/" if unreachable else self.webex.api_url
        return {"webex_access_token": "contract-token", "webex_webhook_secret": "contract-secret",
                "webex_api_url": api_url}

    @property
    def conversation(self) -> ConversationRef:
        return ConversationRef("webex", "Y2lzY29zcGFyazovL3VzL1JPT00vY29udHJhY3Q", None, "group")

    def throttle_next(self, retry_after: str) -> None:
        self.webex.refuse_next(429, retry_after)

    def refusals_left(self) -> int:
        return len(self.webex.refusals)

    def seen(self) -> list[Seen]:
        created = [m for m in self.webex.messages.values() if m["personId"] == BOT_ID]
        seen = []
        for body, message in zip(self.webex.posted(), created, strict=True):
            conversation = body.get("roomId") or body.get("toPersonId") or body.get("toPersonEmail")
            seen.append(Seen(False, str(conversation), str(body.get("parentId") or message["id"]), message["id"],
                             str(body.get("text") or body.get("markdown") or "")))
        return seen


class MailHarness(Harness):
    """Mail: the Graph stub at `GRAPH_API_URL`, msal's authority the HTTPS login stub; the conversation is the
    mail thread of a mail the bot already processed (moved out of the inbox, so the poller leaves it alone)."""

    platform = "mail"
    edits_in_place = False
    actor = Actor("mail", "megan@example.com", "Megan Bowen")
    mailbox = "helpdesk@desk.example"

    def __init__(self, login: LoginStub, graph: GraphStub) -> None:
        super().__init__()
        self.login = login
        self.graph = graph
        self.answered = graph.deliver(mail("Printer jammed", "It is jammed.", sender="ann@example.com"))
        graph.folders[self.answered] = "archive"

    @classmethod
    async def started(cls, stack: AsyncExitStack, tls: LocalCertificate) -> Self:
        login = await stack.enter_async_context(LoginStub(tls.server_context()))
        graph = await stack.enter_async_context(GraphStub(cls.mailbox, lambda: login.issued))
        return cls(login, graph)

    def settings(self, unreachable: str | None = None) -> dict[str, Any]:
        api_url = unreachable + "/v1.0/" if unreachable else self.graph.api_url
        return {"graph_tenant_id": TENANT, "graph_client_id": CLIENT_ID, "graph_client_secret": CLIENT_SECRET,
                "graph_mailbox": self.mailbox, "graph_authority": self.login.authority_host,
                "graph_api_url": api_url}

    @property
    def conversation(self) -> ConversationRef:
        answered = self.graph.messages[self.answered]
        data = {"address": "ann@example.com", "name": "Ann Example", "reply_to": self.answered,
                "subject": answered["subject"]}
        return ConversationRef("mail", answered["conversationId"], None, "personal", data)

    def throttle_next(self, retry_after: str) -> None:
        """Only the reply is refused: the app's inbox poller calls Graph too, concurrently."""
        self.graph.refuse_next(429, retry_after, path="/createReply")

    def refusals_left(self) -> int:
        return len(self.graph.refusals)

    def seen(self) -> list[Seen]:
        seen = []
        for sent in self.graph.sent:
            recipient = sent["toRecipients"][0]["emailAddress"]["address"]
            thread = sent.get("conversationId")
            seen.append(Seen(False, str(thread or recipient), thread, str(sent.get("id", "")),
                             str(sent["body"]["content"])))
        return seen


HARNESSES: dict[str, type[Harness]] = {h.platform: h for h in (TeamsHarness, SlackHarness, WebexHarness, MailHarness)}
