"""Teams activity JSON ↔ the seam, on the payload samples and small variants."""

from __future__ import annotations

import pytest

from adapters.teams.translate import (
    BadActivity,
    check,
    conversation_reference,
    inbound_event,
    message_activity,
    split_thread,
)
from bot.seam import ConversationRef, EventKind, OutboundMessage
from cards.model import Card, Text
from tests.teams.helpers import payload, variant

STUB = "http://127.0.0.1:1/"


def sample(name: str) -> dict:
    return payload(name, STUB)


def test_thread_ids_are_split_off_channel_conversations():
    assert split_thread("19:abc@thread.tacv2;messageid=17") == ("19:abc@thread.tacv2", "17")
    assert split_thread("a:personal") == ("a:personal", None)


def test_personal_message():
    event = inbound_event(sample("message.personal.msteams-docs.json"))
    assert event.kind is EventKind.MESSAGE
    assert event.text == "Hello Teams TestBot.Sending bold-italic rich text"
    assert event.actor.user_id == "7faf8ab2-3d56-4244-b585-20c8a42ed2b8" and event.actor.name == "Megan Bowen"
    assert event.conversation.scope == "personal" and event.conversation.thread_id is None
    assert event.conversation.data["user_id"] == event.actor.user_id
    assert event.idempotency_key.endswith(":1485983408511")


def test_sender_without_an_aad_object_id_is_known_by_its_teams_id():
    activity = sample("message.channel.messageBack-value.msteams-docs.json")
    assert inbound_event(activity).actor.user_id == "29:102jd210jd010icsoaeclaejcoa9ue09u"


def test_channel_mention_is_removed_and_the_thread_kept():
    event = inbound_event(sample("message.channel.mention-bot.teams-net.json"))
    assert event.text == "reply to thread"
    assert event.mentions == ()
    ref = event.conversation
    assert (ref.conversation_id, ref.thread_id, ref.scope) == (
        "19:6848757105754c8981c67612732d9aa7@thread.tacv2", "1759881511856", "channel")
    assert ref.data["teams_channel_id"] == ref.conversation_id


def test_mentions_of_other_people_are_listed_and_kept_in_the_text():
    activity = sample("message.channel.mention-bot.teams-net.json")
    activity["text"] = "<at>ridotest</at> assign 4 to <at>Megan Bowen</at>"
    activity["entities"].append({"type": "mention", "text": "<at>Megan Bowen</at>",
                                 "mentioned": {"id": "29:megan", "name": "Megan Bowen"}})
    event = inbound_event(activity)
    assert event.text == "assign 4 to Megan Bowen"
    assert [(m.user_id, m.name) for m in event.mentions] == [("29:megan", "Megan Bowen")]


def test_a_channel_post_that_does_not_mention_the_bot_is_ignored():
    activity = sample("message.channel.mention-bot.teams-net.json")
    activity["entities"] = activity["entities"][1:]
    assert inbound_event(activity) is None


def test_card_actions_from_execute_and_submit():
    execute = sample("invoke.adaptiveCard-action.personal.teams-net.json")
    execute["value"]["action"]["verb"] = "ticket.close"
    event = inbound_event(execute)
    assert event.kind is EventKind.CARD_ACTION and event.action == "ticket.close"
    assert event.values == {"feedback": "test invokes"}
    assert event.source_message.message_id == "1767765488332"
    legacy = variant(execute, replyToId=None)
    assert inbound_event(legacy).source_message.message_id == "1:12SWreU4430kJA9eZCb1kXDuo6A8KdDEGB6d9TkjuDYM"
    submit = inbound_event(sample("message.channel.messageBack-value.msteams-docs.json"))
    assert submit.kind is EventKind.CARD_ACTION and submit.action == "unknown"
    assert submit.values == {"property": "propertyValue"}
    assert submit.conversation.scope == "channel" and submit.source_message.message_id == "1575667808184"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("conversationUpdate.bot-added-personal.sentry.json", EventKind.INSTALLED),
        ("conversationUpdate.bot-added-to-team.sentry.json", EventKind.INSTALLED),
        ("conversationUpdate.bot-added-to-team.msteams-docs.json", EventKind.INSTALLED),
        ("installationUpdate.add.team.msteams-docs.json", EventKind.INSTALLED),
        ("conversationUpdate.bot-removed-from-team.sentry.json", EventKind.UNINSTALLED),
    ],
)
def test_installs_and_uninstalls(name, kind):
    event = inbound_event(sample(name))
    assert event.kind is kind
    assert event.conversation.data["service_url"] == STUB and event.conversation.data["tenant_id"]


def test_a_user_joining_is_not_an_install():
    activity = sample("conversationUpdate.bot-added-to-team.sentry.json")
    activity["membersAdded"] = [{"id": "29:someone"}]
    assert inbound_event(activity) is None


def test_the_bots_own_messages_are_ignored():
    activity = sample("message.personal.sentry.json")
    activity["from"] = dict(activity["recipient"])
    assert inbound_event(activity) is None


def test_check_names_what_is_missing():
    good = sample("message.personal.sentry.json")
    assert check(good) is good
    with pytest.raises(BadActivity, match="serviceUrl"):
        check(variant(good, serviceUrl=""))
    with pytest.raises(BadActivity, match=r"from\.id"):
        check(variant(good, **{"from": {"id": 5}}))
    assert check(variant(good, serviceUrl=None), service_url=False)


def test_outbound_messages():
    text = message_activity(OutboundMessage("<at>everyone</at> *hi*"))
    assert (text.text, text.text_format, text.attachments) == ("<at>everyone</at> *hi*", "plain", None)
    card = message_activity(OutboundMessage("fallback", Card("Title", (Text("body"),))))
    assert card.summary == "fallback" and card.text is None
    assert card.attachments[0].content["version"] == "1.5"


def test_references_for_proactive_sends():
    data = {"service_url": STUB, "tenant_id": "t1", "bot_id": "28:bot", "bot_name": "Bot"}
    thread = conversation_reference(ConversationRef("teams", "19:c@thread.tacv2", "42", "channel", data))
    assert thread.conversation.id == "19:c@thread.tacv2;messageid=42"
    assert thread.conversation.conversation_type == "channel" and thread.conversation.is_group
    assert thread.bot.id == "28:bot" and thread.service_url == STUB and thread.channel_id == "msteams"
    personal = conversation_reference(ConversationRef("teams", "a:1", None, "personal", data))
    assert personal.conversation.id == "a:1" and not personal.conversation.is_group


def test_long_texts_are_cut_to_what_teams_takes():
    from adapters.teams.translate import MAX_TEXT, message_activity
    from bot.seam import OutboundMessage
    from cards.model import Card

    for message in (OutboundMessage("word " * 200_000), OutboundMessage("😀" * 200_000, Card("T"))):
        activity = message_activity(message)
        shown = activity.text or activity.summary
        assert len(shown) <= MAX_TEXT and shown.endswith("…")
        assert len(shown.encode("utf-16-le")) <= 28 * 1024
