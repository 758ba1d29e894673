"""`ticketbot doctor` against every platform's stub at once (the console script, as an operator runs it):
Teams' Bot Framework token from the local Azure AD, Slack `auth.test` and Socket Mode, Webex `people/me` and
its webhooks, the Graph token, permissions, mailbox and folder. Then each platform refusing: one FAIL line
each, with what to do, and exit code 1. No secret reaches the output.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from adapters.webex.translate import EVENTS
from adapters.webex.webhooks import name_of
from tests.fakes.azure_ad import AzureAd
from tests.fakes.graph import GraphStub
from tests.fakes.login import LoginStub
from tests.fakes.slack_api import SlackApiStub, bot_token
from tests.fakes.webex_api import WebexApiStub
from tests.mail.helpers import MAILBOX, mail_env

SCRIPT = Path(sys.executable).with_name("ticketbot")
SECRETS = ("s3cret-app-password", "xapp-s3cret", "s3cret-webex-token", "s3cret-signing", "s3cret-hook")

ALL_CHECKS = [
    "database reachable", "database migrated",
    "mail graph token", "mail graph permissions", "mail graph mailbox", "mail graph folder",
    "slack events", "slack auth.test", "slack socket mode",
    "teams bot framework token",
    "webex people/me", "webex webhooks registered",
]


async def _doctor(env: dict[str, str], *options: str, within: float = 120) -> tuple[int, str, str]:
    """`ticketbot doctor` with only the platform settings in `env` (none from this environment)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "WEBEX_", "TEAMS_", "GRAPH_"))}
    done = await asyncio.to_thread(
        subprocess.run, [str(SCRIPT), "doctor", *options], env={**clean, **env}, capture_output=True, text=True,
        timeout=within,
    )
    return done.returncode, done.stdout, done.stderr


def _register(webex: WebexApiStub, target: str = "https://bot.example/webex/events") -> None:
    for i, (resource, event) in enumerate(EVENTS):
        webex.webhooks[f"w{i}"] = {"id": f"w{i}", "name": name_of(resource, event), "resource": resource,
                                   "event": event, "targetUrl": target, "status": "active"}


async def test_every_configured_platform_is_checked_end_to_end(sqlite_url, tmp_path):
    async with AzureAd(tmp_path) as aad, SlackApiStub() as slack, WebexApiStub() as webex:
        # the Graph login serves the Bot Framework authority's throwaway certificate too: msal trusts one file
        login = LoginStub(aad.certificate.server_context())
        async with login, GraphStub(MAILBOX, lambda: login.issued) as graph:
            _register(webex)
            env = {
                **mail_env(sqlite_url, login, graph),
                "REQUESTS_CA_BUNDLE": str(aad.ca_file),
                "MicrosoftAppId": "00000000-0000-4000-8000-00000000b07",
                "MicrosoftAppPassword": "s3cret-app-password",
                "TO_CHANNEL_FROM_BOT_LOGIN_URL": aad.authority,
                "SLACK_BOT_TOKEN": bot_token("T111"),
                "SLACK_APP_TOKEN": "xapp-s3cret",
                "SLACK_SIGNING_SECRET": "s3cret-signing",
                "SLACK_API_URL": slack.api_url,
                "WEBEX_ACCESS_TOKEN": "s3cret-webex-token",
                "WEBEX_WEBHOOK_SECRET": "s3cret-hook",
                "WEBEX_API_URL": webex.api_url,
            }
            code, out, err = await _doctor(env, "--json")
            assert code == 0, out + err
            results = json.loads(out)
            assert [r["check"] for r in results] == ALL_CHECKS
            assert all(r["ok"] for r in results), results
            assert len(aad.token_requests) == 1
            assert [c.method for c in slack.calls] == ["auth.test", "apps.connections.open"]
            assert "/v1/people/me" in webex.fetched() and "/v1/webhooks" in webex.fetched()

            # Now every platform refuses, each in its own way.
            slack.refuse_next(error="invalid_auth", method="auth.test")
            slack.refuse_next(error="invalid_auth", method="apps.connections.open")
            webex.refuse_next(401, method="GET")  # people/me
            del webex.webhooks["w0"]
            webex.webhooks["w1"]["status"] = "inactive"
            broken = {
                **env,
                "TO_CHANNEL_FROM_BOT_LOGIN_URL": "https://127.0.0.1:9/adfs",  # nothing listens there
                "GRAPH_CLIENT_SECRET": "wrong",
                "WEBEX_WEBHOOK_SECRET": "",
            }
            code, out, err = await _doctor(broken, "--json")
    assert code == 1
    results = {r["check"]: r for r in json.loads(out)}
    failed = {name for name, r in results.items() if not r["ok"]}
    assert failed == {
        "mail graph token", "mail graph permissions", "mail graph mailbox", "mail graph folder",
        "slack auth.test", "slack socket mode", "teams bot framework token", "webex people/me",
        "webex webhooks registered",
    }
    assert "not checked" in results["mail graph permissions"]["detail"]
    assert "GRAPH_CLIENT_SECRET" in results["mail graph token"]["fix"]
    assert "invalid_auth" in results["slack auth.test"]["detail"] and "SLACK_BOT_TOKEN" in results["slack auth.test"]["fix"]
    assert "MicrosoftAppPassword" in results["teams bot framework token"]["fix"]
    assert "WEBEX_ACCESS_TOKEN" in results["webex people/me"]["fix"]
    hooks = results["webex webhooks registered"]
    first, second = (f"{resource}:{event}" for resource, event in EVENTS[:2])
    assert f"{first} missing" in hooks["detail"] and f"{second} disabled" in hooks["detail"]
    assert "WEBEX_WEBHOOK_SECRET is empty" in hooks["detail"] and "ticketbot webex register" in hooks["fix"]
    assert not any(secret in out + err for secret in SECRETS)


async def test_the_text_report_has_one_line_per_check_with_the_fix(sqlite_url):
    async with SlackApiStub() as slack:
        env = {"DATABASE_URL": sqlite_url, "SLACK_BOT_TOKEN": "xoxp-not-a-bot-token", "SLACK_API_URL": slack.api_url}
        code, out, _err = await _doctor(env, within=60)
    assert code == 1
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok    database reachable", "ok    database migrated", "FAIL  slack events", "FAIL  slack auth.test",
    ]
    assert lines[2].endswith("→ Set SLACK_SIGNING_SECRET (Basic Information → Signing Secret) for HTTP events to "
                             "/slack/events, or SLACK_APP_TOKEN (an app-level token with connections:write) for "
                             "Socket Mode.")
    assert "invalid_auth" in lines[3] and "SLACK_BOT_TOKEN" in lines[3]
