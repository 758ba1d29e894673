"""The Slack app manifest: valid YAML with the fields Slack needs, and scopes that match exactly the Web API
methods the adapter was seen calling at the stub."""

from __future__ import annotations

import copy
import json

import yaml
from typer.testing import CliRunner

from adapters.slack.declared import BOT_SCOPES, METHOD_SCOPES
from adapters.slack.directory import bot_conversations
from bot.cli.manifest import manifest_app
from bot.seam import Actor
from manifest.slack import slack_manifest
from tests.slack.helpers import OAUTH, event, install_workspace, sample, serve_slack


def test_the_http_manifest_points_everything_at_the_events_url():
    manifest = yaml.safe_load(yaml.safe_dump(slack_manifest(url="https://bot.example.com/", name="Desk")))
    events = "https://bot.example.com/slack/events"
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == events
    assert settings["interactivity"] == {"is_enabled": True, "request_url": events}
    assert settings["socket_mode_enabled"] is False
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.im", "message.channels", "message.groups", "reaction_added", "app_home_opened"}
    features = manifest["features"]
    assert features["bot_user"]["display_name"] == "Desk"
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["slash_commands"][0]["command"] == "/ticket" and features["slash_commands"][0]["url"] == events
    assert features["shortcuts"][0]["callback_id"] == "create_ticket" and features["shortcuts"][0]["type"] == "message"
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert "redirect_urls" not in manifest["oauth_config"]


def test_socket_mode_has_no_urls_and_oauth_adds_the_redirect():
    socket = slack_manifest(url=None, name="Desk", socket_mode=True)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in json.dumps(socket).replace("redirect_urls", "")
    oauth = slack_manifest(url="https://bot.example.com", name="Desk", oauth=True)
    assert oauth["oauth_config"]["redirect_urls"] == ["https://bot.example.com/slack/oauth_redirect"]


def test_the_cli_writes_the_yaml_and_refuses_a_bad_url(tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_CLIENT_ID", raising=False)
    out = tmp_path / "slack.yaml"
    done = CliRunner().invoke(manifest_app, ["slack", "--url", "https://bot.example.com", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert yaml.safe_load(out.read_text())["settings"]["interactivity"]["is_enabled"] is True
    socket = CliRunner().invoke(manifest_app, ["slack", "--socket-mode"])
    assert socket.exit_code == 0 and yaml.safe_load(socket.output)["settings"]["socket_mode_enabled"] is True
    bad = CliRunner().invoke(manifest_app, ["slack", "--url", "http://bot.example.com"])
    assert bad.exit_code == 1 and "https" in bad.output


def _press(element: dict, channel: str, ts: str, team: str, trigger: str) -> dict:
    press = copy.deepcopy(sample("block_actions.bolt-python.json"))
    press["user"] = {"id": "W222", "team_id": team}
    press["team"] = {"id": team}
    press["trigger_id"] = trigger
    press["container"] = {"type": "message", "message_ts": ts, "channel_id": channel}
    press["actions"] = [{**element, "block_id": "b", "action_ts": "1.2"}]
    return press


async def test_scopes_cover_exactly_the_methods_the_adapter_calls(sqlite_url, slack):
    """Every feature once — Socket Mode, an OAuth install, a 🎫 reaction, a form, a button, App Home, a DM, sync — and
    the methods the stub saw are exactly the ones the manifest's scopes are derived from."""
    slack.users["W222"] = {"id": "W222", "name": "megan", "profile": {"email": "megan@example.com"}}
    slack.messages[("C111", "1600000000.000300")] = {"type": "message", "user": "W222", "ts": "1600000000.000300",
                                                     "text": "Badge reader broken"}
    async with serve_slack(sqlite_url, slack, **OAUTH, slack_app_token="xapp-1-test") as app:
        await slack.wait_connected()
        state = await install_workspace(app)
        callback = f"{app.url}/slack/oauth_redirect?code=good-code&state={state}"
        async with app.http.get(callback, headers={"Cookie": f"slack-app-oauth-state={state}"}) as resp:
            assert resp.status == 200
        reaction = event("event_callback.app_mention.bolt-python.json")
        reaction.pop("enterprise_id")
        reaction["team_id"] = "T222"
        reaction["event"] = {"type": "reaction_added", "user": "W111", "reaction": "ticket", "event_ts": "1.1",
                             "item": {"type": "message", "channel": "C111", "ts": "1600000000.000300"}}
        await app.post_event(reaction)
        [draft] = await slack.wait_for("chat.postMessage")
        elements = [e for b in draft.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
        opener = next(e for e in elements if e["action_id"] == "form.open")
        await app.post_interaction(_press(opener, "C111", draft.answer["ts"], "T222", "trig-1"))
        await slack.wait_for("views.open")
        create = next(e for e in elements if e["action_id"] == "ticket.create")
        await app.post_interaction(_press(create, "C111", draft.answer["ts"], "T222", "trig-2"))
        await slack.wait_for("chat.update")
        home = copy.deepcopy(reaction)
        home["event"] = {"type": "app_home_opened", "user": "W222", "channel": "D222", "tab": "home", "event_ts": "2"}
        home["event_id"] = "Ev-home"
        await app.post_event(home)
        await slack.wait_for("views.publish")
        await app.services.ports["slack"].open_direct(Actor("slack", "T222:W222"))
        await bot_conversations("xoxb-T222", slack.api_url)  # `ticketbot sync`
    seen = {call.method for call in slack.calls}
    assert seen == set(METHOD_SCOPES)
    assert all(call.token == "xoxb-T222" for call in slack.calls if call.method.startswith(("chat.", "views.")))
