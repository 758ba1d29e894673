"""Drafts: a ticket proposed from free text, pending until its author (or a desk member) confirms it.

A draft is one pending thing per (conversation, author), stored as that person's dialog state (dialog
"draft"), so it survives a restart and two people in a channel each have their own. The first confirm — the
Create button or a word such as `yes` — consumes it; the ticket remembers the draft (`origin_message =
draft:<id>`), so a later press on the same card answers with that ticket ("Already created as #13") instead
of creating a second one. The requester is always the draft's author; a desk member may confirm on the
author's behalf, anyone else may not.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from bot.chat.turn import ChatTurn
from bot.desk import policy
from bot.desk.errors import Forbidden, Invalid
from bot.desk.tickets import Origin
from bot.desk.views import opened
from bot.seam import Actor, Attachment, OutboundMessage, Reply
from cards.builders import create_form
from cards.views import DraftView
from dialogs.replies import notice_card, ticket_message
from dialogs.store import DialogKey, State

DIALOG = "draft"
FIELDS = ("title", "description", "priority", "board", "category")


def origin_of(draft_id: str) -> str:
    """The origin message a ticket created from this draft carries."""
    return f"draft:{draft_id}"


async def propose(turn: ChatTurn, fields: Mapping[str, str]) -> Reply:
    """Store a draft for the speaker and answer with its prefilled create form."""
    desk = turn.desk
    text = f"{fields.get('title', '')} {fields.get('description', '')}"
    board = await desk.boards.route(text)
    actor = turn.event.actor
    draft_id = uuid.uuid4().hex
    chosen = {
        "title": fields.get("title", ""),
        "description": fields.get("description", ""),
        "priority": fields.get("priority") or board.default_priority,
        "board": board.name,
        "category": "",
    }
    author = {"platform": actor.platform, "user_id": actor.user_id, "name": actor.name, "email": actor.email}
    attachments = [{"name": a.name, "content_type": a.content_type, "url": a.url} for a in turn.event.attachments]
    data = {"id": draft_id, "author": author, "fields": chosen, "attachments": attachments}
    await turn.dialogs.store.save(turn.key, State(dialog=DIALOG, step="confirm", data=data))
    return Reply(messages=(await _form(turn, data),))


async def _form(turn: ChatTurn, data: Mapping[str, Any]) -> OutboundMessage:
    """The prefilled create form of a stored draft, with the boards and the chosen board's categories."""
    desk, chosen = turn.desk, data["fields"]
    board = await desk.boards.get(chosen["board"])
    view = DraftView(
        title=chosen["title"],
        description=chosen["description"],
        priority=chosen["priority"],
        board=board.name,
        category=chosen.get("category") or None,
        boards=tuple(b.name for b in await desk.boards.list()),
        categories=tuple(c.name for c in await desk.boards.categories(board.id)),
        draft_id=f"{data['id']}:{data['author']['user_id']}",
    )
    text = (
        f"Shall I open a ticket \"{view.title}\" ({view.priority}, {view.board})? "
        "Press Create or say `yes`; `cancel` drops it."
    )
    return OutboundMessage(text, create_form(view))


def _draft_ref(values: Mapping[str, Any], turn: ChatTurn) -> tuple[str, DialogKey]:
    draft_id, _, author = str(values.get("draft") or "").partition(":")
    key = DialogKey(turn.key.platform, turn.key.conversation_id, author or turn.event.actor.user_id)
    return draft_id, key


async def confirm(turn: ChatTurn, key: DialogKey, state: State, edits: Mapping[str, Any]) -> OutboundMessage:
    """Create the ticket of a pending draft (with the card's edited fields) and consume the draft."""
    data = state.data
    author = data["author"]
    if author["user_id"] != turn.event.actor.user_id and not policy.is_staff(turn.principal):
        raise Forbidden(f"Only {author['name'] or 'its author'} or a desk member can create this draft.")
    fields = {**data["fields"], **{k: str(edits[k]) for k in FIELDS if k in edits and edits[k] is not None}}
    if not fields["title"].strip():
        raise Invalid("The ticket needs a title: fill it in and press Create again.")
    requester = await turn.desk.members.principal_for(
        Actor(author["platform"], author["user_id"], author.get("name") or "", author.get("email"))
    )
    attachments = tuple(Attachment(**a) for a in data.get("attachments", ()))
    ticket = await turn.desk.tickets.create(
        turn.principal,
        title=fields["title"],
        description=fields["description"],
        priority=fields["priority"] or None,
        board=fields["board"] or None,
        category=fields["category"] or None,
        requester=requester,
        origin=Origin(turn.key.platform, turn.key.conversation_id, origin_of(data["id"])),
        attachments=attachments,
    )
    await turn.dialogs.store.clear(key)
    on_behalf = "" if requester.identity_id == turn.principal.identity_id else f" for {requester.name}"
    return await ticket_message(
        turn.desk, opened(ticket, attached=bool(attachments)), viewer=turn.principal,
        notice=f"Created ticket #{ticket.number}{on_behalf}.",
    )


async def _create_from_form(turn: ChatTurn, values: Mapping[str, Any]) -> OutboundMessage:
    """A create form that is not a draft's (a modal, a task module): the presser opens the ticket as filled."""
    title = str(values.get("title") or "").strip()
    if not title:
        raise Invalid("The ticket needs a title: fill it in and press Create again.")
    ticket = await turn.desk.tickets.create(
        turn.principal,
        title=title,
        description=str(values.get("description") or ""),
        priority=str(values.get("priority") or "") or None,
        board=str(values.get("board") or "") or None,
        category=str(values.get("category") or "") or None,
        origin=Origin(turn.key.platform, turn.key.conversation_id, turn.event.idempotency_key),
        attachments=turn.event.attachments,
    )
    read = opened(ticket, attached=bool(turn.event.attachments))
    return await ticket_message(turn.desk, read, viewer=turn.principal, notice=f"Created ticket #{ticket.number}.")


async def press_create(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    """The Create button of a draft card: create it once; a later press shows the ticket it became."""
    draft_id, key = _draft_ref(values, turn)
    if not draft_id:
        return Reply(refreshed=await _create_from_form(turn, values))
    loaded = await turn.dialogs.store.load(key)
    state = loaded.state
    if state is not None and state.dialog == DIALOG and state.data.get("id") == draft_id:
        return Reply(refreshed=await confirm(turn, key, state, values))
    return await _not_pending(turn, draft_id)


async def press_form(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    """A draft's create form rebuilt from its stored state (Slack's "Open form" after a restart, when the
    adapter no longer holds the card it sent); a draft no longer pending answers as a Create press would."""
    draft_id, key = _draft_ref(values, turn)
    loaded = await turn.dialogs.store.load(key)
    state = loaded.state
    if draft_id and state is not None and state.dialog == DIALOG and state.data.get("id") == draft_id:
        return Reply(messages=(await _form(turn, state.data),))
    return await _not_pending(turn, draft_id)


async def _not_pending(turn: ChatTurn, draft_id: str) -> Reply:
    ticket = await turn.desk.tickets.by_origin(origin_of(draft_id))
    if ticket is not None and policy.may_see(turn.principal, ticket):
        notice = f"Already created as #{ticket.number}."
        return Reply(refreshed=await ticket_message(turn.desk, ticket, viewer=turn.principal, notice=notice))
    if ticket is not None:
        return Reply(refreshed=notice_card("Draft", f"This draft was already created as #{ticket.number}."))
    return Reply(refreshed=notice_card("Draft gone", "This draft was discarded or has expired; nothing was created."))


async def press_cancel(turn: ChatTurn, values: Mapping[str, Any]) -> Reply:
    """The Cancel button of a draft card: drop the draft (only its author or a member may)."""
    draft_id, key = _draft_ref(values, turn)
    loaded = await turn.dialogs.store.load(key)
    state = loaded.state
    if state is not None and state.dialog == DIALOG and state.data.get("id") == draft_id:
        if key.user_id != turn.event.actor.user_id and not policy.is_staff(turn.principal):
            raise Forbidden("Only the draft's author or a desk member can discard it.")
        await turn.dialogs.store.clear(key)
    return Reply(refreshed=notice_card("Draft discarded", "Nothing was created."))
