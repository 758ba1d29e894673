"""The `ticketbot` command line (Typer): serve, chat, migrate, and the resource groups mounted below.

Every command that lists or shows something takes `--json`. Errors are one line on stderr and a non-zero exit.
Each resource's commands live in their own module, imported only when one of them runs (or `--help` lists
them): `ticketbot tickets list` imports `bot.cli.tickets` and none of the others, whose imports (the admin API's
schemas, the notification engine, the adapters' vocabulary) every command used to pay for.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

import typer
import typer.main
from typer.core import TyperGroup

from bot.cli.common import group, run, safe_url
from bot.settings import Settings

if TYPE_CHECKING:
    from typer import _click as click  # the Click that Typer vendors, whose types TyperGroup's methods take

    from bot.services import Services

# Every command and group but the ones defined here, in the order `--help` lists them: name -> module:attribute.
COMMANDS = {
    "worker": "bot.cli.notify:worker",
    "sync": "bot.cli.sync:sync",
    "doctor": "bot.cli.doctor:doctor",
    "boards": "bot.cli.boards:boards_app",
    "members": "bot.cli.members:members_app",
    "tickets": "bot.cli.tickets:tickets_app",
    "keys": "bot.cli.keys:keys_app",
    "manifest": "bot.cli.manifest:manifest_app",
    "mail": "bot.cli.mail:mail_app",
    "webex": "bot.cli.webex:webex_app",
    "web": "bot.cli.web:web_app",
    "recipients": "bot.cli.notify:recipients_app",
    "rules": "bot.cli.notify:rules_app",
    "forwards": "bot.cli.notify:forwards_app",
    "outbox": "bot.cli.notify:outbox_app",
}


def _load(name: str) -> click.Command:
    module, _, attribute = COMMANDS[name].partition(":")
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command: click.Command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False, rich_markup_mode=None)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class Commands(TyperGroup):
    """The top-level group: the commands defined here, then the `COMMANDS` ones, each imported when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.commands, *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = _load(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        if args and self.get_command(ctx, args[0]) is None:
            for name in COMMANDS:  # a mistyped name: Typer suggests the closest of the commands it holds
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=Commands, help="ticketbot: a chat front end for a ticket desk.", no_args_is_help=True, rich_markup_mode=None
)
db_app = group("Database schema.")
app.add_typer(db_app, name="db")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(3978, help="Port to listen on."),
) -> None:
    """Serve the bot and the HTTP API (upgrades the database first).

    On SIGTERM or SIGINT it stops accepting connections, lets the turns in flight finish for up to
    TICKETBOT_SHUTDOWN_TIMEOUT seconds, and exits 0."""
    import asyncio

    from bot.app import METRICS_APP, MOUNTED, create_app
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
    if settings.metrics_key.get_secret_value() and not settings.metrics_port:
        log.info("metrics: GET /metrics (bearer key)")
    serving = serve_until_stopped(
        application, host, port, shutdown_timeout=settings.shutdown_timeout, side=application.get(METRICS_APP),
        side_host=settings.metrics_host, side_port=settings.metrics_port,
    )
    asyncio.run(serving)


@app.command()
def chat(
    as_email: str = typer.Option("", "--as", help="Chat as the member with this email (a local guest when empty)."),
) -> None:
    """Chat with the bot in the terminal, as Teams, Slack or Webex users do (cards shown as text)."""
    import getpass

    from adapters.console import PLATFORM, ConsoleChat
    from bot.seam import Actor

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
