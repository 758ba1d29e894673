"""Malformed HTTP/1.1 framing, sent over raw sockets to the app served the way `ticketbot serve` serves it:
every answer is a JSON error, and a client's fault is at most one INFO line in the log, never a traceback."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.app import create_app
from bot.services import Services
from tests.helpers import make_settings
from tests.http import parse_answer, raw_exchange, served

MESSAGES = b"POST /api/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"


@pytest.fixture
async def app_url(sqlite_url):
    async with served(create_app(Services(make_settings(sqlite_url)))) as url:
        yield url


def assert_quiet(caplog: pytest.LogCaptureFixture, *, most: int = 1) -> None:
    """Nothing above INFO and no traceback; at most `most` lines from our own code about it."""
    loud = [r for r in caplog.records if r.levelno > logging.INFO or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]
    ours = [r for r in caplog.records if r.name.startswith("bot.")]
    assert len(ours) <= most, [r.getMessage() for r in ours]


@pytest.mark.parametrize(
    "request_bytes",
    [
        MESSAGES + b"Content-Length: abc\r\n\r\n{}",
        MESSAGES + b"Content-Length: -1\r\n\r\n{}",
        MESSAGES + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        MESSAGES + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        MESSAGES + b"X-Long: " + b"a" * 10_000 + b"\r\nContent-Length: 2\r\n\r\n{}",
        b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
        MESSAGES + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ],
    ids=["not-a-number", "negative", "two-lengths", "length-and-chunked", "long-header", "long-request-line",
         "bad-chunk-size"],
)
async def test_malformed_framing_is_a_json_400_and_one_info_line(app_url, caplog, request_bytes):
    caplog.set_level(logging.INFO)
    caplog.clear()
    status, headers, body = parse_answer(await raw_exchange(app_url, request_bytes))
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]
    assert_quiet(caplog)


async def test_a_client_hanging_up_mid_body_leaves_no_traceback(app_url, caplog):
    caplog.set_level(logging.INFO)
    caplog.clear()
    await raw_exchange(app_url, MESSAGES + b"Content-Length: 100000\r\n\r\n{\"type\": \"mess", close_after_send=True)
    # The server notices the hang-up when it next reads: a following request shows it is still serving.
    health = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    for _ in range(20):
        status, _, body = parse_answer(await raw_exchange(app_url, health))
        assert status == 200 and json.loads(body) == {"status": "ok"}
        await asyncio.sleep(0.02)
    assert_quiet(caplog)


async def test_an_unknown_route_and_method_are_json_too(app_url):
    for request in (b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    b"DELETE /api/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
        status, headers, body = parse_answer(await raw_exchange(app_url, request))
        assert status in (404, 405) and headers["content-type"].startswith("application/json")
        assert json.loads(body)["error"]
