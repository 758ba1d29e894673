"""What every CLI module shares: the Typer factory, `run` (services over the configured database), output.

Every command that lists or shows something takes `--json`, printing the admin API's models (`bot.api.schemas`),
so the CLI and the API print one shape. Every command that writes names its `audit` action: `run` records it,
with the command's arguments, in the audit log once the write succeeded. Errors are one line on stderr and a
non-zero exit.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import BaseModel
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.desk.audit import AuditLog
from bot.desk.errors import TicketbotError
from bot.desk.principal import CLI_ADMIN
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

T = TypeVar("T")


def group(help_text: str) -> typer.Typer:
    """A command group with the house settings (help when called bare, plain help text)."""
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)


JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")


def fail(message: str) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def run(
    work: Callable[[Services], Awaitable[T]], *, migrate: bool = True, audit: str | None = None, actor: str = ""
) -> T:
    """Run `work` with fresh services over the configured database; domain errors become one-line errors.

    With `audit`, a successful run is recorded as that action, by `actor` (the CLI admin by default). Commands
    that only read pass `migrate=False`: they skip the schema check (and importing Alembic), and a database that
    was never migrated is reported with the command that fixes it.
    """
    from bot.services import Services

    async def main() -> T:
        services = Services(Settings())
        try:
            if migrate:
                await services.upgrade()
            result = await work(services)
            if audit:
                await AuditLog(services.db).record(
                    actor=actor or CLI_ADMIN.name,
                    action=audit,
                    source=f"cli {getpass.getuser()}@{socket.gethostname()}",
                    detail={"command": sys.argv[1:]},
                )
            return result
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except TicketbotError as exc:
        raise fail(str(exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        hint = "" if migrate else " (if the schema is missing, run `ticketbot db upgrade`)"
        raise fail(f"the database failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}{hint}") from None


def _plain(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", by_alias=True)
    if isinstance(data, list):
        return [_plain(item) for item in data]
    return data


def emit(as_json: bool, data: Any, text: str) -> None:
    """Print `data` (API models, or lists of them) as JSON, or `text` as it is."""
    typer.echo(json.dumps(_plain(data), indent=2, ensure_ascii=False) if as_json else text)


def safe_url(url: str) -> str:
    """A database URL fit for a log line (no password)."""
    return make_url(url).render_as_string(hide_password=True)
