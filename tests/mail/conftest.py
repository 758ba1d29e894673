"""Mail fixtures: a local HTTPS authority (trusted through REQUESTS_CA_BUNDLE), the Graph stub, services."""

from __future__ import annotations

import pytest

from bot.services import Services
from tests.fakes.graph import GraphStub
from tests.fakes.login import LoginStub
from tests.fakes.tls import make_certificate
from tests.mail.helpers import MAILBOX, mail_settings


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(autouse=True)
def trusted_authority(certificate, monkeypatch):
    """requests (and so msal) trusts the local authority's certificate through its standard setting."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert_file))


@pytest.fixture
async def login(certificate):
    async with LoginStub(certificate.server_context()) as stub:
        yield stub


@pytest.fixture
async def graph(login):
    async with GraphStub(MAILBOX, lambda: login.issued) as stub:
        yield stub


@pytest.fixture
async def mail_services(db_url, login, graph):
    """Services with mail on, on both database backends."""
    services = Services(mail_settings(db_url, login, graph))
    yield services
    await services.close()
