"""`ticketbot webex register|webhooks`, run for real in a subprocess against the Webex API stub."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from tests.fakes.webex_api import WebexApiStub

SCRIPT = Path(sys.executable).with_name("ticketbot")
EXPECTED = {("messages", "created"), ("attachmentActions", "created"), ("memberships", "created")}


@pytest.fixture
def cli(tmp_path, webex_api):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "WEBEX_", "TEAMS_"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", WEBEX_ACCESS_TOKEN="token",
               WEBEX_API_URL=webex_api.api_url)

    async def run(*args: str, ok: bool = True, **extra: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            str(SCRIPT), *args, env={**env, **extra}, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        if ok:
            assert process.returncode == 0, err.decode()
        return process.returncode or 0, out.decode(), err.decode()

    return run


async def test_register_twice_leaves_three_webhooks_with_the_secret(cli, webex_api: WebexApiStub):
    _, out, _ = await cli("webex", "register", "--url", "https://bot.example.com/", "--secret", "s3cret")
    assert [line.split()[0] for line in out.splitlines()] == ["created"] * 3
    _, out, _ = await cli("webex", "register", "--url", "https://bot.example.com", "--secret", "s3cret")
    assert [line.split()[0] for line in out.splitlines()] == ["updated"] * 3
    hooks = list(webex_api.webhooks.values())
    assert {(h["resource"], h["event"]) for h in hooks} == EXPECTED and len(hooks) == 3
    assert {h["targetUrl"] for h in hooks} == {"https://bot.example.com/webex/events"}
    assert {h["secret"] for h in hooks} == {"s3cret"}
    assert all(h["status"] == "active" for h in hooks)


async def test_register_without_a_secret_generates_and_prints_one(cli, webex_api: WebexApiStub):
    _, out, _ = await cli("webex", "register", "--url", "https://bot.example.com")
    secret = out.strip().splitlines()[-1]
    assert len(secret) >= 32 and "WEBEX_WEBHOOK_SECRET" in out
    assert {h["secret"] for h in webex_api.webhooks.values()} == {secret}


async def test_register_uses_the_configured_secret(cli, webex_api: WebexApiStub):
    _, out, _ = await cli("webex", "register", "--url", "https://bot.example.com", WEBEX_WEBHOOK_SECRET="from-env")
    assert "from-env" not in out
    assert {h["secret"] for h in webex_api.webhooks.values()} == {"from-env"}


async def test_register_re_enables_a_disabled_webhook_and_moves_the_url(cli, webex_api: WebexApiStub):
    await cli("webex", "register", "--url", "https://old.example.com", "--secret", "a")
    disabled = next(iter(webex_api.webhooks.values()))
    disabled["status"] = "disabled"
    _, listed, _ = await cli("webex", "webhooks")
    assert "disabled" in listed
    await cli("webex", "register", "--url", "https://new.example.com", "--secret", "b")
    hooks = list(webex_api.webhooks.values())
    assert len(hooks) == 3 and all(h["status"] == "active" for h in hooks)
    assert {h["targetUrl"] for h in hooks} == {"https://new.example.com/webex/events"}


async def test_register_removes_duplicates_left_by_older_runs(cli, webex_api: WebexApiStub):
    await cli("webex", "register", "--url", "https://bot.example.com", "--secret", "a")
    copy = dict(next(iter(webex_api.webhooks.values())), id="DUPLICATE")
    webex_api.webhooks["DUPLICATE"] = copy
    await cli("webex", "register", "--url", "https://bot.example.com", "--secret", "a")
    assert len(webex_api.webhooks) == 3 and "DUPLICATE" not in webex_api.webhooks


async def test_webhooks_lists_status_as_json_without_secrets(cli, webex_api: WebexApiStub):
    await cli("webex", "register", "--url", "https://bot.example.com", "--secret", "hidden")
    _, out, _ = await cli("webex", "webhooks", "--json")
    listed = json.loads(out)
    assert {(h["resource"], h["event"]) for h in listed} == EXPECTED
    assert all(h["status"] == "active" for h in listed)
    assert "hidden" not in out


async def test_register_refuses_a_url_that_is_not_https(cli, webex_api: WebexApiStub):
    code, _, err = await cli("webex", "register", "--url", "http://bot.example.com", ok=False)
    assert code == 1 and "https://" in err
    assert webex_api.requests == []


async def test_without_a_token_the_cli_says_so(cli, webex_api: WebexApiStub):
    code, _, err = await cli("webex", "webhooks", ok=False, WEBEX_ACCESS_TOKEN="")
    assert code == 1 and "WEBEX_ACCESS_TOKEN" in err


async def test_a_refusal_is_one_line_not_a_traceback(cli, webex_api: WebexApiStub):
    webex_api.refuse_next(401)
    code, _, err = await cli("webex", "webhooks", ok=False)
    assert code == 1 and err.startswith("error: Webex refused") and "Traceback" not in err
