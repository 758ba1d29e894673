"""`ticketbot manifest …`: the install artifacts as files (mounted by the main CLI as `manifest`).

The builders, the Teams adapter's declarations and the chat vocabulary are imported by the commands that use
them, so that loading the CLI for any other command does not load the chat core, the adapters or Pillow.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.settings import Settings

if TYPE_CHECKING:
    from manifest.teams import BotSurface

LOCAL_MODE = (
    "error: no bot id is known: MicrosoftAppId is empty, so Teams runs in local mode (the Bot Framework Emulator "
    "needs no app package). To install in Teams, register a bot (Azure Bot or the Teams Developer Portal), then "
    "pass --bot-id or set MicrosoftAppId."
)

manifest_app = typer.Typer(help="Build install artifacts: the Teams app package, the Slack app manifest.",
                           no_args_is_help=True,
                           rich_markup_mode=None)


@cache
def teams_bot() -> BotSurface:
    """What the Teams manifest declares of the bot: the chat commands and the message extension's."""
    from adapters.teams.commands import CREATE_COMMAND, SEARCH_COMMAND, SEARCH_PARAMETER
    from adapters.teams.legal import PRIVACY_PATH, TERMS_PATH
    from bot.chat.vocabulary import COMMANDS
    from manifest.teams import BotSurface

    return BotSurface(
        commands=tuple((c.usage, c.summary) for c in COMMANDS),
        create_command=CREATE_COMMAND,
        search_command=SEARCH_COMMAND,
        search_parameter=SEARCH_PARAMETER,
        privacy_path=PRIVACY_PATH,
        terms_path=TERMS_PATH,
    )


@manifest_app.callback()
def manifest() -> None:
    """Build install artifacts."""


@manifest_app.command("teams")
def teams(
    out: Path = typer.Option(..., "--out", help="Where to write the app package (a .zip)."),
    bot_id: str | None = typer.Option(None, "--bot-id", help="The bot's Microsoft App ID [default: MicrosoftAppId]."),
    name: str | None = typer.Option(None, "--name", help="The app's name in Teams [default: TICKETBOT_NAME]."),
    domain: str | None = typer.Option(None, "--domain", help="The bot's public host, e.g. bot.example.com."),
    website: str | None = typer.Option(None, "--website", help="Developer website [default: https://DOMAIN/]."),
    app_version: str | None = typer.Option(
        None, "--version", help="The app version; raise it for every update [default: the ticketbot version]."
    ),
    privacy_url: str | None = typer.Option(None, "--privacy-url", help="[default: https://DOMAIN/privacy, served]"),
    terms_url: str | None = typer.Option(None, "--terms-url", help="[default: https://DOMAIN/terms, served]"),
) -> None:
    """Write the Teams app package: manifest.json, color.png and outline.png in one zip."""
    from manifest.teams import FALLBACK_WEBSITE, build_teams_package

    settings = Settings()
    bot_id = bot_id or settings.microsoft_app_id
    if not bot_id:
        typer.echo(LOCAL_MODE, err=True)
        raise typer.Exit(1)
    try:
        path = build_teams_package(
            out, bot_id=bot_id, name=name or settings.bot_name, domain=domain, bot=teams_bot(), website=website,
            app_version=app_version, privacy_url=privacy_url, terms_url=terms_url,
        )
    except (ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if not (domain or website):
        typer.echo(f"note: the developer links point at {FALLBACK_WEBSITE}; pass --domain or --website", err=True)
    elif not domain and not (privacy_url and terms_url):
        typer.echo("note: the privacy and terms links point at the website; `serve` answers them on --domain", err=True)
    typer.echo(f"wrote {path}")


@manifest_app.command("slack")
def slack(
    url: str | None = typer.Option(None, "--url", help="The bot's public base URL, e.g. https://bot.example.com."),
    socket_mode: bool = typer.Option(False, "--socket-mode", help="Socket Mode: no request URLs (SLACK_APP_TOKEN)."),
    out: Path | None = typer.Option(None, "--out", help="Where to write the manifest (YAML) [default: stdout]."),
    name: str | None = typer.Option(None, "--name", help="The app's name in Slack [default: TICKETBOT_NAME]."),
) -> None:
    """Write the Slack app manifest (YAML) to create the app from (api.slack.com/apps → From a manifest).

    The OAuth redirect URL is included when SLACK_CLIENT_ID is set (installs into several workspaces).
    """
    from manifest.slack import write_slack_manifest  # imported here: it reads the Slack adapter's declarations

    settings = Settings()
    try:
        text = write_slack_manifest(out, url=url, name=name or settings.bot_name, socket_mode=socket_mode,
                                    oauth=bool(settings.slack_client_id))
    except (ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {out}" if out is not None else text.rstrip("\n"))
