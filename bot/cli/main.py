"""The `ticketbot` command line (Typer): serve, chat, migrate, and the resource groups mounted below.

Every command that lists or shows something takes `--json`. Errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import typer

from bot.cli.boards import boards_app
from bot.cli.common import group, run, safe_url
from bot.cli.doctor import doctor
from bot.cli.keys import keys_app
from bot.cli.mail import mail_app
from bot.cli.manifest import manifest_app
from bot.cli.members import members_app
from bot.cli.notify import forwards_app, outbox_app, recipients_app, rules_app, worker
from bot.cli.sync import sync
from bot.cli.tickets import tickets_app
from bot.cli.web import web_app
from bot.cli.webex import webex_app
from bot.seam import Actor
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

app = typer.Typer(help="ticketbot: a chat front end for a ticket desk.", no_args_is_help=True, rich_markup_mode=None)
db_app = group("Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(boards_app, name="boards")
app.add_typer(members_app, name="members")
app.add_typer(tickets_app, name="tickets")
app.add_typer(keys_app, name="keys")
app.add_typer(manifest_app, name="manifest")
app.add_typer(mail_app, name="mail")
app.add_typer(webex_app, name="webex")
app.add_typer(web_app, name="web")
app.add_typer(recipients_app, name="recipients")
app.add_typer(rules_app, name="rules")
app.add_typer(forwards_app, name="forwards")
app.add_typer(outbox_app, name="outbox")
app.command("worker")(worker)
app.command("sync")(sync)
app.command()(doctor)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(3978, help="Port to listen on."),
) -> None:
    """Serve the bot and the HTTP API (upgrades the database first).

    On SIGTERM or SIGINT it stops accepting connections, lets the turns in flight finish for up to
    TICKETBOT_SHUTDOWN_TIMEOUT seconds, and exits 0."""
    import asyncio

    from bot.app import MOUNTED, create_app
    from bot.logs import configure
    from bot.services import Services
    from bot.web import serve_until_stopped

    settings = Settings()
    configure(settings.log_format)
    log = logging.getLogger("ticketbot")
    log.info("database: %s", safe_url(settings.database_url))
    application = create_app(Services(settings))
    for mounted in application[MOUNTED]:
        routes = ", ".join(mounted.routes) or "no routes"
        log.info("platform %s: %s · %s", mounted.platform, mounted.description, routes)
    if any(mounted.platform == "web" for mounted in application[MOUNTED]):
        shown = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else (f"[{host}]" if ":" in host else host)
        log.info("web chat: open http://%s:%s/chat", shown, port)
    if settings.metrics_key.get_secret_value():
        log.info("metrics: GET /metrics (bearer key)")
    asyncio.run(serve_until_stopped(application, host, port, shutdown_timeout=settings.shutdown_timeout))


@app.command()
def chat(
    as_email: str = typer.Option("", "--as", help="Chat as the member with this email (a local guest when empty)."),
) -> None:
    """Chat with the bot in the terminal, as Teams, Slack or Webex users do (cards shown as text)."""
    import getpass

    from adapters.console import PLATFORM, ConsoleChat

    async def work(services: Services) -> None:
        member = await services.members.resolve(as_email) if as_email else None
        user = as_email.strip().lower() if as_email else getpass.getuser()
        actor = Actor(PLATFORM, user, member.name if member else user, member.email if member else None)
        await ConsoleChat(services.core, services.settings.bot_name, actor).run()

    run(work)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version."""

    async def work(services: Services) -> None:
        await services.upgrade()

    run(work, migrate=False)
    typer.echo(f"database is up to date: {safe_url(Settings().database_url)}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
