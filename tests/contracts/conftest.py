"""Contract fixtures: every platform's harness served against its fakes, a closed local port, and the local
HTTPS authority's certificate that requests (and so msal, for mail) trusts through REQUESTS_CA_BUNDLE."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import pytest

from tests.contracts.harnesses import HARNESSES, Harness
from tests.fakes.tls import LocalCertificate, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> LocalCertificate:
    return make_certificate(tmp_path_factory.mktemp("contract-tls"))


@pytest.fixture(autouse=True)
def trusted_authority(certificate, monkeypatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert_file))


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    """Everything a case serves, closed when the case ends."""
    async with AsyncExitStack() as servers:
        yield servers


@pytest.fixture(params=sorted(HARNESSES))
async def harness(request, stack, sqlite_url, certificate) -> Harness:
    """The platform's fakes and the real app served against them."""
    platform = await HARNESSES[request.param].started(stack, certificate)
    await platform.serve(stack, sqlite_url)
    return platform


@pytest.fixture
def closed_url() -> Iterator[str]:
    """The base URL of a local port that is bound but not listening: every connection to it is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"
