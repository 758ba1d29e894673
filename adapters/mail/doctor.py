"""The mail checks of `ticketbot doctor` (the `ticketbot.checks` entry point `mail`): those of `ticketbot mail
check` (`adapters.mail.check`: the Graph token, its permissions, the mailbox, the processed folder), one line
each, with what to do when one fails. They run once, in order; a check whose earlier one failed is reported
as not run."""

from __future__ import annotations

import asyncio

from adapters.mail import graph_client
from adapters.mail.check import Check as Line
from adapters.mail.check import run_checks
from adapters.mail.config import MailConfig, mail_config
from bot.seam import Check
from bot.settings import Settings
from bot.web import SharedSession

FIXES = {
    "token": "Check GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET (a current client secret) against the "
    "app registration, and that GRAPH_AUTHORITY is reachable.",
    "permissions": "Grant the app registration the application permissions Mail.ReadWrite and Mail.Send, with admin "
    "consent.",
    "mailbox": "Check GRAPH_MAILBOX, and that the application access policy (if any) includes that mailbox.",
    "folder": "Create the folder GRAPH_PROCESSED_FOLDER names in the mailbox, or name an existing one.",
}


def checks(settings: Settings, http: SharedSession) -> list[Check]:
    """The four mail checks; none when mail is off."""
    config = mail_config(settings)
    if config is None:
        return []
    report: asyncio.Future[list[Line]] | None = None

    async def lines() -> list[Line]:
        nonlocal report
        if report is None:
            report = asyncio.ensure_future(_report(config, http))
        return await report

    def one(name: str) -> Check:
        async def run() -> str:
            line = next((line for line in await lines() if line.name == name), None)
            if line is None:
                raise RuntimeError("not checked: an earlier mail check failed")
            if not line.ok:
                raise RuntimeError(line.detail)
            return line.detail

        return Check(f"mail graph {name}", run, FIXES[name])

    return [one(name) for name in FIXES]


async def _report(config: MailConfig, http: SharedSession) -> list[Line]:
    graph = graph_client(config, http)
    try:
        return await run_checks(graph)
    finally:
        await graph.tokens.close()
