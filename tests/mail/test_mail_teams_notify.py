"""A mail requester hears of a change made in Teams chat: one reply in their mail thread, through the outbox.

The whole path: the app served with mail (msal against the login stub, Graph against its stub) and Teams (the
Bot Connector stub) configured, the outbox worker running; the poller opens the ticket from a mail, a desk
member changes it in a Teams personal chat, and the Graph stub receives the reply.
"""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from bot.app import create_app
from bot.services import Services
from storage.models import Delivery
from tests.fakes.bot_connector import BotConnectorStub
from tests.fakes.graph import mail
from tests.http import served
from tests.mail.helpers import mail_settings
from tests.notify.teams_desk import wait_for
from tests.teams.helpers import ROSTER, TeamsApp, variant

FAST = {"outbox_poll_seconds": 0.05, "outbox_backoff_seconds": 0.2, "graph_poll_seconds": 0.05}


async def test_a_status_change_in_teams_is_one_reply_in_the_requesters_mail_thread(sqlite_url, login, graph):
    first = graph.deliver(mail("Printer <b>jammed</b> & smoking", "It is jammed."))
    services = Services(mail_settings(sqlite_url, login, graph, **FAST))
    async with BotConnectorStub(members=ROSTER) as connector, served(create_app(services)) as url, aiohttp.ClientSession() as http:
        teams = TeamsApp(url, services, http, connector)
        await services.members.add("Megan Bowen", "megan@example.com")
        [ticket] = await wait_for(services.tickets.list)
        await wait_for(lambda: graph.sent)  # the confirmation the poller sent in the thread
        assert (ticket.number, ticket.requester_name) == (1, "Ann Example")
        activity = variant(teams.sample("message.personal.msteams-docs.json"), text="status 1 in progress")
        assert (await teams.post(activity))[0] == 200

        await wait_for(lambda: len(graph.sent) > 1, within=5)

        async def settled() -> list[Delivery] | None:
            # Graph has the reply before the worker has its answer and marks the row sent.
            async with services.db.sessions() as session:
                rows = (await session.scalars(select(Delivery))).all()
            return list(rows) if all(d.state not in ("pending", "sending") for d in rows) else None

        deliveries = await wait_for(settled, within=5)
        sent = list(graph.sent)
    assert [(d.platform, d.state) for d in deliveries] == [("mail", "sent")]
    [reply] = sent[1:]
    assert reply["inReplyTo"] == first and reply["conversationId"] == graph.messages[first]["conversationId"]
    assert "[#1]" in reply["subject"]
    html = reply["body"]["content"]
    assert "status New → In Progress (by Megan Bowen)" in html
    assert "<th" in html and ">In Progress</td>" in html
    assert "Printer &lt;b&gt;jammed&lt;/b&gt; &amp; smoking" in html and "<b>jammed</b>" not in html
    assert graph.calls("POST", "/sendMail") == []
