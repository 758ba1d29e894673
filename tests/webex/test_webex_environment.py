"""The Webex client honours the proxy and CA settings of its environment, read once when it is made, and never
lets a `~/.netrc` entry replace the bot's token."""

from __future__ import annotations

from adapters.webex.client import WebexClient
from tests.fakes.webex_api import BOT_ID, WebexApiStub

UNREACHABLE_API = "http://webex.invalid/v1/"  # .invalid never resolves: only a proxy can answer for it


async def test_webex_calls_go_through_the_proxy_the_environment_named_when_the_client_was_made(monkeypatch):
    async with WebexApiStub() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with WebexClient("token", UNREACHABLE_API) as client:
            monkeypatch.delenv("HTTP_PROXY")
            me = await client.me()
    assert me["id"] == BOT_ID
    (call,) = proxy.requests
    assert (call.method, call.path, call.headers["Host"]) == ("GET", "/v1/people/me", "webex.invalid")


async def test_a_host_in_no_proxy_is_called_directly(monkeypatch):
    async with WebexApiStub() as webex:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # the discard port: nothing answers there
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with WebexClient("token", webex.api_url) as client:
            me = await client.me()
    assert me["id"] == BOT_ID
    assert [r.path for r in webex.requests] == ["/v1/people/me"]


async def test_a_netrc_entry_for_the_api_host_does_not_replace_the_bot_token(monkeypatch, tmp_path):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    async with WebexApiStub() as webex, WebexClient("the-bot-token", webex.api_url) as client:
        await client.me()
    assert webex.requests[0].headers["Authorization"] == "Bearer the-bot-token"
