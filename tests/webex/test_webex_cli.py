"""`ticketbot webex register|webhooks`: the real commands against the Webex API stub.

Each command runs in a worker thread (its own `asyncio.run`), so the stub keeps serving on the test's loop.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.fakes.webex_api import WebexApiStub

EXPECTED = {("messages", "created"), ("attachmentActions", "created"), ("memberships", "created"),
            ("memberships", "deleted")}
UNSET = ("WEBEX_WEBHOOK_SECRET", "MicrosoftAppId", "SLACK_BOT_TOKEN", "TICKETBOT_HOOK_SECRET")


@pytest.fixture
def cli(tmp_path, monkeypatch, webex_api):
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    env: dict[str, str | None] = {name: None for name in UNSET}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", WEBEX_ACCESS_TOKEN="token",
               WEBEX_API_URL=webex_api.api_url)
    runner = CliRunner()

    async def run(*args: str, ok: bool = True, **extra: str) -> tuple[int, str, str]:
        result = await asyncio.to_thread(runner.invoke, app, list(args), env={**env, **extra})
        if ok:
            assert result.exit_code == 0, result.stderr or repr(result.exception)
        return result.exit_code, result.stdout, result.stderr

    return run


async def test_register_is_idempotent_re_enables_and_moves_webhooks(cli, webex_api: WebexApiStub):
    _, out, _ = await cli("webex", "register", "--url", "https://bot.example.com/", "--secret", "s3cret")
    assert [line.split()[0] for line in out.splitlines()] == ["created"] * 4
    _, out, _ = await cli("webex", "register", "--url", "https://bot.example.com", "--secret", "s3cret")
    assert [line.split()[0] for line in out.splitlines()] == ["updated"] * 4
    hooks = list(webex_api.webhooks.values())
    assert {(h["resource"], h["event"]) for h in hooks} == EXPECTED and len(hooks) == 4
    assert {h["targetUrl"] for h in hooks} == {"https://bot.example.com/webex/events"}
    assert {h["secret"] for h in hooks} == {"s3cret"}

    hooks[0]["status"] = "disabled"  # Webex disabled it after failed deliveries
    webex_api.webhooks["DUPLICATE"] = dict(hooks[1], id="DUPLICATE")  # left by an older run
    _, listed, _ = await cli("webex", "webhooks")
    assert listed.splitlines()[0].startswith("disabled")

    _, out, _ = await cli("webex", "register", "--url", "https://new.example.com", WEBEX_WEBHOOK_SECRET="from-env")
    assert "from-env" not in out
    hooks = list(webex_api.webhooks.values())
    assert len(hooks) == 4 and "DUPLICATE" not in webex_api.webhooks
    assert all(h["status"] == "active" for h in hooks)
    assert {h["targetUrl"] for h in hooks} == {"https://new.example.com/webex/events"}
    assert {h["secret"] for h in hooks} == {"from-env"}

    _, out, _ = await cli("webex", "webhooks", "--json")
    listed = json.loads(out)
    assert {(h["resource"], h["event"]) for h in listed} == EXPECTED
    assert all(h["status"] == "active" for h in listed) and "from-env" not in out


async def test_register_without_a_secret_generates_and_prints_one(cli, webex_api: WebexApiStub):
    _, out, _ = await cli("webex", "register", "--url", "https://bot.example.com")
    secret = out.strip().splitlines()[-1]
    assert len(secret) >= 32 and "WEBEX_WEBHOOK_SECRET" in out
    assert {h["secret"] for h in webex_api.webhooks.values()} == {secret}


async def test_bad_input_and_refusals_are_one_line_errors(cli, webex_api: WebexApiStub):
    code, _, err = await cli("webex", "register", "--url", "http://bot.example.com", ok=False)
    assert code == 1 and "https://" in err
    assert webex_api.requests == []
    code, _, err = await cli("webex", "webhooks", ok=False, WEBEX_ACCESS_TOKEN="")
    assert code == 1 and "WEBEX_ACCESS_TOKEN" in err
    webex_api.refuse_next(401)
    code, _, err = await cli("webex", "webhooks", ok=False)
    assert code == 1 and err.startswith("error: Webex refused") and "Traceback" not in err
