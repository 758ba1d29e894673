"""The Bot Connector clients serialise a reply's card as the JSON it already is, and everything else as msrest does."""

from __future__ import annotations

import json

from botbuilder.schema import Activity, Attachment, ChannelAccount, ConversationAccount, HeroCard
from botframework.connector import models
from msrest.serialization import Serializer

from adapters.teams.connector import WireSerializer

MODELS = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "#1 Printer", "wrap": True}]}


def _reply(*attachments: Attachment) -> Activity:
    return Activity(
        type="message",
        text="#1 Printer",
        conversation=ConversationAccount(id="a:1"),
        from_property=ChannelAccount(id="28:bot"),
        recipient=ChannelAccount(id="29:user"),
        attachments=list(attachments),
    )


def test_a_card_reply_is_the_same_json_msrest_writes_and_the_activity_is_left_as_it_was():
    activity = _reply(Attachment(content_type="application/vnd.microsoft.card.adaptive", content=CARD))
    wire = WireSerializer(MODELS).body(activity, "Activity")
    assert json.dumps(wire, sort_keys=True) == json.dumps(Serializer(MODELS).body(activity, "Activity"), sort_keys=True)
    assert wire["attachments"][0]["content"] is CARD
    assert activity.attachments[0].content is CARD


def test_sdk_model_content_is_still_serialised_by_msrest():
    activity = _reply(Attachment(content_type="application/vnd.microsoft.card.hero", content=HeroCard(title="Hi")))
    wire = WireSerializer(MODELS).body(activity, "Activity")
    assert wire["attachments"][0]["content"] == {"title": "Hi"}
