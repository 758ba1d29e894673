"""Socket Mode against a local websocket playing Slack's: hello, an events_api envelope acked by its id, a
dropped socket reconnected, and `/readyz` reporting the socket."""

from __future__ import annotations

import asyncio
import logging

from tests.slack.helpers import event, serve_slack


def _envelope(envelope_id: str, body: dict) -> dict:
    return {"envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False, "payload": body,
            "retry_attempt": 0, "retry_reason": ""}


async def test_events_over_the_socket_are_acked_answered_and_survive_a_reconnect(sqlite_url, slack, caplog):
    caplog.set_level(logging.INFO, logger="adapters.slack.socket")
    async with serve_slack(sqlite_url, slack, slack_signing_secret="", slack_app_token="xapp-1-test") as app:
        await slack.wait_connected()
        [opened] = slack.calls_to("apps.connections.open")
        assert opened.token == "xapp-1-test"
        async with app.http.get(app.url + "/readyz") as resp:
            assert resp.status == 200 and (await resp.json())["platforms"]["slack"] is True
        async with app.http.post(app.url + "/slack/events", data=b"{}") as resp:
            assert resp.status in (404, 405)  # no HTTP events endpoint without a signing secret

        first = event("event_callback.message.im.slack-docs.json", text="Title: Socket one")
        await slack.push(_envelope("env-1", first))
        ack = await slack.wait_ack("env-1")
        assert ack["envelope_id"] == "env-1"
        [post] = await slack.wait_for("chat.postMessage")
        assert post.args["channel"] == "D024BE91L"

        await slack.drop()
        await slack.wait_connected(count=2)
        await asyncio.sleep(0.3)  # slack_sdk reconnects on the `disconnect` message and again on the close
        assert len(slack.calls_to("apps.connections.open")) >= 2
        assert any("Reconnecting" in r.getMessage() for r in caplog.records if r.name == "adapters.slack.socket")
        second = event("event_callback.message.im.slack-docs.json", text="Title: Socket two")
        second["event_id"] = "Ev-socket-2"
        await slack.push(_envelope("env-2", second))
        await slack.wait_ack("env-2")
        await slack.wait_for("chat.postMessage", 2)
        titles = sorted(t.title for t in await app.services.tickets.list())
        assert titles == ["Socket one", "Socket two"]


async def test_readyz_says_slack_is_down_while_the_socket_cannot_open(sqlite_url, slack):
    async with serve_slack(sqlite_url, slack, slack_signing_secret="", slack_app_token="not-an-app-token") as app:
        await slack.wait_for("apps.connections.open")
        async with app.http.get(app.url + "/readyz") as resp:
            answer = await resp.json()
        assert resp.status == 503
        assert answer["platforms"]["slack"] is False and "slack" in answer["error"]
