"""`ticketbot doctor [--json]`: checks the database and every configured platform, one line per check.

The checks are a small registry: the database checks here, plus whatever each `ticketbot.checks` entry point
returns for the settings present (`checks(settings, http) -> Sequence[Check]`, empty when its platform is off):
Teams (a Bot Framework token, the outgoing-webhook secret), Slack (a way in, `auth.test`, Socket Mode), Webex
(`people/me`, the four webhooks registered and active), mail (the Graph token, its permissions, the mailbox,
the processed folder); see `adapters/<platform>/doctor.py`. Each line says what to do when the check fails;
the exit code is 1 if any failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.common import JSON_OPTION, emit, safe_url
from bot.seam import Check
from bot.settings import Settings

if TYPE_CHECKING:
    from storage.db import Database

CHECK_TIMEOUT = 15.0  # seconds per check: a platform that does not answer is a failure, not a hang


def database_checks(settings: Settings, db: Database) -> list[Check]:
    """The database answers, and its schema is at the newest migration."""

    async def reachable() -> str:
        if not await db.ping():
            raise RuntimeError(f"{safe_url(settings.database_url)} does not answer")
        return f"{safe_url(settings.database_url)} answers"

    async def migrated() -> str:
        from storage.migrate import revisions

        current, head = await revisions(db)
        if current != head:
            at = ", ".join(sorted(current)) or "nothing"
            raise RuntimeError(f"the schema is at {at}, the newest is {', '.join(sorted(head))}")
        return f"the schema is at {', '.join(sorted(head))}"

    return [
        Check("database reachable", reachable, "Check DATABASE_URL, and that the database server runs and lets us in."),
        Check("database migrated", migrated, "Run `ticketbot db upgrade` (serve also upgrades on start)."),
    ]


def platform_checks(settings: Settings, http: Any) -> list[Check]:
    """The checks every installed `ticketbot.checks` entry point offers for these settings."""
    found: list[Check] = []
    for entry in sorted(entry_points(group="ticketbot.checks"), key=lambda e: e.name):
        found.extend(entry.load()(settings, http))
    return found


async def run_checks(checks: Sequence[Check]) -> list[dict[str, Any]]:
    """Run the checks one after another; each result says ok, what was found or what failed, and the fix."""
    results = []
    for check in checks:
        try:
            detail = await asyncio.wait_for(check.run(), CHECK_TIMEOUT)
            results.append({"check": check.name, "ok": True, "detail": detail})
        except Exception as exc:  # every failure of a check is reported, never raised
            reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            results.append({"check": check.name, "ok": False, "detail": reason, "fix": check.fix})
    return results


def doctor(as_json: bool = JSON_OPTION) -> None:
    """Check the database and every configured platform; one line per check, with the fix when it fails."""
    from bot.web import SharedSession
    from storage.db import Database

    async def main() -> list[dict[str, Any]]:
        settings = Settings()
        db = Database(settings.database_url)
        http = SharedSession()
        try:
            return await run_checks([*database_checks(settings, db), *platform_checks(settings, http)])
        finally:
            await http.close()
            await db.close()

    results = asyncio.run(main())
    lines = [
        f"ok    {r['check']}: {r['detail']}" if r["ok"] else f"FAIL  {r['check']}: {r['detail']} → {r['fix']}"
        for r in results
    ]
    emit(as_json, results, "\n".join(lines))
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)
