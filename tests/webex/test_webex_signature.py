"""`POST /webex/events` checks `X-Spark-Signature` before anything: a bad one is a 401 that fetches and stores
nothing; a missing secret refuses everything; a signed body that is not a webhook is a 400."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from storage.models import SeenEvent
from tests.webex.helpers import DIRECT, sample, serve_webex, sign


async def _nothing_happened(webex) -> None:
    assert webex.webex.requests == []
    assert await webex.services.tickets.list() == []
    async with webex.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SeenEvent)) == 0


def _signed_direct(webex) -> bytes:
    webhook = sample(DIRECT)
    webex.message(webhook, text="Title: should never exist")
    return json.dumps(webhook).encode()


async def test_a_wrong_signature_is_refused(webex):
    body = _signed_direct(webex)
    status, answer = await webex.post(None, data=body, signature=sign(body, "another-secret"))
    assert status == 401 and "X-Spark-Signature" in answer["error"]
    await _nothing_happened(webex)


async def test_an_altered_body_is_refused(webex):
    body = _signed_direct(webex)
    altered = body.replace(b"jmartan@cisco.com", b"mallory@example.com")
    status, _ = await webex.post(None, data=altered, signature=sign(body))
    assert status == 401
    await _nothing_happened(webex)


@pytest.mark.parametrize("signature", ["", "sha1=abc", "0" * 40])
async def test_a_missing_or_malformed_signature_is_refused(webex, signature):
    body = _signed_direct(webex)
    status, answer = await webex.post(None, data=body, signature=signature)
    assert status == 401 and "error" in answer
    await _nothing_happened(webex)


async def test_an_uppercase_signature_is_refused(webex):
    body = _signed_direct(webex)
    status, _ = await webex.post(None, data=body, signature=sign(body).upper())
    assert status == 401
    await _nothing_happened(webex)


async def test_the_right_signature_is_accepted(webex):
    body = _signed_direct(webex)
    status, _ = await webex.post(None, data=body)
    assert status == 200
    assert len(await webex.services.tickets.list()) == 1


async def test_without_a_secret_every_webhook_is_refused_and_startup_says_why(sqlite_url, webex_api, caplog):
    caplog.set_level(logging.ERROR, logger="adapters.webex")
    async with serve_webex(sqlite_url, webex_api, webex_webhook_secret="") as webex:
        body = _signed_direct(webex)
        status, answer = await webex.post(None, data=body)
        assert status == 401 and "WEBEX_WEBHOOK_SECRET" in answer["error"]
        await _nothing_happened(webex)
    assert any("WEBEX_WEBHOOK_SECRET is empty" in r.getMessage() for r in caplog.records)


async def test_without_a_token_webex_is_off(sqlite_url, webex_api):
    async with serve_webex(sqlite_url, webex_api, webex_access_token="") as webex:
        status, _ = await webex.post(sample(DIRECT))
        assert status == 404
        assert webex.webex.requests == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"resource": "rooms", "event": "created", "data": {"id": "x"}}).encode(), "handles"),
        (json.dumps({"resource": "messages", "event": "created", "data": {}}).encode(), "data.id"),
    ],
)
async def test_a_signed_body_that_is_no_webhook_is_a_400(webex, body, message):
    status, answer = await webex.post(None, data=body)
    assert status == 400 and message in answer["error"]
    await _nothing_happened(webex)


async def test_a_refused_bot_token_is_a_502_not_a_silent_200(webex):
    body = _signed_direct(webex)
    webex.webex.refuse_next(401)
    status, answer = await webex.post(None, data=body)
    assert status == 502 and "error" in answer
    assert await webex.services.tickets.list() == []
