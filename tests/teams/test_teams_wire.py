"""Activities read and replies written without msrest's walk are exactly what msrest reads and writes."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount, ConversationAccount, Mention
from botbuilder.schema.teams import TeamsChannelAccount
from botframework.connector import models
from msrest.exceptions import DeserializationError
from msrest.serialization import Deserializer, Model, Serializer

from adapters.teams.connector import WireDeserializer, WireSerializer
from adapters.teams.translate import message_activity
from adapters.teams.wire import activity_from_json, model_json
from bot.seam import OutboundMessage
from cards.model import Button, Card, Fact, Facts, Text
from tests.teams.helpers import MEGAN_ID, PAYLOADS, ROSTER

MODELS = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
SAMPLES = sorted(path.name for path in PAYLOADS.glob("*.json"))
assert SAMPLES, f"no Teams payload samples under {PAYLOADS}"


def tree(value: Any) -> Any:
    """A model as (class, attributes), recursively, so that two reads compare class by class and field by field."""
    if isinstance(value, Model):
        return type(value), {k: tree(v) for k, v in vars(value).items()}
    if isinstance(value, dict):
        return dict, {k: tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tree(v) for v in value]
    return type(value), value


def sample(name: str) -> dict[str, Any]:
    body = json.loads((PAYLOADS / name).read_text())
    assert isinstance(body, dict)
    return body


def reads_alike(body: dict[str, Any], monkeypatch: pytest.MonkeyPatch | None = None) -> Activity:
    """The activity read both ways; with `monkeypatch`, msrest is not let in on the direct read."""
    before = copy.deepcopy(body)
    msrest = Activity().deserialize(copy.deepcopy(body))
    if monkeypatch is not None:
        monkeypatch.setattr(Activity, "deserialize", None)
    ours = activity_from_json(body)
    assert tree(ours) == tree(msrest)
    assert body == before
    return ours


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_activity_is_read_as_msrest_reads_it(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    reads_alike(sample(name), monkeypatch)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_activity_is_written_back_as_msrest_writes_it(name: str) -> None:
    activity = Activity().deserialize(sample(name))
    ours, msrest = model_json(activity, MODELS), Serializer(MODELS)._serialize(activity, "Activity")
    assert json.dumps(ours) == json.dumps(msrest)  # the same keys, in the same order


def test_the_read_keeps_unknown_keys_dates_and_copies_of_free_form_values(monkeypatch: pytest.MonkeyPatch) -> None:
    body = sample("message.channel.mention-bot.teams-net.json") | {"timestamp": "2026-12-02T10:11:12.345Z", "x": [1]}
    activity = reads_alike(body, monkeypatch)
    assert activity.additional_properties == {"x": [1]}
    assert isinstance(activity.timestamp, datetime)
    assert activity.entities and activity.entities[0].additional_properties
    assert activity.channel_data == body["channelData"] and activity.channel_data is not body["channelData"]


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-12-02T10:11:12.3456789Z",  # seven digits, as the Connector writes them: cut to six, as msrest cuts
        "2026-12-02T10:11:12Z",
        "2026-12-02T10:11:12.5+01:00",  # an offset: msrest reads it
        "2026-12-02t10:11:12z",
    ],
)
def test_timestamps_are_read_as_the_same_instant_in_the_same_zone(stamp: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = sample("message.personal.msteams-docs.json") | {"timestamp": stamp, "localTimestamp": stamp}
    msrest = Activity().deserialize(copy.deepcopy(body))
    ours = reads_alike(body, monkeypatch)
    for read, expected in ((ours.timestamp, msrest.timestamp), (ours.local_timestamp, msrest.local_timestamp)):
        assert (read, read.microsecond, type(read.tzinfo)) == (expected, expected.microsecond, type(expected.tzinfo))


@pytest.mark.parametrize(
    "changes",
    [
        {"id": 5},  # msrest turns a number where a string is declared into a string
        {"historyDisclosed": 1},  # and 1 into True
        {"membersAdded": [{"id": 7}]},
        {"channelData": {"tenant": {"id": "t"}, "n": 1.5, "ok": True, "none": None}},
    ],
)
def test_values_of_another_type_are_read_by_msrest(changes: dict[str, Any]) -> None:
    reads_alike(sample("message.personal.msteams-docs.json") | changes)


@pytest.mark.parametrize(
    "changes",
    [{"timestamp": "yesterday"}, {"timestamp": "2026-02-30T10:11:12Z"}, {"from": "alice"}, {"membersAdded": "alice"}],
)
def test_values_msrest_refuses_are_refused_as_msrest_refuses_them(changes: dict[str, Any]) -> None:
    body = sample("message.personal.msteams-docs.json") | changes
    with pytest.raises(DeserializationError):
        Activity().deserialize(copy.deepcopy(body))
    with pytest.raises(DeserializationError):
        activity_from_json(body)


def _reply(message: OutboundMessage) -> Activity:
    incoming = Activity().deserialize(sample("message.personal.msteams-docs.json"))
    reply = message_activity(message)
    return TurnContext.apply_conversation_reference(reply, TurnContext.get_conversation_reference(incoming))


CARD = Card(
    "#7 Printer", (Text("**jammed** on <at>3</at>"), Facts((Fact("Status", "New"),))), (Button("Close", "ticket.close"),)
)


@pytest.mark.parametrize(
    "activity",
    [
        _reply(OutboundMessage("#7 Printer", CARD)),
        _reply(OutboundMessage("Saved.", None)),
        Activity(
            type=ActivityTypes.message,
            text="<at>Megan</at> hi",
            entities=[Mention(mentioned=ChannelAccount(id="29:m", name="Megan"), text="<at>Megan</at>", type="mention")],
            conversation=ConversationAccount(id="19:c@thread.tacv2;messageid=1", is_group=True),
            channel_data={"notification": {"alert": True}},
            attachments=[Attachment(content_type="image/png", content_url="https://x/y.png", name="y.png")],
        ),
    ],
    ids=["card", "text", "mention"],
)
def test_a_reply_is_written_as_the_json_msrest_writes(activity: Activity) -> None:
    ours = WireSerializer(MODELS).body(activity, "Activity")
    msrest = Serializer(MODELS).body(copy.deepcopy(activity), "Activity")
    assert json.dumps(ours) == json.dumps(msrest)


def test_a_reply_with_a_value_msrest_would_convert_is_written_by_msrest() -> None:
    activity = _reply(OutboundMessage("Saved.", None))
    activity.channel_data = {"when": datetime(2026, 12, 2, 10, 11, 12)}  # msrest writes a date as ISO 8601 text
    ours = WireSerializer(MODELS).body(activity, "Activity")
    assert json.dumps(ours) == json.dumps(Serializer(MODELS).body(copy.deepcopy(activity), "Activity"))
    assert ours["channelData"] == {"when": "2026-12-02T10:11:12.000Z"}


def test_a_card_reply_is_written_as_msrest_writes_it() -> None:
    reply = message_activity(OutboundMessage("#7 Printer", CARD))
    ours = WireSerializer(MODELS).body(copy.deepcopy(reply), "Activity")
    msrest = Serializer(MODELS).body(reply, "Activity")
    assert json.dumps(ours) == json.dumps(msrest)


@pytest.mark.parametrize(
    ("target", "answer"),
    [
        ("ResourceResponse", {"id": "1:reply"}),
        ("ChannelAccount", ROSTER[MEGAN_ID]),
        ("TeamsChannelAccount", ROSTER[MEGAN_ID]),
        ("ConversationResourceResponse", {"id": "a:1", "serviceUrl": "https://smba.example", "activityId": "1"}),
        ("ResourceResponse", {"id": 7}),  # msrest makes it "7"
        ("ResourceResponse", None),
    ],
)
def test_bot_connector_answers_are_read_as_msrest_reads_them(target: str, answer: Any) -> None:
    classes = MODELS | {"TeamsChannelAccount": TeamsChannelAccount}
    ours = WireDeserializer(classes)(target, copy.deepcopy(answer))
    assert tree(ours) == tree(Deserializer(classes)(target, copy.deepcopy(answer)))
