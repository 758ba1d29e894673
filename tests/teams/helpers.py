"""Teams test helpers: the payload samples, the schemas, the real app served on a local port, and what turns leave
in reference cycles."""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import create_app
from bot.services import Services
from tests.fakes.bot_connector import BotConnectorStub
from tests.helpers import make_settings
from tests.http import served

TESTS = Path(__file__).resolve().parents[1]
PAYLOADS = TESTS / "payloads" / "teams"
SCHEMAS = TESTS / "schemas"

MEGAN_ID = "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw"
MEGAN_AAD = "7faf8ab2-3d56-4244-b585-20c8a42ed2b8"
ROSTER = {
    MEGAN_ID: {"id": MEGAN_ID, "name": "Megan Bowen", "aadObjectId": MEGAN_AAD, "email": "megan@example.com",
               "userPrincipalName": "megan@example.com", "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
}


def shared_file(directory: Path, name: str) -> Path:
    """A sample or schema file shipped with the tests; fails the test clearly when it is missing."""
    path = directory / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: the Teams tests need the payload samples and schemas under {TESTS}")
    return path


def payload(name: str, service_url: str) -> dict[str, Any]:
    """A Teams payload sample with its `serviceUrl` pointed at the connector stub."""
    activity = json.loads(shared_file(PAYLOADS, name).read_text())
    activity["serviceUrl"] = service_url
    return activity


def schema(name: str) -> dict[str, Any]:
    """An official JSON schema shipped with the tests."""
    return json.loads(shared_file(SCHEMAS, name).read_text())


def variant(activity: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of the activity with top-level fields replaced."""
    return {**copy.deepcopy(activity), **changes}


@dataclass
class TeamsApp:
    """The served app, its services and an HTTP client to post activities with."""

    url: str
    services: Services
    http: aiohttp.ClientSession
    connector: BotConnectorStub

    async def post(self, activity: Any, *, path: str = "/api/messages", headers: dict[str, str] | None = None,
                   data: bytes | None = None) -> tuple[int, Any]:
        """POST the activity (or raw `data`); the status and the JSON answer (None when the body is empty)."""
        body = data if data is not None else json.dumps(activity).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        async with self.http.post(self.url + path, data=body, headers=sent) as resp:
            raw = await resp.read()
            return resp.status, json.loads(raw) if raw else None

    def sample(self, name: str) -> dict[str, Any]:
        """A payload sample addressed to this test's connector stub."""
        return payload(name, self.connector.service_url)


@asynccontextmanager
async def serve_teams(db_url: str, connector: BotConnectorStub, **settings: Any) -> AsyncIterator[TeamsApp]:
    """The whole app over `db_url` with these settings, served on a free local port."""
    services = Services(make_settings(db_url, **settings))
    async with served(create_app(services)) as url, aiohttp.ClientSession() as http:
        yield TeamsApp(url, services, http, connector)


OURS = ("botbuilder.", "botframework.", "msrest.", "sqlalchemy.", "adapters.", "bot.", "storage.", "dialogs.", "cards.")
# A statement's first compilation on an engine can leave a few of its expression objects in a cycle, once; which
# statements compile first depends on what else ran in the process.
ONCE = "sqlalchemy.sql."


@contextmanager
def left_in_cycles() -> Iterator[list[str]]:
    """The kinds of object the code run inside left in reference cycles (for the garbage collector to free),
    from the bot's libraries and its own code, and any function; filled in on leaving."""
    left: list[str] = []
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection would free is kept in gc.garbage, to be looked at
    try:
        yield left
        gc.collect()
        left.extend(sorted({
            f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage
            if (type(o).__module__.startswith(OURS) and not type(o).__module__.startswith(ONCE))
            or type(o).__qualname__ == "function"
        }))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
