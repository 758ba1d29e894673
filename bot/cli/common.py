"""What every CLI module shares: the Typer factory, `run` (services over the configured database), output.

Every command that lists or shows something takes `--json`. Errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.desk.errors import TicketbotError
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


def run(work: Callable[[Services], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run `work` with fresh services over the configured database; domain errors become one-line errors.

    Commands that only read pass `migrate=False`: they skip the schema check (and importing Alembic), and
    a database that was never migrated is reported with the command that fixes it."""
    from bot.services import Services

    async def main() -> T:
        services = Services(Settings())
        try:
            if migrate:
                await services.upgrade()
            return await work(services)
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except TicketbotError as exc:
        raise fail(str(exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        hint = "" if migrate else " (if the schema is missing, run `ticketbot db upgrade`)"
        raise fail(f"the database failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}{hint}") from None


def emit(as_json: bool, data: Any, text: str) -> None:
    """Print `data` as JSON or `text` as it is."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else text)


def safe_url(url: str) -> str:
    """A database URL fit for a log line (no password)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
