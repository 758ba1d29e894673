"""Slack request signing: bolt checks every request; bad, missing or old signatures get 401 and change nothing."""

from __future__ import annotations

import asyncio
import json
import time

from slack_sdk.signature import SignatureVerifier

from tests.slack.helpers import event, sample, signature


def test_the_documented_signing_example_verifies():
    vector = sample("signature_v0.test-vector.json")
    headers = vector["headers"]
    ts, expected = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert signature(vector["signing_secret"], ts, vector["raw_body"].encode()) == expected
    verifier = SignatureVerifier(vector["signing_secret"], clock=_FixedClock(int(ts)))
    assert verifier.is_valid(vector["raw_body"], ts, expected)
    assert not verifier.is_valid(vector["raw_body"] + "x", ts, expected)


class _FixedClock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


async def _nothing_changed(app, slack) -> None:
    await asyncio.sleep(0.2)
    assert slack.calls_to("chat.postMessage") == []
    assert list(await app.services.tickets.list()) == []


async def test_a_bad_signature_is_refused(app, slack):
    body = json.dumps(event("event_callback.message.im.slack-docs.json", text="Title: x")).encode()
    ts = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature("wrong-secret", ts, body)}
    status, answer = await app.post_raw(body, "application/json", headers=headers, sign=False)
    assert status == 401 and "error" in answer
    await _nothing_changed(app, slack)


async def test_a_missing_signature_is_refused(app, slack):
    status, answer = await app.post_event(event("event_callback.message.im.slack-docs.json", text="Title: x"),
                                          sign=False)
    assert status == 401 and "error" in answer
    await _nothing_changed(app, slack)


async def test_a_timestamp_older_than_five_minutes_is_refused(app, slack):
    old = str(int(time.time()) - 6 * 60)
    status, answer = await app.post_event(event("event_callback.message.im.slack-docs.json", text="Title: x"),
                                          timestamp=old)
    assert status == 401 and "error" in answer
    await _nothing_changed(app, slack)


async def test_a_body_that_is_not_utf8_is_a_400(app):
    status, answer = await app.post_raw(b"\xff\xfe", "application/json")
    assert status == 400 and "UTF-8" in answer["error"]


async def test_json_the_shared_reader_refuses_is_a_400_not_a_500(app, slack):
    """bolt parses with a bare `json.loads`: a 4,301-digit number raised in it (a 500); a list reached bolt."""
    huge = b'{"type": "event_callback", "event_id": ' + b"9" * 4301 + b"}"
    status, answer = await app.post_raw(huge, "application/json")
    assert status == 400 and "digits" in answer["error"]
    status, answer = await app.post_raw(b"[1, 2]", "application/json")
    assert status == 400 and "JSON object" in answer["error"]
    form = b"payload=" + b"%5B" * 100 + b"%5D" * 100
    status, answer = await app.post_raw(form, "application/x-www-form-urlencoded")
    assert status == 400 and "nested" in answer["error"]
    assert slack.calls == []
