"""`ticketbot manifest …`: the install artifacts as files (mounted by the main CLI as `manifest`)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.settings import Settings

manifest_app = typer.Typer(help="Build install artifacts: the Teams app package.", no_args_is_help=True,
                           rich_markup_mode=None)


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
) -> None:
    """Write the Teams app package: manifest.json, color.png and outline.png in one zip."""
    from manifest.teams import FALLBACK_WEBSITE, build_teams_package

    settings = Settings()
    bot_id = bot_id or settings.microsoft_app_id
    if not bot_id:
        typer.echo("error: no bot id: pass --bot-id or set MicrosoftAppId", err=True)
        raise typer.Exit(1)
    try:
        path = build_teams_package(out, bot_id=bot_id, name=name or settings.bot_name, domain=domain, website=website)
    except (ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if not (domain or website):
        typer.echo(f"note: the developer links point at {FALLBACK_WEBSITE}; pass --domain or --website", err=True)
    typer.echo(f"wrote {path}")
