"""The outgoing-webhook mode: HMAC-signed channel messages answered in the HTTP response."""

from __future__ import annotations

import base64
import json

import jsonschema
import pytest
from sqlalchemy import func, select

from adapters.teams.webhook import signature
from storage.models import SeenEvent
from tests.teams.helpers import schema, serve_teams

SECRET = base64.b64encode(b"outgoing-webhook-security-token-32b").decode()
KEY = base64.b64decode(SECRET)
PATH = "/api/teams/webhook"


@pytest.fixture
async def webhook(sqlite_url, connector):
    async with serve_teams(sqlite_url, connector, teams_webhook_secret=SECRET) as app:
        yield app


def webhook_message(app, text: str) -> bytes:
    """A channel message as an outgoing webhook receives it: no recipient, the webhook's mention in the text."""
    activity = app.sample("message.channel.mention-bot.teams-net.json")
    activity.pop("recipient")
    activity["text"] = f"<at>ridotest</at> {text}"
    return json.dumps(activity).encode()


async def seen_events(app) -> int:
    async with app.services.db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(SeenEvent))


async def test_a_signed_message_gets_the_reply_with_a_card(webhook):
    body = webhook_message(webhook, "Title: Coffee machine leaks")
    status, reply = await webhook.post(None, path=PATH, data=body, headers={"Authorization": signature(KEY, body)})
    assert status == 200
    assert reply["type"] == "message" and reply["textFormat"] == "plain"
    [attachment] = reply["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert "#1 Coffee machine leaks" in json.dumps(card)
    assert "actions" not in card, "an outgoing webhook cannot receive card actions"
    jsonschema.Draft6Validator(schema("adaptive-card.v1.5.json")).validate(card)
    [ticket] = await webhook.services.tickets.list()
    assert ticket.title == "Coffee machine leaks"
    assert webhook.connector.requests == [], "the webhook answers synchronously only"
    assert await webhook.services.conversations.get("teams", "19:6848757105754c8981c67612732d9aa7@thread.tacv2") is None


async def test_a_plain_text_answer(webhook):
    body = webhook_message(webhook, "show 99")
    status, reply = await webhook.post(None, path=PATH, data=body, headers={"Authorization": signature(KEY, body)})
    assert status == 200 and "99" in reply["text"] and "attachments" not in reply


@pytest.mark.parametrize("case", ["no-header", "wrong-key", "altered-body", "not-hmac", "garbage"])
async def test_bad_signatures_are_401_and_reach_nothing(webhook, case):
    body = webhook_message(webhook, "Title: Should never exist")
    headers = {
        "no-header": {},
        "wrong-key": {"Authorization": signature(b"another-key", body)},
        "altered-body": {"Authorization": signature(KEY, body.replace(b"never", b"surely"))},
        "not-hmac": {"Authorization": signature(KEY, body).replace("HMAC", "Bearer")},
        "garbage": {"Authorization": "HMAC ☃"},
    }[case]
    status, reply = await webhook.post(None, path=PATH, data=body, headers=headers)
    assert status == 401 and "signature" in reply["error"]
    assert await webhook.services.tickets.list() == []
    assert await seen_events(webhook) == 0


async def test_signed_bad_bodies_are_400(webhook):
    invoke = {"type": "invoke", "conversation": {"id": "c"}, "from": {"id": "u"}}
    for body in (b"{nope", b"[]", json.dumps(invoke).encode()):
        status, reply = await webhook.post(None, path=PATH, data=body, headers={"Authorization": signature(KEY, body)})
        assert status == 400 and reply["error"]
    assert await seen_events(webhook) == 0


async def test_the_webhook_is_off_without_a_valid_secret(sqlite_url, connector):
    for secret in ("", "not base64!"):
        async with serve_teams(sqlite_url, connector, teams_webhook_secret=secret) as app:
            body = b"{}"
            status, _ = await app.post(None, path=PATH, data=body, headers={"Authorization": signature(KEY, body)})
            assert status == 404
