"""Slack payload translation: identities with the team id, scopes, pressed values and submitted modal values."""

from __future__ import annotations

from adapters.slack.translate import pressed_value, scope_of, split_user_key, user_key, view_values


def test_the_same_user_id_in_two_workspaces_is_two_identities():
    assert user_key("T1", "U1") != user_key("T2", "U1")
    assert split_user_key(user_key("T1", "U1")) == ("T1", "U1")
    assert split_user_key("U1") == (None, "U1")


def test_scopes_follow_the_channel_type():
    assert scope_of("D1", "im") == "personal"
    assert scope_of("D1") == "personal"
    assert scope_of("G1", "mpim") == "group"
    assert scope_of("C1", "channel") == "channel" and scope_of("G2", "group") == "channel"


def test_pressed_values_are_our_json_or_nothing():
    assert pressed_value({"value": '{"action":"ticket.close","ticket":4}'}) == {"action": "ticket.close", "ticket": 4}
    assert pressed_value({"selected_option": {"value": '{"action":"ticket.status","status":"Closed"}'}})["status"] \
        == "Closed"
    assert pressed_value({"value": "click_me_123"}) == {}
    assert pressed_value({"value": "[1, 2]"}) == {}


def test_modal_values_are_read_by_input_id():
    view = {"state": {"values": {
        "title": {"title": {"type": "plain_text_input", "value": "VPN"}},
        "priority": {"priority": {"type": "static_select", "selected_option": {"value": "high"}}},
        "description": {"description": {"type": "plain_text_input", "value": None}},
    }}}
    assert view_values(view) == {"title": "VPN", "priority": "high"}
