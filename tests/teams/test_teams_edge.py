"""What the Teams endpoints refuse at the edge, before anything is stored or sent: ids and names that are not
plain text, serviceUrls that are not http(s) or (in local mode) not on the allowed hosts, hostile bodies behind a
valid webhook signature, and a signature header that is not ASCII."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select

from adapters.teams.webhook import signature
from storage.models import Conversation, SeenEvent, Ticket
from tests.http import parse_answer, raw_exchange
from tests.teams.helpers import TeamsApp, serve_teams, variant

MESSAGE = "message.personal.sentry.json"
SECRET = base64.b64encode(b"outgoing-webhook-security-token-32b").decode()
KEY = base64.b64decode(SECRET)
WEBHOOK = "/api/teams/webhook"


async def assert_nothing_stored_or_sent(app: TeamsApp) -> None:
    assert app.connector.requests == []
    async with app.services.db.sessions() as session:
        for table in (Conversation, SeenEvent, Ticket):
            assert await session.scalar(select(func.count()).select_from(table)) == 0, table


def with_field(activity: dict, path: str, value: object) -> dict:
    changed = variant(activity)
    *parents, last = path.split(".")
    target = changed
    for step in parents:
        target = target.setdefault(step, {})
    target[last] = value
    return changed


@pytest.mark.parametrize("path", ["id", "conversation.id", "from.id", "from.name", "recipient.id", "conversation.name"])
@pytest.mark.parametrize(
    "bad",
    ["a\u0000b", "a\r\nX-Injected: 1", "line\nbreak", "\ud800", "tail\udfff"],
    ids=["nul", "crlf", "lf", "high", "low"],
)
async def test_ids_and_names_with_bad_characters_are_400(teams, path, bad):
    activity = with_field(teams.sample(MESSAGE), path, bad)
    activity["text"] = "Title: must not be stored"
    status, body = await teams.post(activity)
    assert status == 400 and isinstance(body["error"], str), body
    await assert_nothing_stored_or_sent(teams)


async def test_a_surrogate_in_the_senders_name_is_a_clear_400_not_an_apology(teams):
    activity = with_field(teams.sample(MESSAGE), "from.name", "Megan \udc80")
    activity["text"] = "help"
    status, body = await teams.post(activity)
    assert status == 400 and "surrogate" in body["error"]
    await assert_nothing_stored_or_sent(teams)


@pytest.mark.parametrize("path", ["id", "conversation.id", "from.id", "from.name"])
async def test_ids_of_the_wrong_type_are_400(teams, path):
    status, body = await teams.post(with_field(teams.sample(MESSAGE), path, {"nested": ["x"]}))
    assert status == 400 and body["error"]
    await assert_nothing_stored_or_sent(teams)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/", "javascript:alert(1)", "garbage", "//127.0.0.1:9/", "http://", "http://[::1"],
)
async def test_service_urls_that_are_not_http_are_400(teams, url):
    activity = teams.sample(MESSAGE)
    activity.update(serviceUrl=url, text="Title: must not be stored")
    status, body = await teams.post(activity)
    assert status == 400 and "serviceUrl" in body["error"]
    await assert_nothing_stored_or_sent(teams)


async def test_local_mode_sends_only_to_the_allowed_hosts(sqlite_url, connector):
    async with serve_teams(sqlite_url, connector, teams_service_url_hosts="smba.trafficmanager.net") as app:
        activity = app.sample(MESSAGE)
        activity["text"] = "Title: must not be stored"
        status, body = await app.post(activity)
        assert status == 400 and "TEAMS_SERVICE_URL_HOSTS" in body["error"]
        await assert_nothing_stored_or_sent(app)
    async with serve_teams(sqlite_url, connector, teams_service_url_hosts="*.example.org, 127.0.0.1") as app:
        activity = app.sample(MESSAGE)
        activity["text"] = "help"
        assert (await app.post(activity))[0] == 200
        assert len(app.connector.activities()) == 1


def test_the_default_hosts_are_loopback_and_the_bot_connector():
    from bot.settings import Settings

    hosts = Settings(_env_file=None).teams_service_url_host_list
    assert {"127.0.0.1", "::1", "localhost", "smba.trafficmanager.net", "*.botframework.com"} <= set(hosts)


@pytest.fixture
async def webhook(sqlite_url, connector):
    async with serve_teams(sqlite_url, connector, teams_webhook_secret=SECRET) as app:
        yield app


@pytest.mark.parametrize(
    "body",
    [b"[" * 10_000 + b"]" * 10_000, b'{"type": "message", "id": ' + b"7" * 5000 + b"}",
     json.dumps({"type": "message", "text": "\ud800", "conversation": {"id": "c"}, "from": {"id": "u"}}).encode(),
     json.dumps({"type": "message", "conversation": {"id": "c\r\nX: y"}, "from": {"id": "u"}}).encode()],
    ids=["deep", "huge-number", "surrogate", "crlf-id"],
)
async def test_signed_hostile_bodies_on_the_webhook_are_400(webhook, body):
    status, reply = await webhook.post(None, path=WEBHOOK, data=body, headers={"Authorization": signature(KEY, body)})
    assert status == 400 and reply["error"]
    await assert_nothing_stored_or_sent(webhook)


async def test_a_signature_header_that_is_not_ascii_is_401(webhook):
    body = b'{"type": "message"}'
    request = (
        b"POST " + WEBHOOK.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: HMAC \xff\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    status, headers, answer = parse_answer(await raw_exchange(webhook.url, request))
    assert status == 401 and headers["content-type"].startswith("application/json")
    assert "signature" in json.loads(answer)["error"]
    await assert_nothing_stored_or_sent(webhook)


async def test_a_900_kb_message_gets_a_reply_teams_accepts(teams):
    from adapters.teams.translate import CARD_CONTENT_TYPE
    from cards.adaptive import MAX_CARD_BYTES, card_bytes

    activity = teams.sample(MESSAGE)
    activity["text"] = "printer " * (900 * 1024 // 8)
    assert (await teams.post(activity))[0] == 200
    [reply] = teams.connector.activities()
    # Teams refuses a bot message over 40 KB, counted in UTF-16.
    assert len(json.dumps(reply.json, ensure_ascii=False).encode("utf-16-le")) <= 40 * 1024
    for attachment in reply.json.get("attachments", []):
        assert attachment["contentType"] == CARD_CONTENT_TYPE
        assert card_bytes(attachment["content"]) <= MAX_CARD_BYTES


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64])
async def test_show_of_a_number_no_ticket_can_have_is_a_clear_answer(db_url, connector, caplog, number):
    async with serve_teams(db_url, connector) as app:
        activity = app.sample(MESSAGE)
        activity["text"] = f"show {number}"
        assert (await app.post(activity))[0] == 200
        [reply] = app.connector.activities()
        assert f"There is no ticket #{number}" in json.dumps(reply.json)
        assert not [r for r in caplog.records if r.exc_info]
