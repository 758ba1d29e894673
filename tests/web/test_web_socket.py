"""The web chat's socket, driven by an aiohttp client over real HTTP: the conversation, the port, bad frames."""

from __future__ import annotations

import json
import re
from html import unescape

import aiohttp
import pytest
from sqlalchemy import func, select

from adapters.web.port import conversation_of
from bot.seam import Actor, DeliveryError, MessageRef, OutboundMessage
from cards.model import Button, Card, Text
from storage.models import Ticket, TranscriptMessage
from tests.web.helpers import DANA, frames_until_done, greeted


def _input_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no input {name} in {html}"
    return unescape(match.group(1))


def _button(html: str, title: str) -> tuple[str, str]:
    match = re.search(rf'data-verb="([^"]+)" data-values="([^"]*)">{re.escape(title)}</button>', html)
    assert match, f"no button {title} in {html}"
    return match.group(1), unescape(match.group(2))


async def _transcript_size(web) -> int:
    async with web.services.db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(TranscriptMessage))


async def test_a_message_opens_a_draft_and_create_replaces_it_with_the_ticket(web):
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{web.url}/chat/ws?as={DANA}") as ws:
        welcome = await greeted(ws)
        assert (welcome["as"], welcome["bot"]) == (DANA, "Ticketbot")
        (greeting,) = welcome["history"]
        await ws.send_json({"type": "message", "text": "The printer on floor 2 is jammed"})
        echo, draft, linked = await frames_until_done(ws)
        assert echo["author"] == "user" and "The printer on floor 2 is jammed" in echo["html"]
        assert "You are Dana Desk on the desk." in linked["html"]  # said once, on first contact
        assert draft["author"] == "bot" and "New ticket" in draft["html"]
        verb, values = _button(draft["html"], "Create")
        assert verb == "ticket.create"
        title = _input_value(draft["html"], "title")
        await ws.send_json({"type": "action", "message": draft["id"], "verb": verb, "values": {"title": title}})
        (replaced,) = await frames_until_done(ws)
        assert replaced["type"] == "replace" and replaced["id"] == draft["id"]
        assert "#1" in replaced["html"] and "Assign to me" in replaced["html"]

        verb, values = _button(replaced["html"], "Assign to me")
        await ws.send_json({"type": "action", "message": draft["id"], "verb": verb, "values": json.loads(values)})
        (assigned,) = await frames_until_done(ws)
        assert assigned["type"] == "replace" and "Dana Desk" in assigned["html"]

    async with web.services.db.sessions() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket.title == "The printer on floor 2 is jammed" and ticket.origin_platform == "web"
    assert [m.name for m in ticket.assignees] == ["Dana Desk"]

    async with aiohttp.ClientSession() as http, http.ws_connect(f"{web.url}/chat/ws?as={DANA.upper()}") as ws:
        history = (await ws.receive_json())["history"]
    assert [h["id"] for h in history] == [greeting["id"], echo["id"], draft["id"], linked["id"]]
    assert history[2]["html"] == assigned["html"]


async def test_port_send_pushes_to_every_open_tab_and_keeps_it_for_a_later_one(web):
    conversation = await web.port.open_direct(Actor("web", DANA, email=DANA))
    assert conversation == conversation_of(DANA)
    card = Card("Ticket #7 changed", body=(Text("Status: Done"),))
    async with aiohttp.ClientSession() as http:
        first = await http.ws_connect(f"{web.url}/chat/ws?as={DANA}")
        second = await http.ws_connect(f"{web.url}/chat/ws?as={DANA}")
        (greeting,) = (await greeted(first))["history"]
        assert (await greeted(second))["history"] == [greeting], "one welcome card, whichever tab came first"
        sent = await web.port.send(conversation, OutboundMessage("Ticket #7 changed", card))
        for ws in (first, second):
            pushed = await ws.receive_json(timeout=5)
            assert pushed["type"] == "message" and pushed["id"] == sent.message_id
            assert "Ticket #7 changed" in pushed["html"]
        await first.close()
        await second.close()
        later = await web.port.send(conversation, OutboundMessage("Nobody is here"))
        async with http.ws_connect(f"{web.url}/chat/ws?as={DANA}") as ws:
            history = (await ws.receive_json())["history"]
    assert [h["id"] for h in history] == [greeting["id"], sent.message_id, later.message_id]


async def test_the_port_refuses_what_is_not_a_web_conversation(web):
    with pytest.raises(DeliveryError) as refused:
        await web.port.open_direct(Actor("teams", "29:abc"))
    assert refused.value.permanent
    with pytest.raises(DeliveryError):
        await web.port.update(MessageRef(conversation_of(DANA), "nope"), OutboundMessage("x"))
    other = conversation_of("eve@example.com")
    sent = await web.port.send(other, OutboundMessage("for eve", Card("Eve's", actions=(Button("Go", "ticket.show"),))))
    with pytest.raises(DeliveryError):
        await web.port.update(MessageRef(conversation_of(DANA), sent.message_id), OutboundMessage("stolen"))


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "The frame is not JSON."),
        ("[1, 2]", "A frame is a JSON object"),
        ('{"type": "shout"}', "is \"message\" or \"action\""),
        ('{"type": "message", "text": "   "}', "The message is empty."),
        ('{"type": "message", "text": 5}', "`text` must be a text"),
        ('{"type": "message", "text": "' + "x" * 4001 + '"}', "at most 4000 characters"),
        ('{"type": "action", "verb": "ticket.close"}', "which message"),
        ('{"type": "action", "message": "m", "verb": "ticket.close", "values": {"a": {"b": 1}}}', "must be a text"),
    ],
)
async def test_a_bad_frame_gets_an_error_and_changes_nothing(web, frame, error):
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{web.url}/chat/ws?as={DANA}") as ws:
        await greeted(ws)
        before = await _transcript_size(web)
        await ws.send_str(frame)
        reply = await ws.receive_json(timeout=5)
        assert reply["type"] == "error" and error in reply["text"]
        await ws.send_bytes(b"\x00")
        assert (await ws.receive_json(timeout=5))["type"] == "error"
    assert await _transcript_size(web) == before


async def test_the_socket_needs_an_email_and_its_own_origin(web):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{web.url}/chat/ws?as=not-an-email") as response:
            assert response.status == 400
            assert "your email" in (await response.json())["error"]
        headers = {"Origin": "http://evil.example"}
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{web.url}/chat/ws?as={DANA}", headers=headers)
        assert refused.value.status == 403
        async with http.ws_connect(f"{web.url}/chat/ws?as={DANA}", headers={"Origin": web.url}) as ws:
            await greeted(ws)


async def test_the_page_and_its_assets_are_ours_with_a_strict_policy(web):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{web.url}/chat") as page:
            body = await page.text()
            assert page.status == 200 and page.content_type == "text/html"
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert re.findall(r'(?:src|href)="([^"]+)"', body) == ["/chat/chat.css", "/chat/chat.js"]
        for asset, kind in (("chat.js", "text/javascript"), ("chat.css", "text/css")):
            async with http.get(f"{web.url}/chat/{asset}") as response:
                assert response.status == 200 and response.content_type == kind
                assert "http://" not in await response.text() and "https://" not in await response.text()


async def test_a_tab_closed_before_its_reply_loses_nothing(web):
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{web.url}/chat/ws?as={DANA}") as ws:
            await greeted(ws)
            await ws.send_json({"type": "message", "text": "The scanner is offline"})
        async with http.ws_connect(f"{web.url}/chat/ws?as={DANA}") as ws:
            history = (await ws.receive_json())["history"]
            while len(history) < 4:  # the first tab's turn may still be running: its reply then arrives live
                history.append(await ws.receive_json(timeout=10))
    assert [h["author"] for h in history] == ["bot", "user", "bot", "bot"]  # the draft, then "You are … on the desk"
    assert "New ticket" in history[2]["html"]
