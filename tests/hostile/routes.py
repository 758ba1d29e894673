"""The registry of inbound routes the hostile-input family knows: every route the app mounts must be here.

Each entry says how to turn the route on (settings), what inert bodies look like (templates the family mutates:
bodies a real platform could send that make the bot do nothing, so any stored row or platform request during the
family is a defect), and how a genuine caller signs a body (the family attacks from behind a valid signature).
A branch that mounts a route (Slack, Webex, hooks, the API, the web chat) adds its entry with `register` here;
`test_every_mounted_route_is_known` fails until it does.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.teams.webhook import signature
from bot.api.app import PREFIX
from bot.api.app import ROUTES as API_ROUTES

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
TEAMS_WEBHOOK_SECRET = base64.b64encode(b"hostile-family-webhook-token-32by").decode()
SLACK_SIGNING_SECRET = "hostile-family-slack-signing"
WEBEX_WEBHOOK_SECRET = "hostile-family-webex-webhook"
HOOK_SECRET = "hostile-family-hook-secret"
METRICS_KEY = "hostile-family-metrics-key"
# Where Slack and Webex API calls would go: a port nothing listens on, so a call the family's bodies should
# never cause fails at once (and shows as a 5xx or a logged error) instead of waiting on the network.
NOWHERE = "http://127.0.0.1:9/"

Template = Callable[[str], dict[str, Any]]
Signer = Callable[[bytes], dict[str, str]]


@dataclass(frozen=True)
class HostileRoute:
    """One inbound route: `templates` are inert bodies (given the platform stub's base URL); no templates means
    the route takes no body (it is still sent hostile bodies, which it must ignore)."""

    method: str
    path: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    templates: tuple[Template, ...] = ()
    sign: Signer = field(default=lambda body: {})

    @property
    def url_path(self) -> str:
        """The path to send to: each `{id}` of a dynamic route filled with 1."""
        return re.sub(r"\{[^}]*\}", "1", self.path)


ROUTES: dict[tuple[str, str], HostileRoute] = {}


def register(route: HostileRoute) -> HostileRoute:
    """Add a route to the family."""
    ROUTES[(route.method, route.path)] = route
    return route


def sample(platform: str, name: str) -> dict[str, Any]:
    """A payload sample shipped with the tests."""
    return json.loads((PAYLOADS / platform / name).read_text())


def _teams(sample_name: str, **changes: Any) -> Template:
    def template(stub_url: str) -> dict[str, Any]:
        activity = copy.deepcopy(sample("teams", sample_name))
        activity.update(copy.deepcopy(changes))
        activity["serviceUrl"] = stub_url + "/"
        for key in [k for k, v in changes.items() if v is None]:
            activity.pop(key)
        return activity

    return template


# Inert Teams activities: a typing indicator, a channel message that does not mention the bot, someone else
# joining a team, an invoke the bot does not handle.
TEAMS_INERT = (
    _teams("message.personal.msteams-docs.json", type="typing"),
    _teams("message.channel.mention-bot.teams-net.json", text="just chatting", entities=None),
    _teams("conversationUpdate.bot-added-to-team.sentry.json", membersAdded=[{"id": "29:someone-else"}]),
    _teams("invoke.adaptiveCard-action.personal.teams-net.json", name="composeExtension/query"),
)


def _webhook_template(stub_url: str) -> dict[str, Any]:
    # The outgoing webhook answers every message it receives; a typing activity is refused (400) before the core.
    activity = copy.deepcopy(sample("teams", "outgoing.message.adaptive-card-with-mentions.teams-net.json"))
    activity["type"] = "typing"
    return activity


def _webhook_signature(body: bytes) -> dict[str, str]:
    return {"Authorization": signature(base64.b64decode(TEAMS_WEBHOOK_SECRET), body)}


register(HostileRoute("GET", "/healthz"))
register(HostileRoute("GET", "/readyz"))
register(HostileRoute("POST", "/api/messages", templates=TEAMS_INERT))
register(
    HostileRoute(
        "POST",
        "/api/teams/webhook",
        settings={"teams_webhook_secret": TEAMS_WEBHOOK_SECRET},
        templates=(_webhook_template,),
        sign=_webhook_signature,
    )
)


# The admin API: every route needs a bearer key, so an unsigned hostile body must get its 401 (JSON) and reach
# nothing; no templates, since the family holds no key. The table is the API's own.
for api_route in API_ROUTES:
    register(HostileRoute(api_route.method, PREFIX + api_route.path))


SLACK_SETTINGS = {
    # OAuth (every route mounted; authorization by the installation store, so no auth.test call on the way in).
    "slack_signing_secret": SLACK_SIGNING_SECRET,
    "slack_client_id": "111.222",
    "slack_client_secret": "hostile-family-client-secret",
    "slack_state_secret": "hostile-family-state-secret",
    "slack_api_url": NOWHERE + "api/",
}


def _slack_signature(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(SLACK_SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=" + digest}


def _slack_bot_message(stub_url: str) -> dict[str, Any]:
    # Another bot's message in a workspace that never installed the app: bolt stops at authorization.
    body = copy.deepcopy(sample("slack", "event_callback.message.im.slack-docs.json"))
    body["event"].update(subtype="bot_message", bot_id="B0HOSTILE")
    return body


register(HostileRoute("POST", "/slack/events", SLACK_SETTINGS, (_slack_bot_message,), _slack_signature))
register(HostileRoute("GET", "/slack/install", SLACK_SETTINGS))
register(HostileRoute("GET", "/slack/oauth_redirect", SLACK_SETTINGS))


def _webex_signature(body: bytes) -> dict[str, str]:
    return {"X-Spark-Signature": hmac.new(WEBEX_WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest()}


# No templates: the route asks Webex who the bot is (GET /people/me) for every webhook it accepts, before it
# can tell one to ignore, so no webhook is inert without a Webex API (which the family's stub does not play).
register(
    HostileRoute(
        "POST",
        "/webex/events",
        {"webex_access_token": "hostile-family-webex-token", "webex_webhook_secret": WEBEX_WEBHOOK_SECRET,
         "webex_api_url": NOWHERE + "v1/"},
        sign=_webex_signature,
    )
)


def _hook_signature(body: bytes) -> dict[str, str]:
    return {"X-Ticketbot-Signature": "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()}


# No templates: every valid hook body upserts a ticket, so none is inert.
register(HostileRoute("POST", "/hooks/tickets", {"hook_secret": HOOK_SECRET}, sign=_hook_signature))

# The Teams app package's pages, and the metrics (text, behind the bearer key): they read no body.
LEGAL = {"privacy_text": "Hostile family privacy.", "terms_text": "Hostile family terms."}
register(HostileRoute("GET", "/privacy", LEGAL))
register(HostileRoute("GET", "/terms", LEGAL))
register(
    HostileRoute(
        "GET", "/metrics", {"metrics_key": METRICS_KEY}, sign=lambda body: {"Authorization": f"Bearer {METRICS_KEY}"}
    )
)

# The web chat (on for loopback callers, which the family is): the page, its assets and the socket, which
# refuses a request that is no WebSocket handshake.
for chat_path in ("/chat", "/chat/chat.css", "/chat/chat.js", "/chat/ws"):
    register(HostileRoute("GET", chat_path))
