"""Ticket lists a page at a time: `my tickets`, `list [board] [status]`, `search <words>`, then Next or `more`.

A page is at most `LIST_LIMIT` tickets. The Next button carries the query and the offset of the next page (a
cursor), so it works from any old card; `more` in words continues the speaker's last list, kept as a state of
its own (dialog key `<user>#list`) so that it never disturbs a pending draft or dialog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.chat.turn import ChatTurn
from bot.desk import policy
from bot.desk.errors import Invalid
from bot.desk.views import ticket_views
from bot.seam import OutboundMessage, Reply
from cards.builders import LIST_LIMIT, list_card
from dialogs.store import DialogKey, State

KINDS = ("mine", "list", "search")
MAX_OFFSET = 10_000


def _paging_key(turn: ChatTurn) -> DialogKey:
    return replace(turn.key, user_id=f"{turn.key.user_id}#list"[:255])


def query_of(values: Mapping[str, Any]) -> tuple[str, str, int]:
    """The (kind, value, offset) a Next button carries; raises Invalid for a malformed one."""
    kind, value, offset = values.get("list"), values.get("value", ""), values.get("offset", 0)
    if kind not in KINDS or not isinstance(value, str) or not isinstance(offset, int) or isinstance(offset, bool):
        raise Invalid("That Next button is broken; ask for the list again.")
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid("That list goes no further; narrow it down with `search <words>`.")
    return kind, value, offset


async def show_page(turn: ChatTurn, kind: str, value: str, offset: int = 0) -> Reply:
    """One page of a list, remembered for `more`."""
    desk, principal = turn.desk, turn.principal
    page_size = LIST_LIMIT + 1
    if kind == "mine":
        title, empty = "My open tickets", "You have no open tickets."
        tickets = await desk.tickets.list_read(involving=principal, open_only=True, limit=page_size, offset=offset)
    elif kind == "list":
        policy.require_staff(principal, "list all tickets")
        wanted = await desk.boards.list_filter(value)
        tickets = await desk.tickets.list_read(
            board=wanted.board, status=wanted.status, open_only=wanted.status is None, limit=page_size, offset=offset
        )
        parts = ["Open tickets" if wanted.status is None else "Tickets", wanted.board, wanted.status]
        title, empty = " · ".join(p for p in parts if p), "No tickets match."
    else:
        if not value.strip():
            raise Invalid("Search for what? Write `search <words>`.")
        requester = None if policy.is_staff(principal) else principal
        tickets = await desk.tickets.list_read(words=value, requester=requester, limit=page_size, offset=offset)
        title, empty = f"Tickets matching “{value}”", "No tickets match."
    shown = list(tickets[:LIST_LIMIT])
    views = await ticket_views(desk.db, shown, principal)
    more = len(tickets) > LIST_LIMIT
    next_page = {"list": kind, "value": value, "offset": offset + LIST_LIMIT} if more else None
    key = _paging_key(turn)
    if more:
        await turn.dialogs.store.save(key, State(dialog="list", step="more", data=dict(next_page or {})))
    else:
        await turn.dialogs.store.clear(key)
    card = list_card(title, views, empty_text=empty, next_page=next_page, first=offset == 0)
    lines = "\n".join(f"#{v.number} {v.title} · {v.status} · {v.priority}" for v in views) or empty
    hint = "\n(Type `more` for the next page.)" if more else ""
    return Reply(messages=(OutboundMessage(f"{title}\n{lines}{hint}", card),))


async def more(turn: ChatTurn) -> Reply:
    """The next page of the speaker's last list."""
    loaded = await turn.dialogs.store.load(_paging_key(turn))
    if loaded.state is None:
        return turn.text("There is no list to continue. Try `my tickets` or `search <words>`.")
    return await show_page(turn, *query_of(loaded.state.data))
