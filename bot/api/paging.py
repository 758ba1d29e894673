"""Paging of the small lists (boards, members, keys, categories): by id, after the cursor's id.

These lists hold tens of rows, so the desk returns them whole and the page is cut here; the big lists
(tickets, the audit log) page in the database instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from bot.api.schemas import Page, PageQuery

M = TypeVar("M", bound=BaseModel)


def page_by_id(rows: Sequence[Any], query: PageQuery, of: Callable[[Any], M]) -> Page[M]:
    """The rows with an id above the cursor, `query.limit` of them, in id order."""
    after = int(query.cursor) if query.cursor else 0
    rest = sorted((r for r in rows if r.id > after), key=lambda r: r.id)
    items = rest[: query.limit]
    more = len(rest) > query.limit
    return Page[M](items=[of(r) for r in items], next_cursor=str(items[-1].id) if more else None)
