"""Hostile bodies against every inbound route, over real HTTP, with every platform switched on.

For each route in `routes.ROUTES`: raw bodies (deep nesting, huge numbers, bytes that are not UTF-8 or not
JSON) and mutations of inert platform payloads (one field of the wrong type, holding NUL or surrogates, too
long or too deep), each signed as a genuine caller would. Every answer is below 500, every 4xx is a JSON error,
no table's row count changes, the platform stub receives nothing, and nothing is logged as an error or with a
traceback. Hypothesis runs a fixed, derandomised set of examples per route, so the family takes seconds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import create_app
from bot.services import Services
from storage.models import Base
from tests.fakes.bot_connector import BotConnectorStub
from tests.helpers import make_settings
from tests.hostile.routes import ROUTES, HostileRoute
from tests.hostile.strategies import mutations, raw_bodies
from tests.http import served

FAMILY = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Recorder(logging.Handler):
    """Keeps every log record at INFO or above."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def loud(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.ERROR or r.exc_info]


@dataclass
class Target:
    """The app with every registered route's settings, its platform stub, a client and the log."""

    url: str
    services: Services
    stub: BotConnectorStub
    http: aiohttp.ClientSession
    log: Recorder

    async def row_counts(self) -> dict[str, int]:
        tables = Base.metadata.sorted_tables
        # One statement for every table: the family counts twice per example, over some 1,400 examples.
        counts = select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
        async with self.services.db.sessions() as session:
            row = (await session.execute(counts)).one()
        return {t.name: row[i] for i, t in enumerate(tables)}

    async def send(self, route: HostileRoute, body: bytes) -> None:
        """Send `body` as the genuine caller would and check the answer, the database, the stub and the log."""
        before = await self.row_counts()
        headers = {"Content-Type": "application/json", **route.sign(body)}
        async with self.http.request(route.method, self.url + route.url_path, data=body, headers=headers) as resp:
            status, raw = resp.status, await resp.read()
            content_type = resp.headers.get("Content-Type", "")
        assert status < 500, (status, raw[:300], body[:300])
        if status >= 400:
            assert content_type.startswith("application/json"), (status, content_type, raw[:300])
            assert isinstance(json.loads(raw).get("error"), str), raw[:300]
        assert await self.row_counts() == before, body[:300]
        assert self.stub.requests == [], body[:300]
        assert self.log.loud() == [], body[:300]


def every_platform_on() -> dict[str, object]:
    """The settings that mount every registered route."""
    return {k: v for route in ROUTES.values() for k, v in route.settings.items()}


def mounted_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves (aiohttp's automatic HEAD routes left out)."""
    return {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD" and r.resource}


@asynccontextmanager
async def hostile_target(db_url: str) -> AsyncIterator[Target]:
    values = every_platform_on()
    recorder = Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    level = root.level
    root.setLevel(logging.INFO)
    services = Services(make_settings(db_url, **values))
    app = create_app(services)
    try:
        async with BotConnectorStub() as stub, served(app) as url, aiohttp.ClientSession() as http:
            recorder.records.clear()
            yield Target(url, services, stub, http, recorder)
    finally:
        root.removeHandler(recorder)
        root.setLevel(level)


@pytest.fixture
async def target(sqlite_url) -> AsyncIterator[Target]:
    async with hostile_target(sqlite_url) as t:
        yield t


def test_every_mounted_route_is_known():
    """A route the family does not know would go untested: register it in tests/hostile/routes.py."""

    app = create_app(Services(make_settings("sqlite+aiosqlite:///:memory:", **every_platform_on())), upgrade=False)
    assert mounted_routes(app) - set(ROUTES) == set(), "mounted routes missing from tests/hostile/routes.py"


WITH_BODIES = [key for key, route in ROUTES.items() if route.templates]


def route_id(key: tuple[str, str]) -> str:
    return " ".join(key)


@pytest.mark.parametrize("key", list(ROUTES), ids=route_id)
@FAMILY
@given(data=st.data())
async def test_raw_hostile_bodies(target, key, data):
    route = ROUTES[key]
    await target.send(route, data.draw(raw_bodies))


@pytest.mark.parametrize("key", WITH_BODIES, ids=route_id)
@FAMILY
@given(data=st.data())
async def test_mutated_platform_payloads(target, key, data):
    route = ROUTES[key]
    template = data.draw(st.sampled_from(route.templates))(target.stub.url)
    await target.send(route, data.draw(mutations(template)))


@pytest.mark.parametrize("key", WITH_BODIES, ids=route_id)
async def test_the_inert_templates_are_accepted_and_inert(target, key):
    """The family's templates must reach the route's real handling (a 2xx or a clear 4xx after the checks),
    else the mutations would only ever test the first check."""
    route = ROUTES[key]
    for template in route.templates:
        await target.send(route, json.dumps(template(target.stub.url)).encode())
