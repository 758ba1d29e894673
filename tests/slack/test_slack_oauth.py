"""OAuth v2 installs into several workspaces: the install redirect, the callback exchanging a code at the stub,
the installation in our database, and events from the new workspace answered with its own token."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.slack.helpers import OAUTH, event, install_workspace, serve_slack


async def test_install_stores_the_workspace_and_its_events_use_its_token(db_url, slack):
    async with serve_slack(db_url, slack, **OAUTH) as app:
        state = await install_workspace(app)
        callback = f"{app.url}/slack/oauth_redirect?code=good-code&state={state}"
        async with app.http.get(callback, headers={"Cookie": f"slack-app-oauth-state={state}"}) as resp:
            assert resp.status == 200
        [exchange] = slack.calls_to("oauth.v2.access")
        assert exchange.args["code"] == "good-code"
        async with app.services.db.transaction() as session:
            rows = (await session.execute(text("select team_id, bot_token from slack_bots"))).all()
        assert [tuple(r) for r in rows] == [("T222", "xoxb-T222")]

        body = event("event_callback.message.im.slack-docs.json", text="Title: From the client", team="T222")
        body["team_id"] = "T222"
        body["authorizations"][0]["team_id"] = "T222"
        status, _ = await app.post_event(body)
        assert status == 200
        [post] = await slack.wait_for("chat.postMessage")
        assert post.token == "xoxb-T222"
        [ticket] = await app.services.tickets.list()
        assert ticket.title == "From the client"


async def test_a_callback_with_a_forged_state_installs_nothing(sqlite_url, slack):
    async with serve_slack(sqlite_url, slack, **OAUTH) as app:
        forged = "abc.9999999999.0000"
        callback = f"{app.url}/slack/oauth_redirect?code=good-code&state={forged}"
        async with app.http.get(callback, headers={"Cookie": f"slack-app-oauth-state={forged}"}) as resp:
            assert resp.status >= 400
        assert slack.calls_to("oauth.v2.access") == []


async def test_events_from_a_workspace_that_never_installed_get_no_answer(sqlite_url, slack):
    async with serve_slack(sqlite_url, slack, **OAUTH) as app:
        body = event("event_callback.message.im.slack-docs.json", text="Title: Stranger")
        await app.post_event(body)
        await asyncio.sleep(0.3)
        assert slack.calls_to("chat.postMessage") == []
        assert list(await app.services.tickets.list()) == []
