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
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.teams.webhook import signature

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
TEAMS_WEBHOOK_SECRET = base64.b64encode(b"hostile-family-webhook-token-32by").decode()

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
