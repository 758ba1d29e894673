"""The Teams message extension: "Create ticket" in a message's "…" menu, and "Find a ticket" in the compose box.

- `composeExtension/fetchTask` (the action command on a message) is answered with a task module holding the
  create form, prefilled from the message: title = its first line, description = its text (HTML stripped), a
  link back to it, and who wrote it.
- `composeExtension/submitAction` (the form sent) becomes a `CARD_ACTION` with `verbs.CREATE` and the form's
  values, sent AS THE MESSAGE'S AUTHOR: the core makes the presser the requester, and the requester of a ticket
  made from a message is whoever wrote it. The ticket card is then posted in the conversation (in a channel,
  in the message's reply chain) through the Teams port, and the invoke is answered with an empty body, which
  closes the task module; a refusal is answered with a task `message` the user sees instead.
- `composeExtension/query` asks the core for the first page of `search <words>` as the user (the Next button's
  action, so that it never answers a question the user has open in that chat), then for each ticket found the
  ticket card as that user may see it, and answers with them as compose-extension results (Adaptive Card plus
  a thumbnail preview) that the user can insert in a message.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Attachment
from botbuilder.schema.teams import (
    MessagingExtensionActionResponse,
    MessagingExtensionAttachment,
    MessagingExtensionResponse,
    MessagingExtensionResult,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleTaskInfo,
)

from adapters.markup import strip_markup
from adapters.teams.commands import CREATE_COMMAND, SEARCH_COMMAND, SEARCH_PARAMETER
from adapters.teams.roster import Roster
from adapters.teams.translate import (
    CARD_CONTENT_TYPE,
    PLATFORM,
    actor_of,
    conversation_ref,
    render_card,
)
from bot.seam import Actor, ChatPort, Core, DeliveryError, EventKind, InboundEvent, Reply
from cards import verbs
from cards.adaptive import render_adaptive
from cards.builders import create_form
from cards.model import Button, Card, ChoiceInput, Text
from cards.views import DraftView

FETCH_TASK = "composeExtension/fetchTask"
SUBMIT_ACTION = "composeExtension/submitAction"
QUERY = "composeExtension/query"
INVOKES = (FETCH_TASK, SUBMIT_ACTION, QUERY)
THUMBNAIL_CONTENT_TYPE = "application/vnd.microsoft.card.thumbnail"
TASK_TITLE = "Create ticket"
LINK_LABEL = "From a Teams message"


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def is_extension_invoke(activity: Mapping[str, Any]) -> bool:
    """A `composeExtension/*` invoke this bot answers."""
    return activity.get("type") == "invoke" and activity.get("name") in INVOKES


@dataclass(frozen=True)
class SourceMessage:
    """The message an action command was used on, as the invoke's `messagePayload` describes it."""

    id: str
    thread_id: str | None
    text: str
    link: str
    author: Actor | None

    @property
    def title(self) -> str:
        """The first non-empty line of the message."""
        return next((line.strip() for line in self.text.splitlines() if line.strip()), "")


def source_message(value: Mapping[str, Any]) -> SourceMessage:
    """The message of an action command's invoke (`value.messagePayload`)."""
    payload = _obj(value.get("messagePayload"))
    body = _obj(payload.get("body"))
    content = _text(body.get("content"))
    text = strip_markup(PLATFORM, content).text if body.get("contentType") == "html" else content.strip()
    user = _obj(_obj(payload.get("from")).get("user"))
    author = Actor(PLATFORM, _text(user.get("id")), _text(user.get("displayName"))) if _text(user.get("id")) else None
    message_id = _text(payload.get("id"))
    return SourceMessage(
        id=message_id,
        thread_id=_text(payload.get("replyToId")) or message_id or None,
        text=text,
        link=_text(payload.get("linkToMessage")),
        author=author,
    )


def create_task_card(message: SourceMessage) -> dict[str, Any]:
    """The task module's create form (Adaptive Card 1.5): the draft form prefilled from the message, without
    the board choice (the desk routes the ticket) and without Cancel (the task module has its own close)."""
    view = DraftView(
        title=message.title, description=message.text, priority="", board="", category=None, boards=(), categories=()
    )
    form = create_form(view)
    body = [e for e in form.body if not (isinstance(e, ChoiceInput) and not e.choices)]
    author = message.author.name if message.author is not None and message.author.name else "someone"
    body.append(Text(f"Requester: {author}, who wrote the message.", "subtle"))
    if message.link:
        body.append(Text(f"{LINK_LABEL}: {message.link}", "subtle"))
    create = Button("Create", verbs.CREATE, {}, style="positive")
    return render_adaptive(replace(form, body=tuple(body), actions=(create,)), version="1.5", action_style="submit")


def _task_message(text: str) -> InvokeResponse:
    return InvokeResponse(status=200, body=MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=text)))


def _refusal(command: Any) -> InvokeResponse:
    return InvokeResponse(status=400, body={"error": f"This bot has no message extension command {str(command)[:100]!r}."})


class MessageExtension:
    """Answers the `composeExtension/*` invokes through the conversation core."""

    def __init__(self, core: Core, roster: Roster, port: ChatPort) -> None:
        self.core = core
        self.roster = roster
        self.port = port

    async def answer(self, context: TurnContext, activity: Mapping[str, Any]) -> InvokeResponse:
        """The invoke response for one `composeExtension/*` invoke."""
        name = activity.get("name")
        value = _obj(activity.get("value"))
        command = value.get("commandId")
        if name == QUERY:
            return await self._query(context, activity, value) if command == SEARCH_COMMAND else _refusal(command)
        if command != CREATE_COMMAND:
            return _refusal(command)
        if name == FETCH_TASK:
            return self._fetch_task(value)
        return await self._submit(context, activity, value)

    @staticmethod
    def _fetch_task(value: Mapping[str, Any]) -> InvokeResponse:
        card = Attachment(content_type=CARD_CONTENT_TYPE, content=create_task_card(source_message(value)))
        task = TaskModuleTaskInfo(title=TASK_TITLE, card=card, height="large", width="medium")
        return InvokeResponse(status=200, body=MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=task)))

    async def _submit(self, context: TurnContext, activity: Mapping[str, Any], value: Mapping[str, Any]) -> InvokeResponse:
        message = source_message(value)
        form = _obj(value.get("data"))
        description = _text(form.get("description")).strip()
        if message.link:
            description = f"{description}\n\n{LINK_LABEL}: {message.link}".strip()
        values = {
            "title": _text(form.get("title")),
            "description": description,
            "priority": _text(form.get("priority")),
            "category": _text(form.get("category")),
        }
        author = await self._author(context, activity, message)
        ref = conversation_ref(activity)
        event = InboundEvent(
            EventKind.CARD_ACTION, ref, author, _key(activity, "create"), action=verbs.CREATE, values=values
        )
        reply = await self.core.handle(event)
        if reply == Reply():
            # A redelivered submit (Teams retries after 5 s): the first delivery created and posted the ticket.
            return InvokeResponse(status=200, body=MessagingExtensionActionResponse())
        created = reply.refreshed
        if created is None or created.card is None:
            return _task_message(_first_text(reply, "Nothing was created."))
        target = ref.in_thread(message.thread_id) if ref.scope == "channel" else ref
        try:
            await self.port.send(target, created)
        except DeliveryError as exc:
            return _task_message(f"{created.text.splitlines()[0]} Its card could not be posted here: {exc}")
        return InvokeResponse(status=200, body=MessagingExtensionActionResponse())

    async def _author(self, context: TurnContext, activity: Mapping[str, Any], message: SourceMessage) -> Actor:
        """The message's author with the email the roster gives (the requester); the presser when the message
        has no user author (a bot's or a connector's message)."""
        author = message.author
        if author is None:
            author = actor_of(activity)
        member = await self.roster.lookup(context, activity, author.user_id)
        if member is not None and member.email:
            author = replace(author, email=member.email)
        return author

    async def _query(self, context: TurnContext, activity: Mapping[str, Any], value: Mapping[str, Any]) -> InvokeResponse:
        parameters = value.get("parameters")
        words = next(
            (
                _text(p.get("value")).strip()
                for p in (parameters if isinstance(parameters, list) else ())
                if isinstance(p, Mapping) and p.get("name") == SEARCH_PARAMETER
            ),
            "",
        )
        if not words:
            return _results_message("Type a few words to find tickets by their title or description.")
        skip = _obj(value.get("queryOptions")).get("skip", 0)
        offset = skip if isinstance(skip, int) and not isinstance(skip, bool) and skip >= 0 else 0
        actor = await self._presser(context, activity)
        ref = conversation_ref(activity)
        page = {"list": "search", "value": words, "offset": offset}
        found = await self.core.handle(
            InboundEvent(EventKind.CARD_ACTION, ref, actor, _key(activity, "search"), action=verbs.LIST_NEXT, values=page)
        )
        listed = next((m.card for m in found.messages if m.card is not None), None)
        if listed is None:
            return _results_message(_first_text(found, "No tickets match."))
        attachments: list[MessagingExtensionAttachment] = []
        for button in listed.actions:
            if not isinstance(button, Button) or button.verb != verbs.SHOW:
                continue
            number = button.data.get("ticket")
            shown = await self.core.handle(
                InboundEvent(
                    EventKind.CARD_ACTION, ref, actor, _key(activity, f"show:{number}"), action=verbs.SHOW,
                    values={"ticket": number},
                )
            )
            attachments.extend(_result(m.card, m.text) for m in shown.messages if m.card is not None)
        result = MessagingExtensionResult(type="result", attachment_layout="list", attachments=attachments)
        return InvokeResponse(status=200, body=MessagingExtensionResponse(compose_extension=result))

    async def _presser(self, context: TurnContext, activity: Mapping[str, Any]) -> Actor:
        actor = actor_of(activity)
        member = await self.roster.lookup(context, activity, str(_obj(activity.get("from")).get("id")))
        return replace(actor, email=member.email) if member is not None and member.email else actor


def _key(activity: Mapping[str, Any], step: str) -> str:
    conversation_id = _obj(activity.get("conversation")).get("id")
    return f"{conversation_id}:{_text(activity.get('id'))}:{step}"


def _first_text(reply: Reply, default: str) -> str:
    """What the core said first (a refusal, an error), or `default` when it said nothing."""
    said = [*reply.messages, *((reply.refreshed,) if reply.refreshed is not None else ())]
    return said[0].text if said else default


def _results_message(text: str) -> InvokeResponse:
    result = MessagingExtensionResult(type="message", text=text)
    return InvokeResponse(status=200, body=MessagingExtensionResponse(compose_extension=result))


def _result(card: Card, text: str) -> MessagingExtensionAttachment:
    """A search result: the ticket card, and the one-line preview Teams lists it with."""
    preview = {"title": html.escape(card.title), "text": html.escape(text.splitlines()[0] if text else "")}
    return MessagingExtensionAttachment(
        content_type=CARD_CONTENT_TYPE,
        content=render_card(card),
        preview=Attachment(content_type=THUMBNAIL_CONTENT_TYPE, content=preview),
    )
