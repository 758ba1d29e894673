"""`serve` runs the mail poller in the background and registers the mail port; without settings mail is off."""

from __future__ import annotations

import asyncio

from bot.app import MOUNTED, create_app
from bot.services import Services
from tests.fakes.graph import mail
from tests.helpers import make_settings
from tests.http import LocalServer
from tests.mail.helpers import mail_settings


async def test_serve_polls_the_inbox_and_offers_the_mail_port(sqlite_url, login, graph):
    services = Services(mail_settings(sqlite_url, login, graph, graph_poll_seconds=0.05))
    app = create_app(services, upgrade=False)
    graph.deliver(mail("Printer jammed", "It is jammed."))
    async with LocalServer(app):
        for _ in range(100):
            if graph.folders["AAMk-1"] == "archive" and len(graph.calls("GET", "/delta")) >= 3:
                break
            await asyncio.sleep(0.05)
        tickets = await services.tickets.list()
    assert [t.title for t in tickets] == ["Printer jammed"]
    # Several rounds, one token: msal's cache serves the later ones.
    assert len(graph.calls("GET", "/delta")) >= 3 and len(login.token_requests) == 1
    [mounted] = [m for m in app[MOUNTED] if m.platform == "mail"]
    assert mounted.routes == () and len(mounted.background) == 1
    assert services.ports["mail"].platform == "mail"


async def test_mail_is_off_without_its_settings(sqlite_url):
    services = Services(make_settings(sqlite_url))
    app = create_app(services, upgrade=False)
    assert "mail" not in {m.platform for m in app[MOUNTED]} and "mail" not in services.ports
    await services.close()
