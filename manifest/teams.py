"""The Microsoft Teams app package: `manifest.json` (schema 1.29), `color.png` and `outline.png` in one zip.

The bot is offered in personal chats, teams and group chats. Its command lists (at most ten commands each, the
limit Teams shows) and the message extension's two commands ("Create ticket" on a message, "Find a ticket" in
the compose box, answered by `adapters.teams.extension`) are described from the `BotSurface` the caller passes —
the CLI passes the bot's command vocabulary (`bot.chat.vocabulary.COMMANDS`), so the menus Teams shows and the
commands the bot understands cannot drift apart. Teams refuses an update whose `version` did not go up, so the
version is the package's unless the caller gives one; the privacy and terms links default to the pages
`ticketbot serve` answers (`/privacy`, `/terms`) on the bot's domain.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from manifest.icons import color_icon, outline_icon

MANIFEST_VERSION = "1.29"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT_COLOR = "#3B5BDB"
FALLBACK_WEBSITE = "https://example.com/"
MAX_COMMANDS = 10
TITLE_MAX = 32
DESCRIPTION_MAX = 128

PERSONAL_COMMANDS = ("new", "show", "my tickets", "search", "assign", "status", "note", "close", "list", "help")
TEAM_COMMANDS = ("new", "show", "my tickets", "search", "assign", "status", "note", "close", "follow", "help")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HOST = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(:\d{1,5})?$")
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_APP_NAMESPACE = uuid.UUID("6f1d7c52-3f0e-4d59-9a51-2f8c3a0b7e11")


def command_word(usage: str) -> str:
    """The words a command starts with: `assign <n> to <who>` → `assign`, `my tickets` → `my tickets`."""
    return re.split(r"\s*[<\[#]", usage, maxsplit=1)[0].strip()


Commands = Sequence[tuple[str, str]]
"""(usage, one-line summary) of each command the bot understands."""


@dataclass(frozen=True)
class BotSurface:
    """What the bot answers, as the package declares it: its commands, the message extension's command ids
    (Teams sends them back in each invoke) and the paths of the privacy and terms pages `serve` answers.
    The CLI fills it from the command vocabulary and the Teams adapter, which this package may not import."""

    commands: Commands
    create_command: str
    search_command: str
    search_parameter: str
    privacy_path: str
    terms_path: str


def command_list(words: tuple[str, ...], commands: Commands) -> list[dict[str, str]]:
    """Manifest commands for these command words, described from the bot's commands."""
    help_by_word = {command_word(usage): (usage, text) for usage, text in commands}
    listed = []
    for word in words[:MAX_COMMANDS]:
        usage, text = help_by_word[word]
        description = f"{usage}: {text}" if usage != word else text
        listed.append({"title": word[:TITLE_MAX], "description": description[:DESCRIPTION_MAX]})
    return listed


def normalize_domain(domain: str) -> str:
    """The host of a domain given as a host or a URL (`https://bot.example.com/api/messages` → `bot.example.com`)."""
    host = urlsplit(domain if "//" in domain else f"//{domain}").netloc or domain
    if not _HOST.match(host):
        raise ValueError(f"'{domain}' is not a host name such as bot.example.com.")
    return host.lower()


def package_version() -> str:
    """The installed ticketbot's version: the app version when none is given."""
    try:
        return version("ticketbot")
    except PackageNotFoundError:
        return "0.0.0"


def _https_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"The {what} URL must be an https:// address, not '{url}'.")
    return url


def compose_extension(bot_id: str, bot: BotSurface) -> dict[str, Any]:
    """The message extension: "Create ticket" on a message (a task module the bot fetches) and "Find a ticket"
    (a search in the compose box), described by the bot's `new` and `search` commands."""
    help_by_word = {command_word(usage): text for usage, text in bot.commands}
    return {
        "botId": bot_id,
        "commands": [
            {
                "id": bot.create_command,
                "type": "action",
                "title": "Create ticket",
                "description": f"Create a ticket from this message. {help_by_word['new']}"[:DESCRIPTION_MAX],
                "context": ["message"],
                "fetchTask": True,
            },
            {
                "id": bot.search_command,
                "type": "query",
                "title": "Find a ticket",
                "description": help_by_word["search"][:DESCRIPTION_MAX],
                "context": ["compose", "commandBox"],
                "initialRun": False,
                "parameters": [
                    {
                        "name": bot.search_parameter,
                        "title": "Words",
                        "description": "Words in the ticket's title or description",
                        "inputType": "text",
                    }
                ],
            },
        ],
    }


def teams_manifest(
    *,
    bot_id: str,
    name: str,
    domain: str | None,
    bot: BotSurface,
    website: str | None = None,
    app_version: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    """The manifest for the bot `bot_id` (its Microsoft App ID). The app id is derived from the bot id, so
    rebuilding the package updates the same app in Teams. Developer links go to `website`, else to the
    bot's domain, else to a placeholder; the privacy and terms links to the given URLs, else to `/privacy`
    and `/terms` on the bot's domain (the pages `serve` answers), else next to the website."""
    if not _GUID.match(bot_id):
        raise ValueError(f"'{bot_id}' is not a Microsoft App ID (a GUID such as 00000000-0000-0000-0000-000000000000).")
    name = " ".join(name.split())
    if not name:
        raise ValueError("The app needs a name.")
    app_version = package_version() if app_version is None else app_version
    if not _VERSION.match(app_version):
        raise ValueError(f"'{app_version}' is not a version such as 1.2.3 (Teams wants major.minor.patch).")
    host = normalize_domain(domain) if domain else None
    site = (website or (f"https://{host}/" if host else FALLBACK_WEBSITE)).rstrip("/")
    served = f"https://{host}" if host else site
    privacy = _https_url(privacy_url, "privacy") if privacy_url else f"{served}{bot.privacy_path}"
    terms = _https_url(terms_url, "terms of use") if terms_url else f"{served}{bot.terms_path}"
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": app_version,
        "id": str(uuid.uuid5(_APP_NAMESPACE, bot_id.lower())),
        "developer": {
            "name": name[:32],
            "websiteUrl": f"{site}/",
            "privacyUrl": privacy,
            "termsOfUseUrl": terms,
        },
        "name": {"short": name[:30], "full": f"{name} service desk"[:100]},
        "description": {
            "short": "Open, find and update service desk tickets from chat.",
            "full": (
                f"{name} opens tickets from what you write, in a chat with the bot or by mentioning it in a "
                "channel, or from any message with Create ticket in its … menu, and answers with cards whose "
                "buttons assign, update and close them. Find a ticket from the compose box and share its card. "
                "Type help to see every command."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT_COLOR,
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": command_list(PERSONAL_COMMANDS, bot.commands)},
                    {"scopes": ["team", "groupChat"], "commands": command_list(TEAM_COMMANDS, bot.commands)},
                ],
            }
        ],
        "composeExtensions": [compose_extension(bot_id, bot)],
        "validDomains": [host] if host else [],
    }


def build_teams_package(
    out: Path,
    *,
    bot_id: str,
    name: str,
    domain: str | None,
    bot: BotSurface,
    website: str | None = None,
    app_version: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> Path:
    """Write the app package zip to `out` (parent folders created) and return its path."""
    manifest = teams_manifest(
        bot_id=bot_id, name=name, domain=domain, bot=bot, website=website, app_version=app_version,
        privacy_url=privacy_url, terms_url=terms_url,
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        package.writestr("color.png", color_icon(ACCENT_COLOR))
        package.writestr("outline.png", outline_icon())
    return out
