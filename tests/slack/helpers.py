"""Slack test helpers: the payload samples, Slack's request signing, and the real app served on a local port."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest

from bot.app import create_app
from bot.services import Services
from cards.blockkit import (
    MAX_ACTION_ELEMENTS,
    MAX_BUTTON_VALUE,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_MODAL_BLOCKS,
    MAX_SECTION_TEXT,
)
from tests.fakes.slack_api import SlackApiStub, bot_token
from tests.helpers import make_settings
from tests.http import served

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "slack"
SIGNING_SECRET = "s3cret-signing"
TEAM = "T111"


def sample(name: str) -> Any:
    """A payload sample shipped with the tests (JSON, or the raw text of a `.txt` sample)."""
    path = PAYLOADS / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: the Slack tests need the payload samples")
    return path.read_text() if path.suffix == ".txt" else json.loads(path.read_text())


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def event(name: str, **changes: Any) -> dict[str, Any]:
    """A sample Events API payload with fields of its `event` replaced."""
    body = copy.deepcopy(sample(name))
    body["event"].update(changes)
    return body


@dataclass
class SlackApp:
    """The served app, its services, the Slack stub and an HTTP client that posts signed requests."""

    url: str
    services: Services
    http: aiohttp.ClientSession
    slack: SlackApiStub
    secret: str = SIGNING_SECRET

    async def post_raw(self, body: bytes, content_type: str, *, headers: dict[str, str] | None = None,
                       timestamp: str | None = None, sign: bool = True) -> tuple[int, Any]:
        ts = timestamp or str(int(time.time()))
        sent = {"Content-Type": content_type}
        if sign:
            sent |= {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(self.secret, ts, body)}
        sent |= headers or {}
        async with self.http.post(self.url + "/slack/events", data=body, headers=sent) as resp:
            raw = await resp.read()
            try:
                answer = json.loads(raw) if raw else None
            except ValueError:
                answer = raw.decode()
            return resp.status, answer

    async def post_event(self, body: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
        return await self.post_raw(json.dumps(body).encode(), "application/json", **kwargs)

    async def post_interaction(self, payload: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post_raw(body, "application/x-www-form-urlencoded", **kwargs)

    async def post_form(self, fields: dict[str, str], **kwargs: Any) -> tuple[int, Any]:
        return await self.post_raw(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kwargs)


@asynccontextmanager
async def serve_slack(db_url: str, slack: SlackApiStub, **settings: Any) -> AsyncIterator[SlackApp]:
    """The whole app over `db_url`, Slack pointed at the stub (single workspace unless told otherwise)."""
    values = {"slack_bot_token": bot_token(TEAM), "slack_signing_secret": SIGNING_SECRET,
              "slack_api_url": slack.api_url, **settings}
    services = Services(make_settings(db_url, **values))
    async with served(create_app(services)) as url, aiohttp.ClientSession() as http:
        yield SlackApp(url, services, http, slack)


def assert_block_kit_limits(blocks: list[dict[str, Any]], *, modal: bool = False) -> None:
    """The blocks stay within Slack's documented limits (counts and text lengths)."""
    assert len(blocks) <= (MAX_MODAL_BLOCKS if modal else MAX_MESSAGE_BLOCKS)
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER_TEXT
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT
            assert len(block.get("fields", [])) <= MAX_FIELDS
        if block["type"] == "actions":
            assert len(block["elements"]) <= MAX_ACTION_ELEMENTS
            for element in block["elements"]:
                assert len(element.get("value", "")) <= MAX_BUTTON_VALUE


def posted_text(call: Any) -> str:
    """The visible text of a chat.postMessage / chat.update call: its text and its blocks' texts."""
    parts = [str(call.args.get("text", ""))]
    for block in call.args.get("blocks") or []:
        parts.append(json.dumps(block, ensure_ascii=False))
    return "\n".join(parts)


OAUTH = {"slack_bot_token": "", "slack_client_id": "111.222", "slack_client_secret": "client-s3cret",
         "slack_state_secret": "state-s3cret"}


async def install_workspace(app) -> str:
    """Start an OAuth install: the redirect to Slack's authorize page, checked; returns its state."""
    async with app.http.get(app.url + "/slack/install", allow_redirects=False) as resp:
        assert resp.status == 302
        location = resp.headers["Location"]
        cookie = resp.cookies["slack-app-oauth-state"].value
    query = parse_qs(urlsplit(location).query)
    assert location.startswith("https://slack.com/oauth/v2/authorize?")
    assert query["client_id"] == ["111.222"]
    assert "chat:write" in query["scope"][0].split(",")
    state = query["state"][0]
    assert cookie == state
    return state
