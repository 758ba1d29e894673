"""The Slack app manifest (YAML): what `ticketbot manifest slack` writes, to create the app from.

It declares the bot user, App Home (the Home tab and the Messages tab), the bot scopes the adapter needs and no
more (`adapters.slack.declared`, the same list the OAuth install asks for), the bot events, interactivity, the
`/ticket` command and the "Create ticket" message shortcut. Over HTTP every URL is `https://HOST/slack/events`;
with Socket Mode there are no URLs at all. The OAuth redirect URL is included when OAuth is configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from adapters.slack.declared import BOT_EVENTS, BOT_SCOPES, COMMAND, EVENTS_PATH, REDIRECT_PATH, SHORTCUT_CALLBACK

DESCRIPTION = "Open, follow and update desk tickets from Slack."
MAX_NAME = 35  # Slack's limit for the app and bot display name


def base_url(url: str) -> str:
    """`https://HOST[:port][/prefix]` without a trailing slash; raises ValueError for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"--url must be an https URL such as https://bot.example.com, not {url!r}")
    return f"https://{parts.netloc}{parts.path.rstrip('/')}"


def slack_manifest(*, url: str | None, name: str, socket_mode: bool = False, oauth: bool = False) -> dict[str, Any]:
    """The manifest as a mapping. `url` may be None only in Socket Mode without OAuth."""
    if not (socket_mode and not oauth) and url is None:
        raise ValueError("--url is needed unless the app runs in Socket Mode without OAuth")
    base = base_url(url) if url is not None else ""
    events = f"{base}{EVENTS_PATH}"
    name = name.strip()[:MAX_NAME] or "Ticketbot"
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Open a ticket or run a ticket command",
        "usage_hint": "new printer on 3 is jammed | my tickets | help",
        "should_escape": False,
    }
    subscriptions: dict[str, Any] = {"bot_events": sorted(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        command["url"] = events
        subscriptions["request_url"] = events
        interactivity["request_url"] = events
    oauth_config: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if oauth:
        oauth_config["redirect_urls"] = [f"{base}{REDIRECT_PATH}"]
    return {
        "display_information": {"name": name, "description": DESCRIPTION, "background_color": "#3b5bdb"},
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
            "shortcuts": [{"name": "Create ticket", "type": "message", "callback_id": SHORTCUT_CALLBACK,
                           "description": "Turn this message into a ticket"}],
        },
        "oauth_config": oauth_config,
        "settings": {
            "event_subscriptions": subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)


def write_slack_manifest(out: Path | None, **options: Any) -> str:
    """The manifest as YAML, written to `out` when given; returns the YAML."""
    text = manifest_yaml(slack_manifest(**options))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return text
