"""Who may open the web chat: the gate unit-tested on mocked requests, and the token path over real HTTP
(from a non-loopback address of this machine where it has one)."""

from __future__ import annotations

from unittest import mock

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from adapters.web.access import COOKIE, Access, is_local, same_origin
from tests.web.helpers import DANA, greeted, non_loopback_address, serve_web


def _request(remote: str, host: str = "127.0.0.1:3978", path: str = "/chat", **headers: str):
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (remote, 40000) if name == "peername" else default
    return make_mocked_request("GET", path, headers={"Host": host, **headers}, transport=transport)


async def _tokens_are(valid: set[str]):
    async def check(token: str) -> bool:
        return token in valid

    return check


@pytest.mark.parametrize(
    ("remote", "host", "headers", "local"),
    [
        ("127.0.0.1", "127.0.0.1:3978", {}, True),
        ("127.0.0.1", "localhost:3978", {}, True),
        ("::1", "[::1]:3978", {}, True),
        ("::ffff:127.0.0.1", "localhost", {}, True),
        ("192.0.2.7", "127.0.0.1:3978", {}, False),
        ("10.1.2.3", "chat.example.com", {}, False),
        ("127.0.0.1", "127.0.0.1:3978", {"X-Forwarded-For": "203.0.113.9"}, False),
        ("127.0.0.1", "127.0.0.1:3978", {"Forwarded": "for=203.0.113.9"}, False),
        ("127.0.0.1", "rebound.example:3978", {}, False),
    ],
)
def test_only_a_plainly_local_request_is_local(remote, host, headers, local):
    assert is_local(_request(remote, host, **headers)) is local


async def test_off_refuses_every_non_local_caller_even_with_a_token():
    access = Access(open_to_network=False, check=await _tokens_are({"tbw_good"}))
    assert await access.refusal(_request("127.0.0.1")) is None
    refused = await access.refusal(_request("192.0.2.7", Authorization="Bearer tbw_good"))
    assert refused is not None and refused.status == 401
    assert b"TICKETBOT_WEB_CHAT=on" in refused.body


async def test_on_needs_a_live_token_from_everyone():
    access = Access(open_to_network=True, check=await _tokens_are({"tbw_good"}))
    for request in (_request("127.0.0.1"), _request("192.0.2.7")):
        refused = await access.refusal(request)
        assert refused is not None and refused.status == 401
    assert (await access.refusal(_request("192.0.2.7", Authorization="Bearer tbw_bad"))).status == 401
    assert (await access.refusal(_request("192.0.2.7", Authorization="Bearer \u00e9"))).status == 401
    assert await access.refusal(_request("192.0.2.7", Authorization="Bearer tbw_good")) is None
    assert await access.refusal(_request("192.0.2.7", path="/chat?token=tbw_good")) is None
    assert await access.refusal(_request("192.0.2.7", Cookie=f"{COOKIE}=tbw_good")) is None


def test_a_socket_from_another_origin_is_not_the_same_origin():
    assert same_origin(_request("127.0.0.1"))
    assert same_origin(_request("127.0.0.1", Origin="http://127.0.0.1:3978"))
    assert same_origin(_request("10.1.2.3", host="chat.example.com", Origin="https://chat.example.com"))
    assert not same_origin(_request("127.0.0.1", Origin="http://evil.example"))
    assert not same_origin(_request("127.0.0.1", Origin="http://127.0.0.1:8080"))


@pytest.fixture
def address() -> str:
    found = non_loopback_address()
    if found is None:
        pytest.skip("this machine has no non-loopback IPv4 address to serve on")
    return found


async def test_a_non_loopback_caller_gets_401_by_default(sqlite_url, address):
    async with serve_web(sqlite_url, host=address) as app, aiohttp.ClientSession() as http:
        for path in ("/chat", "/chat/chat.js", f"/chat/ws?as={DANA}"):
            async with http.get(f"{app.url}{path}") as response:
                assert response.status == 401, path
                assert "this machine only" in (await response.json())["error"]
        token = await app.services.web_tokens.create("floor 2", actor="test")
        async with http.get(f"{app.url}/chat?token={token.secret}") as response:
            assert response.status == 401


async def test_with_the_setting_a_token_opens_the_chat_until_it_is_revoked(sqlite_url, address):
    async with serve_web(sqlite_url, host=address, web_chat="on") as app:
        tokens = app.services.web_tokens
        token = await tokens.create("floor 2", actor="test")
        # unsafe=True: aiohttp's jar (unlike a browser) keeps no cookie of a bare IP address otherwise.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{app.url}/chat") as response:
                assert response.status == 401 and "needs an access token" in (await response.json())["error"]
            async with http.get(f"{app.url}/chat?token=tbw_guessed") as response:
                assert response.status == 401 and "not valid" in (await response.json())["error"]
            async with http.get(f"{app.url}/chat?token={token.secret}", allow_redirects=False) as response:
                assert response.status == 303 and response.headers["Location"] == "/chat"
                cookie = response.headers["Set-Cookie"]
                assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/chat" in cookie
            async with http.get(f"{app.url}/chat") as response:
                assert response.status == 200, "the cookie carries the token"
            async with http.ws_connect(f"{app.url}/chat/ws?as={DANA}") as ws:
                await greeted(ws)
            await tokens.revoke(token.row.prefix, actor="test")
            async with http.get(f"{app.url}/chat") as response:
                assert response.status == 401
        async with aiohttp.ClientSession() as http:
            bearer = {"Authorization": f"Bearer {(await tokens.create('script', actor='test')).secret}"}
            async with http.get(f"{app.url}/chat", headers=bearer) as response:
                assert response.status == 200
