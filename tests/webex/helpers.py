"""Webex test helpers: the webhook samples, signing, card checks, and the real app served on a local port."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest

from bot.app import create_app
from bot.services import Services
from tests.fakes.webex_api import WebexApiStub
from tests.helpers import make_settings
from tests.http import served

TESTS = Path(__file__).resolve().parents[1]
PAYLOADS = TESTS / "payloads" / "webex"
SCHEMAS = TESTS / "schemas"
SECRET = "webhook-secret-for-tests"
TOKEN = "bot-token-for-tests"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"

DIRECT = "webhook.messages.created.direct.captured.json"
GROUP = "webhook.messages.created.webex-docs.json"
ACTION = "webhook.attachmentActions.created.captured.json"


def sample(name: str) -> dict[str, Any]:
    """A webhook sample shipped with the tests; fails the test clearly when it is missing."""
    path = PAYLOADS / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: the Webex tests need the payload samples under {PAYLOADS}")
    return json.loads(path.read_text())


def sign(body: bytes, secret: str = SECRET) -> str:
    """The `X-Spark-Signature` Webex sends: lowercase hex HMAC-SHA1 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def card_schema() -> dict[str, Any]:
    """The official Adaptive Card 1.5 schema."""
    return json.loads((SCHEMAS / "adaptive-card.v1.5.json").read_text())


def _newer_than_1_3(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The element types and property names the schema marks as added after 1.3."""
    types: set[str] = set()
    properties: set[str] = set()
    for name, definition in schema["definitions"].items():
        if definition.get("version") in ("1.4", "1.5"):
            types.add(name)
        for prop, spec in (definition.get("properties") or {}).items():
            if isinstance(spec, dict) and spec.get("version") in ("1.4", "1.5"):
                properties.add(prop.rstrip("?"))
    return types, properties


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for child in node.values():
            yield from _walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child)


def check_card(card: dict[str, Any]) -> None:
    """The card is valid Adaptive Card JSON, version 1.3, using nothing newer, with at most 5 actions."""
    schema = card_schema()
    jsonschema.validate(card, schema)
    assert card["version"] == "1.3"
    assert len(card.get("actions", [])) <= 5
    newer_types, newer_properties = _newer_than_1_3(schema)
    for node in _walk(card):
        assert node.get("type") not in newer_types, node
        assert not newer_properties & set(node) - {"type"}, node
        assert node.get("style") != "heading", node  # TextBlock style "heading" is 1.5
    assert "Action.Execute" not in json.dumps(card)


def card_of(posted: dict[str, Any]) -> dict[str, Any]:
    """The single Adaptive Card of a posted message."""
    [attachment] = posted["attachments"]
    assert attachment["contentType"] == CARD_TYPE
    return attachment["content"]


def submit(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The data of the card's Submit action with this verb (looking inside ShowCard prompts too)."""
    for node in _walk(card):
        if node.get("type") == "Action.Submit" and node.get("data", {}).get("action") == verb:
            return dict(node["data"])
    raise AssertionError(f"no {verb} on the card")


@dataclass
class WebexApp:
    """The served app, its services, an HTTP client to post webhooks with, and the Webex API stub."""

    url: str
    services: Services
    http: aiohttp.ClientSession
    webex: WebexApiStub

    async def post(self, webhook: Any, *, signature: str | None = None, data: bytes | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """POST the webhook (or raw `data`) signed with the test secret unless `signature` is given ("" sends
        no signature header)."""
        body = data if data is not None else json.dumps(webhook).encode()
        sent = {"Content-Type": "application/json"}
        if signature != "":
            sent["X-Spark-Signature"] = sign(body) if signature is None else signature
        async with self.http.post(self.url + "/webex/events", data=body, headers={**sent, **(headers or {})}) as resp:
            raw = await resp.read()
            return resp.status, json.loads(raw) if raw else None

    def message(self, webhook: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """Put the message the webhook names into the stub (Webex's GET /messages/{id} answer)."""
        data = webhook["data"]
        message = {
            "id": data["id"],
            "roomId": data["roomId"],
            "roomType": data.get("roomType", "group"),
            "personId": data["personId"],
            "personEmail": data.get("personEmail"),
            "created": data.get("created"),
            **fields,
        }
        self.webex.messages[data["id"]] = message
        return message


def variant(webhook: dict[str, Any], **data: Any) -> dict[str, Any]:
    """A deep copy of the webhook with fields of its `data` replaced."""
    copied = copy.deepcopy(webhook)
    copied["data"].update(data)
    return copied


@asynccontextmanager
async def serve_webex(db_url: str, webex: WebexApiStub, **settings: Any) -> AsyncIterator[WebexApp]:
    """The whole app over `db_url`, its Webex adapter pointed at the stub, served on a free local port."""
    values = {"webex_access_token": TOKEN, "webex_webhook_secret": SECRET, "webex_api_url": webex.api_url, **settings}
    services = Services(make_settings(db_url, **values))
    async with served(create_app(services)) as url, aiohttp.ClientSession() as http:
        yield WebexApp(url, services, http, webex)
