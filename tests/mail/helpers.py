"""Helpers for the mail tests: settings pointing msal and the Graph client at the local stubs."""

from __future__ import annotations

from bot.services import Services
from bot.settings import Settings
from tests.fakes.graph import GraphStub
from tests.fakes.login import CLIENT_ID, CLIENT_SECRET, TENANT, LoginStub
from tests.helpers import make_settings

MAILBOX = "helpdesk@desk.example"


def mail_settings(url: str, login: LoginStub, graph: GraphStub, **values) -> Settings:
    """Settings with mail on, reaching the login stub through GRAPH_AUTHORITY and the Graph stub through
    GRAPH_API_URL."""
    base = {
        "graph_tenant_id": TENANT,
        "graph_client_id": CLIENT_ID,
        "graph_client_secret": CLIENT_SECRET,
        "graph_mailbox": MAILBOX,
        "graph_authority": login.authority_host,
        "graph_api_url": graph.api_url,
    }
    return make_settings(url, **{**base, **values})


def mail_env(url: str, login: LoginStub, graph: GraphStub, **values: str) -> dict[str, str]:
    """The same settings as environment variables, for the console script."""
    env = {
        "DATABASE_URL": url,
        "GRAPH_TENANT_ID": TENANT,
        "GRAPH_CLIENT_ID": CLIENT_ID,
        "GRAPH_CLIENT_SECRET": CLIENT_SECRET,
        "GRAPH_MAILBOX": MAILBOX,
        "GRAPH_AUTHORITY": login.authority_host,
        "GRAPH_API_URL": graph.api_url,
    }
    return {**env, **values}


async def poll(services: Services):
    """One round of the mail poller that `serve` runs, over these services."""
    from adapters.mail import channel

    mail = channel(services.adapter_context())
    assert mail is not None, "mail should be on"
    try:
        return await mail.poller.poll_once()
    finally:
        await mail.close()
