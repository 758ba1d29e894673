"""Teams activities and the seam: an activity's JSON becomes an `InboundEvent`; an `OutboundMessage` becomes an
activity; a stored `ConversationRef` becomes the Bot Framework conversation reference for proactive sends.

Pure functions over the activity as received (a JSON object): the bot endpoint and the outgoing webhook share
them. Teams threads: in a channel the conversation id of a reply chain is `<channel id>;messageid=<root id>`;
the reference keeps the channel id as the conversation and the root id as `thread_id`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)

from adapters.markup import strip_markup
from bot.seam import Actor, ConversationRef, EventKind, InboundEvent, MessageRef, OutboundMessage, Scope
from bot.seam import Attachment as FileRef
from cards import verbs
from cards.adaptive import MAX_CARD_BYTES, render_adaptive
from cards.fit import cut_text
from cards.model import Card

PLATFORM = "teams"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_ACTION_INVOKE = "adaptiveCard/action"
THREAD_MARK = ";messageid="
REFRESH_USERS = 60
SCOPES: dict[str, Scope] = {"personal": "personal", "groupChat": "group", "channel": "channel"}
CONVERSATION_TYPES = {scope: teams_type for teams_type, scope in SCOPES.items()}
# A plain text (or a card's summary) keeps within a card's budget: a character is at most 4 bytes in UTF-16.
MAX_TEXT = MAX_CARD_BYTES // 4
SERVICE_URL_SCHEMES = frozenset({"http", "https"})
# Teams ids are at most a few hundred characters (a channel reply chain's id is the longest, about 90).
MAX_ID = 1024
# Ids and names the bot stores, looks up, or sends back in a URL path or a header: each must be plain text.
TEXT_FIELDS = (
    ("id",), ("replyToId",), ("channelId",),
    ("conversation", "id"), ("conversation", "name"), ("conversation", "tenantId"),
    ("from", "id"), ("from", "name"), ("from", "aadObjectId"),
    ("recipient", "id"), ("recipient", "name"),
    ("channelData", "tenant", "id"), ("channelData", "team", "id"), ("channelData", "channel", "id"),
    ("channelData", "legacy", "replyToId"),
)


class BadActivity(ValueError):
    """The JSON is not an activity the bot can answer; the message says what is missing."""


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _plain(name: str, value: Any) -> None:
    """An id or a name must be a string of printable characters: no control character (NUL, CR, LF), which
    would end up in a stored key, a URL path or a request header."""
    if not isinstance(value, str):
        raise BadActivity(f"The activity's {name} must be a string.")
    if len(value) > MAX_ID:
        raise BadActivity(f"The activity's {name} is longer than {MAX_ID} characters.")
    if not value.isprintable():
        raise BadActivity(f"The activity's {name} holds a control character.")


def _field(activity: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = activity
    for step in path:
        value = _obj(value).get(step)
    return value


def service_url_host(url: str) -> str:
    """The host of a serviceUrl; raises `BadActivity` unless it is an absolute http or https URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - reading it checks the port is a number in range
    except ValueError:
        raise BadActivity("The activity's serviceUrl is not a URL.") from None
    if parts.scheme.lower() not in SERVICE_URL_SCHEMES or not host:
        raise BadActivity("The activity's serviceUrl must be an absolute http or https URL.")
    return host


def check(activity: Any, *, service_url: bool = True) -> Mapping[str, Any]:
    """The activity, once it has what every answer needs: a type, a conversation id, a sender id and (unless
    told otherwise) the http(s) serviceUrl replies go to; and once every id and name in it is plain text.
    Raises `BadActivity` naming the first thing wrong, before anything is stored or sent."""
    if not isinstance(activity, Mapping):
        raise BadActivity("The body must be a JSON object (a Bot Framework activity).")
    required = {
        "type": activity.get("type"),
        "conversation.id": _obj(activity.get("conversation")).get("id"),
        "from.id": _obj(activity.get("from")).get("id"),
    }
    if service_url:
        required["serviceUrl"] = activity.get("serviceUrl")
    for name, value in required.items():
        if not _text(value):
            raise BadActivity(f"The activity has no {name} (a non-empty string).")
    for path in TEXT_FIELDS:
        value = _field(activity, path)
        if value is not None:
            _plain(".".join(path), value)
    for _, name, label in _mentions(activity):
        _plain("mentioned name", name)
        _plain("mention text", label)
    if service_url:
        service_url_host(activity["serviceUrl"])
    return activity


def split_thread(conversation_id: str) -> tuple[str, str | None]:
    """`19:x@thread.tacv2;messageid=17` → (`19:x@thread.tacv2`, `17`); an id without a thread → (id, None)."""
    base, mark, thread = conversation_id.partition(THREAD_MARK)
    return base, (thread or None) if mark else None


def scope_of(activity: Mapping[str, Any]) -> Scope:
    """personal, group or channel. Older payloads lack `conversationType`: a team in the channel data or a
    reply-chain id means a channel, `isGroup` a group chat."""
    conversation = _obj(activity.get("conversation"))
    scope = SCOPES.get(str(conversation.get("conversationType")))
    if scope is not None:
        return scope
    channel_data = _obj(activity.get("channelData"))
    if channel_data.get("team") or THREAD_MARK in str(conversation.get("id", "")):
        return "channel"
    return "group" if conversation.get("isGroup") is True else "personal"


def tenant_of(activity: Mapping[str, Any]) -> str | None:
    """The tenant id, from the channel data or the conversation."""
    return _text(_obj(_obj(activity.get("channelData")).get("tenant")).get("id")) or _text(
        _obj(activity.get("conversation")).get("tenantId")
    )


def roster_of(activity: Mapping[str, Any]) -> str:
    """The conversation whose member list holds the sender: the team for a channel, else the conversation."""
    team = _text(_obj(_obj(activity.get("channelData")).get("team")).get("id"))
    if team and scope_of(activity) == "channel":
        return team
    return str(_obj(activity.get("conversation")).get("id"))


def actor_of(activity: Mapping[str, Any]) -> Actor:
    """The sender: its AAD object id when Teams gives one (the same for every bot), else its Teams user id."""
    sender = _obj(activity.get("from"))
    user_id = _text(sender.get("aadObjectId")) or str(sender.get("id"))
    return Actor(PLATFORM, user_id, _text(sender.get("name")) or "")


def conversation_ref(activity: Mapping[str, Any], *, platform: str = PLATFORM) -> ConversationRef:
    """Where the activity happened, with everything a proactive send needs after a restart."""
    conversation_id = str(_obj(activity.get("conversation")).get("id"))
    scope = scope_of(activity)
    thread = None
    if scope == "channel":
        conversation_id, thread = split_thread(conversation_id)
    channel_data = _obj(activity.get("channelData"))
    bot = _obj(activity.get("recipient"))
    data = {
        "service_url": _text(activity.get("serviceUrl")),
        "channel": _text(activity.get("channelId")) or "msteams",
        "tenant_id": tenant_of(activity),
        "bot_id": _text(bot.get("id")),
        "bot_name": _text(bot.get("name")),
        "team_id": _text(_obj(channel_data.get("team")).get("id")),
        "teams_channel_id": _text(_obj(channel_data.get("channel")).get("id")),
        "user_id": actor_of(activity).user_id if scope == "personal" else None,
    }
    return ConversationRef(platform, conversation_id, thread, scope, {k: v for k, v in data.items() if v})


def _mentions(activity: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(mentioned id, mentioned name, the `<at>` label in the text) of each mention entity."""
    entities = activity.get("entities")
    for entity in entities if isinstance(entities, list) else ():
        entity = _obj(entity)
        mentioned = _obj(entity.get("mentioned"))
        if entity.get("type") == "mention" and _text(mentioned.get("id")):
            _plain("mentioned id", mentioned["id"])
            label = str(entity.get("text") or "").removeprefix("<at>").removesuffix("</at>")
            yield mentioned["id"], str(mentioned.get("name") or ""), label


def bot_ids_of(activity: Mapping[str, Any]) -> set[str]:
    """The ids the bot goes by in this activity: the recipient (bot endpoint) or, for an outgoing webhook,
    whose payload names no recipient, every mentioned bot (`28:` ids)."""
    recipient = _text(_obj(activity.get("recipient")).get("id"))
    if recipient:
        return {recipient}
    return {mention_id for mention_id, _, _ in _mentions(activity) if mention_id.startswith("28:")}


def mentions_bot(activity: Mapping[str, Any]) -> bool:
    """Whether the message @mentions the bot."""
    bots = bot_ids_of(activity)
    return any(mention_id in bots for mention_id, _, _ in _mentions(activity))


def _key(activity: Mapping[str, Any]) -> str:
    conversation_id = _obj(activity.get("conversation")).get("id")
    return f"{conversation_id}:{_text(activity.get('id')) or uuid.uuid4()}"


def files_of(activity: Mapping[str, Any]) -> tuple[FileRef, ...]:
    """The files and images on a message (attachments with a `contentUrl`; cards and the HTML copy of the text
    that Teams also sends as attachments are not files)."""
    attachments = activity.get("attachments")
    files = []
    for item in attachments if isinstance(attachments, list) else ():
        attachment = _obj(item)
        url = _text(attachment.get("contentUrl"))
        if not url or not url.startswith(("https://", "http://")):
            continue
        kind = _text(attachment.get("contentType")) or ""
        name = _text(attachment.get("name")) or url.rsplit("/", 1)[-1] or "file"
        files.append(FileRef(name=name, content_type=kind, url=url))
    return tuple(files)


def message_event(activity: Mapping[str, Any], *, platform: str = PLATFORM) -> InboundEvent:
    """A text message: the bot's own mention removed, other people's mentions listed (by their Teams id)."""
    bots = bot_ids_of(activity)
    bot_names = {_text(_obj(activity.get("recipient")).get("name")) or ""}
    people: dict[str, Actor] = {}
    for mention_id, name, label in _mentions(activity):
        if mention_id in bots:
            bot_names.update({name, label})
        else:
            people.setdefault(mention_id, Actor(PLATFORM, mention_id, name or label))
    stripped = strip_markup(PLATFORM, str(activity.get("text") or ""), bot_names=bot_names - {""})
    return InboundEvent(
        EventKind.MESSAGE,
        conversation_ref(activity, platform=platform),
        actor_of(activity),
        _key(activity),
        text=stripped.text,
        mentions=tuple(people.values()),
        attachments=files_of(activity),
    )


def _card_action(activity: Mapping[str, Any], action: Any, values: Mapping[str, Any]) -> InboundEvent:
    ref = conversation_ref(activity)
    pressed = _text(activity.get("replyToId")) or _text(
        _obj(_obj(activity.get("channelData")).get("legacy")).get("replyToId")
    )
    return InboundEvent(
        EventKind.CARD_ACTION,
        ref,
        actor_of(activity),
        _key(activity),
        action=_text(action) or _text(values.get("action")) or verbs.UNKNOWN,
        values=dict(values),
        source_message=MessageRef(ref, pressed) if pressed else None,
    )


def _install_event(kind: EventKind, activity: Mapping[str, Any]) -> InboundEvent:
    return InboundEvent(kind, conversation_ref(activity), actor_of(activity), _key(activity))


def _members_include_bot(activity: Mapping[str, Any], field: str) -> bool:
    members = activity.get(field)
    bots = bot_ids_of(activity)
    return isinstance(members, list) and any(_obj(m).get("id") in bots for m in members)


def inbound_event(activity: Mapping[str, Any]) -> InboundEvent | None:
    """The event for a checked activity, or None when the bot has nothing to do with it (a channel message
    that does not mention the bot, a typing indicator, a reaction, another invoke, ...)."""
    kind = activity.get("type")
    if _obj(activity.get("from")).get("id") in bot_ids_of(activity):
        return None
    if kind == ActivityTypes.message:
        value = activity.get("value")
        if isinstance(value, Mapping) and value:
            return _card_action(activity, None, value)
        if scope_of(activity) != "personal" and not mentions_bot(activity):
            return None
        return message_event(activity)
    if kind == ActivityTypes.invoke and activity.get("name") == CARD_ACTION_INVOKE:
        action = _obj(_obj(activity.get("value")).get("action"))
        return _card_action(activity, action.get("verb"), _obj(action.get("data")))
    if kind == ActivityTypes.conversation_update:
        if _members_include_bot(activity, "membersAdded"):
            return _install_event(EventKind.INSTALLED, activity)
        if _members_include_bot(activity, "membersRemoved"):
            return _install_event(EventKind.UNINSTALLED, activity)
    if kind == ActivityTypes.installation_update:
        change = activity.get("action")
        if change == "add":
            return _install_event(EventKind.INSTALLED, activity)
        if change == "remove":
            return _install_event(EventKind.UNINSTALLED, activity)
    return None


def is_card_action_invoke(activity: Mapping[str, Any]) -> bool:
    """An `invoke` named `adaptiveCard/action` (an `Action.Execute` press), which must be answered in the
    HTTP response."""
    return activity.get("type") == ActivityTypes.invoke and activity.get("name") == CARD_ACTION_INVOKE


def ticket_of(card: Card) -> Any:
    """The ticket number a card's actions carry (a ticket card's), or None for a card about no one ticket."""
    numbers = {action.data.get("ticket") for action in card.actions} - {None}
    return next(iter(numbers)) if len(numbers) == 1 else None


def render_card(card: Card, *, refresh: bool = False, user_ids: Sequence[str] = ()) -> dict[str, Any]:
    """The card as Teams shows it: Adaptive Card 1.5 with `Action.Execute`.

    With `refresh`, a ticket card also carries `refresh` = `Action.Execute` with `verbs.SHOW`, so that in a
    group chat or channel each viewer's Teams fetches the card as that viewer may use it: automatically for
    the `user_ids` (Teams MRIs; Teams runs automatic refreshes for at most `REFRESH_USERS` of them and only for
    those listed), on demand for everyone else.
    """
    rendered = render_adaptive(card, version="1.5", action_style="execute")
    number = ticket_of(card) if refresh else None
    if number is not None:
        show = {"type": "Action.Execute", "title": "Refresh", "verb": verbs.SHOW,
                "data": {"action": verbs.SHOW, "ticket": number}}
        rendered["refresh"] = {"action": show, **({"userIds": list(user_ids[:REFRESH_USERS])} if user_ids else {})}
    return rendered


def card_attachment(card: Card, *, refresh: bool = False, user_ids: Sequence[str] = ()) -> Attachment:
    """The card as a message attachment."""
    rendered = render_card(card, refresh=refresh, user_ids=user_ids)
    return Attachment(content_type=CARD_CONTENT_TYPE, content=rendered)


def message_activity(message: OutboundMessage, *, refresh: bool = False, user_ids: Sequence[str] = ()) -> Activity:
    """A message activity. The text goes as plain text (no markup from user input); with a card, the text is
    the summary shown where the card is not (notifications), cut to `MAX_TEXT` characters. `refresh`/`user_ids`:
    see `render_card`."""
    text = cut_text(message.text, MAX_TEXT)
    if message.card is None:
        return Activity(type=ActivityTypes.message, text=text, text_format="plain")
    attachment = card_attachment(message.card, refresh=refresh, user_ids=user_ids)
    return Activity(type=ActivityTypes.message, summary=text, attachments=[attachment])


def teams_conversation_id(ref: ConversationRef) -> str:
    """The Bot Connector conversation id: a channel's reply chain when the reference names a thread."""
    if ref.scope == "channel" and ref.thread_id:
        return f"{ref.conversation_id}{THREAD_MARK}{ref.thread_id}"
    return ref.conversation_id


def conversation_reference(ref: ConversationRef) -> ConversationReference:
    """The Bot Framework reference for a stored conversation; raises ValueError when it lacks a serviceUrl."""
    data = ref.data
    service_url = _text(data.get("service_url"))
    if service_url is None:
        raise ValueError(f"The Teams conversation {ref.conversation_id} has no stored serviceUrl.")
    return ConversationReference(
        channel_id=data.get("channel", "msteams"),
        service_url=service_url,
        conversation=ConversationAccount(
            id=teams_conversation_id(ref),
            is_group=ref.scope != "personal",
            conversation_type=CONVERSATION_TYPES.get(ref.scope),
            tenant_id=data.get("tenant_id"),
        ),
        bot=ChannelAccount(id=data.get("bot_id"), name=data.get("bot_name")),
    )
