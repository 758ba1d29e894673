"""Slack commands, shortcuts, reactions, buttons, modals and App Home, through the served app and the stub."""

from __future__ import annotations

import copy
import json
from urllib.parse import parse_qsl

from tests.slack.helpers import TEAM, assert_block_kit_limits, event, posted_text, sample, serve_slack


def _slash(text: str) -> dict[str, str]:
    fields = dict(parse_qsl(sample("slash_command.bolt-python.form-urlencoded.txt")))
    return {**fields, "command": "/ticket", "text": text, "user_id": "W222"}


def _press(element: dict, *, channel: str, ts: str, user: str = "W222", trigger: str = "t-1") -> dict:
    press = sample("block_actions.bolt-python.json")
    press["user"] = {"id": user, "team_id": TEAM}
    press["trigger_id"] = trigger
    press["container"] = {"type": "message", "message_ts": ts, "channel_id": channel}
    action = {**element, "block_id": "b", "action_ts": "1.2"}
    if element["type"] == "static_select":
        action["selected_option"] = element["options"][-1]
    press["actions"] = [action]
    return press


def _element(blocks: list, verb: str) -> dict:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"].split(":")[0] == verb)


async def _ticket_card(app, slack, title: str = "Printer jammed"):
    await app.post_form(_slash(f"Title: {title}\nPriority: low"))
    [post] = await slack.wait_for("chat.postMessage")
    return post


async def test_slash_command_text_is_a_message_answered_in_its_channel(app, slack):
    status, _ = await app.post_form(_slash("Title: Printer jammed\nPriority: high"))
    assert status == 200
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C111"
    assert "Created ticket #1" in posted_text(post)
    [ticket] = await app.services.tickets.list()
    assert ticket.title == "Printer jammed" and ticket.priority == "high"


async def test_a_select_changes_the_ticket_and_updates_the_pressed_message(app, slack):
    await app.services.members.add("Megan Bowen", "megan@example.com")  # linked by the email users.info gives
    post = await _ticket_card(app, slack)
    select = _element(post.args["blocks"], "ticket.priority")
    status, _ = await app.post_interaction(_press(select, channel="C111", ts=post.answer["ts"]))
    assert status == 200
    [update] = await slack.wait_for("chat.update")
    assert update.args["channel"] == "C111" and update.args["ts"] == post.answer["ts"]
    assert_block_kit_limits(update.args["blocks"])
    assert (await app.services.tickets.get(1)).priority == "critical"


async def test_add_note_opens_a_modal_and_its_submission_adds_the_note(app, slack):
    post = await _ticket_card(app, slack)
    button = _element(post.args["blocks"], "ticket.note")
    await app.post_interaction(_press(button, channel="C111", ts=post.answer["ts"], trigger="trig-note"))
    [opened] = await slack.wait_for("views.open")
    assert opened.args["trigger_id"] == "trig-note"
    view = opened.args["view"]
    assert view["type"] == "modal" and view["blocks"][0]["block_id"] == "note"
    assert_block_kit_limits(view["blocks"], modal=True)
    submission = sample("view_submission.bolt-python.json")
    submission["user"] = {"id": "W222", "team_id": TEAM}
    submission["view"] = {**submission["view"], "callback_id": view["callback_id"],
                          "private_metadata": view["private_metadata"],
                          "state": {"values": {"note": {"note": {"type": "plain_text_input",
                                                                 "value": "Toner <!here> replaced"}}}}}
    status, _ = await app.post_interaction(submission)
    assert status == 200
    [update] = await slack.wait_for("chat.update")
    assert update.args["ts"] == post.answer["ts"]
    assert "Toner &lt;!here&gt; replaced" in posted_text(update)


async def test_a_modal_that_is_not_ours_changes_nothing(app, slack):
    status, _ = await app.post_interaction(sample("view_submission.bolt-python.json"))
    assert status in (200, 404)
    assert slack.calls_to("chat.postMessage") == [] and slack.calls_to("chat.update") == []


async def test_the_draft_form_opens_as_a_modal_and_creates_the_ticket(app, slack):
    await app.post_form(_slash("the printer on floor 3 is jammed"))
    [draft] = await slack.wait_for("chat.postMessage")
    opener = _element(draft.args["blocks"], "form.open")
    await app.post_interaction(_press(opener, channel="C111", ts=draft.answer["ts"], trigger="trig-form"))
    [opened] = await slack.wait_for("views.open")
    view = opened.args["view"]
    assert {b["block_id"] for b in view["blocks"] if b["type"] == "input"} >= {"title", "description", "priority"}
    submission = copy.deepcopy(sample("view_submission.bolt-python.json"))
    submission["user"] = {"id": "W222", "team_id": TEAM}
    values = {"title": {"title": {"type": "plain_text_input", "value": "Floor 3 printer jammed"}},
              "priority": {"priority": {"type": "static_select", "selected_option": {"value": "high"}}}}
    submission["view"] = {**submission["view"], "callback_id": view["callback_id"],
                          "private_metadata": view["private_metadata"], "state": {"values": values}}
    await app.post_interaction(submission)
    [update] = await slack.wait_for("chat.update")
    assert update.args["ts"] == draft.answer["ts"]
    ticket = await app.services.tickets.get(1)
    assert ticket.title == "Floor 3 printer jammed" and ticket.priority == "high"


async def test_message_shortcut_drafts_a_ticket_for_the_author_in_the_thread(app, slack):
    shortcut = {
        "type": "message_action", "callback_id": "create_ticket", "trigger_id": "trig-sc",
        "team": {"id": TEAM}, "user": {"id": "W111", "team_id": TEAM}, "channel": {"id": "C111"},
        "message": {"type": "message", "user": "W222", "ts": "1600000000.000100", "text": "VPN drops every hour"},
        "response_url": "https://hooks.slack.com/app/x", "message_ts": "1600000000.000100",
    }
    status, _ = await app.post_interaction(shortcut)
    assert status == 200
    [draft] = await slack.wait_for("chat.postMessage")
    assert draft.args["channel"] == "C111" and draft.args["thread_ts"] == "1600000000.000100"
    text = posted_text(draft)
    assert "VPN drops every hour" in text and "p1600000000000100" in text
    [link] = slack.calls_to("chat.getPermalink")
    assert link.args["message_ts"] == "1600000000.000100"
    create = _element(draft.args["blocks"], "ticket.create")
    await app.post_interaction(_press(create, channel="C111", ts=draft.answer["ts"], user="W222", trigger="trig-c"))
    await slack.wait_for("chat.update")
    ticket = await app.services.tickets.get(1)
    assert ticket.title.startswith("VPN drops every hour")
    assert ticket.requester_name == "Megan Bowen"


async def test_a_ticket_reaction_drafts_from_the_message_and_other_reactions_do_nothing(app, slack):
    slack.messages[("C111", "1600000000.000200")] = {"type": "message", "user": "W222", "ts": "1600000000.000200",
                                                     "text": "Projector in room 5 is dead"}
    other = event("event_callback.app_mention.bolt-python.json")
    other["event"] = {"type": "reaction_added", "user": "W111", "reaction": "thumbsup",
                      "item": {"type": "message", "channel": "C111", "ts": "1600000000.000200"},
                      "item_user": "W222", "event_ts": "1.1"}
    other["event_id"] = "Ev-thumbs"
    await app.post_event(other)
    ticket = copy.deepcopy(other)
    ticket["event"]["reaction"] = "ticket"
    ticket["event_id"] = "Ev-ticket"
    await app.post_event(ticket)
    [draft] = await slack.wait_for("chat.postMessage")
    assert draft.args["thread_ts"] == "1600000000.000200"
    assert "Projector in room 5 is dead" in posted_text(draft)
    assert len(slack.calls_to("conversations.replies")) == 1


async def test_app_home_lists_my_tickets(app, slack):
    await _ticket_card(app, slack, "Monitor flickers")
    home = event("event_callback.app_mention.bolt-python.json")
    home["event"] = {"type": "app_home_opened", "user": "W222", "channel": "D222", "tab": "home", "event_ts": "2.2"}
    home["event_id"] = "Ev-home"
    status, _ = await app.post_event(home)
    assert status == 200
    [published] = await slack.wait_for("views.publish")
    assert published.args["user_id"] == "W222"
    view = published.args["view"]
    assert view["type"] == "home"
    assert "Monitor flickers" in json.dumps(view["blocks"])
    assert len(view["blocks"]) <= 100


async def test_a_button_in_app_home_answers_in_the_dm_and_refreshes_home(app, slack):
    await _ticket_card(app, slack, "Keyboard sticky")
    home = event("event_callback.app_mention.bolt-python.json")
    home["event"] = {"type": "app_home_opened", "user": "W222", "channel": "D222", "tab": "home", "event_ts": "2.2"}
    home["event_id"] = "Ev-home-2"
    await app.post_event(home)
    [published] = await slack.wait_for("views.publish")
    show = _element(published.args["view"]["blocks"], "ticket.show")
    press = _press(show, channel="", ts="")
    press["container"] = {"type": "view", "view_id": "V123"}
    status, _ = await app.post_interaction(press)
    assert status == 200
    posts = await slack.wait_for("chat.postMessage", 2)
    assert posts[-1].args["channel"] == "DW222" and "Keyboard sticky" in posted_text(posts[-1])
    await slack.wait_for("views.publish", 2)


def _home_opened(user: str, event_id: str) -> dict:
    home = event("event_callback.app_mention.bolt-python.json")
    home["event"] = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home", "event_ts": "2.2"}
    home["event_id"] = event_id
    return home


async def test_app_home_of_a_desk_member_adds_the_teams_open_tickets_and_others_see_only_their_own(app, slack):
    await app.services.members.add("Megan Bowen", "megan@example.com")
    await app.post_form({**_slash("Title: Printer jammed\nPriority: low"), "user_id": "W111", "trigger_id": "trig-1"})
    await app.post_form({**_slash("Title: VPN down\nPriority: high"), "user_id": "W444", "trigger_id": "trig-2"})
    await slack.wait_for("chat.postMessage", 2)
    await app.post_event(_home_opened("W222", "Ev-home-member"))
    [member_home] = await slack.wait_for("views.publish")
    blocks = member_home.args["view"]["blocks"]
    assert_block_kit_limits(blocks)
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert headers == ["My open tickets", "Open tickets"]
    assert "Printer jammed" in json.dumps(blocks) and "VPN down" in json.dumps(blocks)
    shows = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert {"ticket.show:1", "ticket.show:2"} <= set(shows)

    await app.post_event(_home_opened("W111", "Ev-home-requester"))
    published = await slack.wait_for("views.publish", 2)
    own = published[-1]
    assert own.args["user_id"] == "W111"
    text = json.dumps(own.args["view"]["blocks"])
    assert "Printer jammed" in text and "VPN down" not in text and "desk members" not in text
    assert [b["text"]["text"] for b in own.args["view"]["blocks"] if b["type"] == "header"] == ["My open tickets"]


async def test_open_form_on_a_draft_sent_before_a_restart_opens_it_from_the_stored_draft(sqlite_url, slack):
    async with serve_slack(sqlite_url, slack) as before:
        await before.post_form(_slash("the printer on floor 3 is jammed"))
        [draft] = await slack.wait_for("chat.postMessage")
    opener = _element(draft.args["blocks"], "form.open")
    async with serve_slack(sqlite_url, slack) as after:
        await after.post_interaction(_press(opener, channel="C111", ts=draft.answer["ts"], trigger="trig-late"))
        [opened] = await slack.wait_for("views.open")
        assert opened.args["trigger_id"] == "trig-late"
        view = opened.args["view"]
        assert_block_kit_limits(view["blocks"], modal=True)
        inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
        assert "printer on floor 3" in inputs["title"]["initial_value"]
        assert {"description", "priority", "board"} <= set(inputs)
        assert len(slack.calls_to("chat.postMessage")) == 1  # no "send your request again"
        submission = copy.deepcopy(sample("view_submission.bolt-python.json"))
        submission["user"] = {"id": "W222", "team_id": TEAM}
        values = {"title": {"title": {"type": "plain_text_input", "value": "Floor 3 printer jammed"}}}
        submission["view"] = {**submission["view"], "callback_id": view["callback_id"],
                              "private_metadata": view["private_metadata"], "state": {"values": values}}
        await after.post_interaction(submission)
        [update] = await slack.wait_for("chat.update")
        assert update.args["ts"] == draft.answer["ts"]
        ticket = await after.services.tickets.get(1)
        assert ticket.title == "Floor 3 printer jammed" and ticket.requester_name == "Megan Bowen"


async def test_open_form_on_a_draft_already_created_before_a_restart_shows_the_ticket(sqlite_url, slack):
    async with serve_slack(sqlite_url, slack) as before:
        await before.post_form(_slash("the scanner is offline"))
        [draft] = await slack.wait_for("chat.postMessage")
        create = _element(draft.args["blocks"], "ticket.create")
        await before.post_interaction(_press(create, channel="C111", ts=draft.answer["ts"], trigger="trig-c"))
        await slack.wait_for("chat.update")
    opener = _element(draft.args["blocks"], "form.open")
    async with serve_slack(sqlite_url, slack) as after:
        await after.post_interaction(_press(opener, channel="C111", ts=draft.answer["ts"], trigger="trig-late"))
        updates = await slack.wait_for("chat.update", 2)
        assert updates[-1].args["ts"] == draft.answer["ts"]
        assert "Already created as #1" in posted_text(updates[-1])
        assert slack.calls_to("views.open") == []
        assert len(await after.services.tickets.list(limit=10)) == 1
