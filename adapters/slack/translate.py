"""Slack payloads and the seam: identities, conversation references and the `InboundEvent`s of each event.

Pure functions over the JSON Slack sends. Identities carry the workspace: `Actor.user_id` is `T123:U456` (team
id, a colon, user id), so the same user id in two workspaces is two identities. A conversation is the channel
id (Slack channel ids are unique across workspaces) with the team id kept in `ConversationRef.data`, so a
proactive send picks that workspace's token; `thread_id` is the thread's `thread_ts`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.markup import strip_markup
from bot.seam import Actor, Attachment, ConversationRef, EventKind, InboundEvent, MessageRef, Scope
from cards import verbs

PLATFORM = "slack"
# Message subtypes that are a person writing; every other subtype (edits, deletes, joins, bot messages) is not.
AUTHORED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def user_key(team_id: str | None, user_id: str) -> str:
    """The identity of a Slack user: `T123:U456` (the user id alone when the team is unknown)."""
    return f"{team_id}:{user_id}" if team_id else user_id


def split_user_key(key: str) -> tuple[str | None, str]:
    """`T123:U456` → (`T123`, `U456`); `U456` → (None, `U456`)."""
    team, mark, user = key.partition(":")
    return (team, user) if mark else (None, key)


def scope_of(channel_id: str, channel_type: str | None = None) -> Scope:
    """personal for a DM, group for a group DM, channel for public and private channels."""
    if channel_type == "im" or (channel_type is None and channel_id.startswith("D")):
        return "personal"
    if channel_type == "mpim":
        return "group"
    return "channel"


def conversation_ref(team_id: str | None, channel_id: str, *, thread: str | None = None,
                     channel_type: str | None = None) -> ConversationRef:
    """Where something happened in a workspace."""
    data = {"team_id": team_id} if team_id else {}
    return ConversationRef(PLATFORM, channel_id, thread, scope_of(channel_id, channel_type), data)


def team_of(body: Mapping[str, Any]) -> str | None:
    """The workspace of an Events API or interactivity payload."""
    return (
        _text(body.get("team_id"))
        or _text(_obj(body.get("team")).get("id"))
        or _text(_obj(body.get("user")).get("team_id"))
        or _text(_obj(body.get("event")).get("team"))
    )


def is_from_a_bot(event: Mapping[str, Any]) -> bool:
    """A message written by a bot (ours or another), or one that is not a person writing (an edit, a join)."""
    return bool(event.get("bot_id") or event.get("bot_profile")) or event.get("subtype") not in AUTHORED_SUBTYPES


def files_of(event: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """The files shared with a message (Slack `files`: name, mimetype, the private URL Slack serves them at)."""
    files = event.get("files")
    found = []
    for item in files if isinstance(files, list) else ():
        file = item if isinstance(item, Mapping) else {}
        url = _text(file.get("url_private")) or _text(file.get("permalink"))
        if url:
            name = _text(file.get("name")) or _text(file.get("title")) or "file"
            found.append(Attachment(name=name, content_type=_text(file.get("mimetype")) or "", url=url))
    return tuple(found)


def message_event(team_id: str | None, event: Mapping[str, Any], *, key: str, bot_user_id: str | None,
                  thread: str | None, actor: Actor | None = None, text: str | None = None) -> InboundEvent:
    """A message from a person: the bot's own mention removed, other people's mentions listed."""
    stripped = strip_markup(PLATFORM, text if text is not None else str(event.get("text") or ""),
                            bot_ids={bot_user_id} if bot_user_id else ())
    mentions = tuple(Actor(PLATFORM, user_key(team_id, m.user_id), m.name) for m in stripped.mentions if m.user_id)
    ref = conversation_ref(team_id, str(event.get("channel")), thread=thread,
                           channel_type=_text(event.get("channel_type")))
    who = actor or Actor(PLATFORM, user_key(team_id, str(event.get("user"))))
    return InboundEvent(
        EventKind.MESSAGE, ref, who, key, text=stripped.text, mentions=mentions, attachments=files_of(event)
    )


def mentions_user(event: Mapping[str, Any], user_id: str | None) -> bool:
    """Whether the message's text mentions this user (`<@U123>`)."""
    return bool(user_id) and f"<@{user_id}>" in str(event.get("text") or "")


def pressed_value(action: Mapping[str, Any]) -> Mapping[str, Any]:
    """The JSON our renderer put in a button's value or a select option's value; {} for anything else."""
    raw = _text(action.get("value")) or _text(_obj(action.get("selected_option")).get("value"))
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, Mapping) else {}


def card_action(ref: ConversationRef, actor: Actor, key: str, value: Mapping[str, Any],
                pressed: MessageRef | None) -> InboundEvent:
    """A card action with the verb our renderer put in the value (`cards.verbs.UNKNOWN` when it names none)."""
    values = {k: v for k, v in value.items() if k != "action"}
    action = _text(value.get("action")) or verbs.UNKNOWN
    return InboundEvent(EventKind.CARD_ACTION, ref, actor, key, action=action, values=values, source_message=pressed)


def view_values(view: Mapping[str, Any]) -> dict[str, Any]:
    """What a submitted modal holds: `{input id: typed text or chosen value}` (our blocks use the input id as
    both block id and action id)."""
    values: dict[str, Any] = {}
    for block_id, actions in _obj(_obj(view.get("state")).get("values")).items():
        for action_id, state in _obj(actions).items():
            state = _obj(state)
            chosen = _obj(state.get("selected_option")).get("value")
            value = state.get("value") if chosen is None else chosen
            if value is not None:
                values[action_id if action_id == block_id else block_id] = value
    return values
