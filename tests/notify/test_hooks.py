"""`POST /hooks/tickets` through the served app: signed PSA events upsert tickets and notify once."""

from __future__ import annotations

import hashlib
import hmac
import json

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.services import Services
from storage.models import Delivery, Ticket, TimelineEntry
from tests.helpers import make_settings
from tests.http import served
from tests.notify.helpers import make_desk

SECRET = "psa-hook-secret"

CREATED = {
    "event": "created",
    "ticket": {
        "external_id": "CW-1001", "board": "Service Desk", "title": "VPN drops every hour", "status": "New",
        "priority": "high", "assignees": ["alice@example.com"], "requester": "bob@example.com",
    },
}
UPDATED = {
    "event": "updated",
    "ticket": {**CREATED["ticket"], "status": "In Progress"},
    "note": {"id": "N-77", "author": "carol@example.com", "text": "Replaced the router firmware.", "internal": False},
}


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Ticketbot-Signature": f"sha256={digest}"}


@pytest.fixture
async def hook(sqlite_url):
    services = Services(make_settings(sqlite_url, hook_secret=SECRET, outbox_worker=False))
    desk = await make_desk(services)
    await services.rules.add("Service Desk", desk.rooms["A"])
    async with served(create_app(services, upgrade=False)) as url, aiohttp.ClientSession() as http:

        async def post(body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
            async with http.post(url + "/hooks/tickets", data=body, headers=headers) as response:
                return response.status, await response.json()

        yield desk, post


async def _rows(services) -> tuple[int, int, int]:
    async with services.db.sessions() as session:
        return (
            await session.scalar(select(func.count()).select_from(Ticket)),
            await session.scalar(select(func.count()).select_from(TimelineEntry)),
            await session.scalar(select(func.count()).select_from(Delivery)),
        )


async def test_signed_create_then_update_notify_once_and_replays_change_nothing(hook):
    desk, post = hook
    created, updated = json.dumps(CREATED).encode(), json.dumps(UPDATED).encode()
    assert await post(created, signed(created)) == (200, {"ticket": 1, "changed": True})
    await desk.drain()
    assert desk.received() == {"room-a": 1, "dm:alice": 1}
    assert await post(updated, signed(updated)) == (200, {"ticket": 1, "changed": True})
    await desk.drain()
    # The status change and Carol's public note reach the assignee and the requester, once per change.
    assert desk.received() == {"room-a": 1, "dm:alice": 3, "dm:bob": 2}
    ticket = await desk.services.tickets.get(1)
    assert (ticket.external_id, ticket.status.name, [m.name for m in ticket.assignees]) == (
        "CW-1001", "In Progress", ["Alice"]
    )
    before = await _rows(desk.services)
    for body in (created, updated, updated):
        status, answer = await post(body, signed(body))
        assert (status, answer) == (200, {"ticket": 1, "changed": False})
    await desk.drain()
    assert desk.received() == {"room-a": 1, "dm:alice": 3, "dm:bob": 2}
    assert await _rows(desk.services) == before


async def test_a_bad_or_missing_signature_is_401_and_stores_nothing(hook):
    desk, post = hook
    body = json.dumps(CREATED).encode()
    for headers in ({"Content-Type": "application/json"}, signed(body, "wrong"), signed(body + b" ")):
        status, answer = await post(body, headers)
        assert status == 401 and "X-Ticketbot-Signature" in answer["error"]
    assert await _rows(desk.services) == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "created", "ticket": {k: v for k, v in CREATED["ticket"].items() if k != "title"}}, "ticket.title"),
        ({**CREATED, "event": "deleted"}, "event"),
        ({**CREATED, "ticket": {**CREATED["ticket"], "assignees": ["nobody@example.com"]}}, "ticket.assignees"),
        ({**CREATED, "ticket": {**CREATED["ticket"], "board": "Nowhere"}}, "ticket.board"),
        ({**UPDATED, "note": {"id": "N-1", "author": "carol@example.com"}}, "note.text"),
    ],
)
async def test_an_invalid_body_is_400_naming_the_field(hook, body, field):
    desk, post = hook
    raw = json.dumps(body).encode()
    status, answer = await post(raw, signed(raw))
    assert status == 400 and answer["error"].startswith(f"{field}:"), answer
    assert await _rows(desk.services) == (0, 0, 0)


async def test_a_body_that_is_not_json_is_400(hook):
    _, post = hook
    status, answer = await post(b"{not json", signed(b"{not json"))
    assert status == 400 and answer["error"]
