"""Ticket lists as SQL: the filters a list may have, and one statement for each shape of them, built once.

A shape is which filters a list has, not their values: `my tickets` for a desk member is always the same
statement, with the member's ids, the page's size and offset bound when it runs. Building the statement and
its filters took about a fifth of a 5.8 ms `my tickets` turn in-process on PostgreSQL; a statement kept for
its shape is built once and found in SQLAlchemy's compiled cache every time after. Shapes are few (which of
nine filters are set, and which words are long enough for the trigram index); the cache keeps the last
`SHAPES_KEPT` of them, so a stream of many-word searches cannot grow it without bound.

Words match literally (`100%` is no wildcard). Words of three characters or more go through the trigram index
(SQLite FTS5 `tickets_fts`, PostgreSQL pg_trgm GIN indexes behind `lower(...) LIKE`); shorter words have no
trigram and are matched by LIKE alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypedDict

from sqlalchemy import BindParameter, Integer, Select, bindparam, column, false, func, or_, select, table, union

from bot.desk.principal import Principal
from storage.models import Board, Status, Ticket, table_of, ticket_assignees

LIKE_ESCAPE = "\\"
TRIGRAM = 3  # the shortest word a trigram index can find
SHAPES_KEPT = 128
# On the tables' columns: one attribute of a mapped class routes the whole statement through the ORM's execution
# path. Only the lists that want ORM tickets (the API's, the CLI's) select the class.
_TICKETS, _STATUSES, _BOARDS = table_of(Ticket), table_of(Status), table_of(Board)
# The SQLite full-text table (migration 0008): rowid is the ticket id; its hidden column of the same name MATCHes.
TICKETS_FTS = table("tickets_fts", column("rowid"), column("tickets_fts"))


class ListFilters(TypedDict, total=False):
    """What a ticket list may be filtered by (`TicketService.list`). `involving` keeps the tickets the principal
    requested or is assigned to (`my tickets`); `offset` skips that many (50 tickets a page unless `limit` says
    otherwise), `before` keeps only tickets numbered below it (the API's cursor)."""

    board: str | None
    status: str | None
    assignee_id: int | None
    requester: Principal | None
    involving: Principal | None
    open_only: bool
    words: str | None
    limit: int
    offset: int
    before: int | None


def literal(word: str) -> str:
    """`word` for a LIKE pattern that matches it literally: `%`, `_` and the escape character escaped."""
    return word.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


# Which of a principal's ids a filter on them has: (member id, identity id); None when there is no such filter.
_Ids = tuple[bool, bool] | None


def _ids(principal: Principal | None) -> _Ids:
    return None if principal is None else (principal.member_id is not None, principal.identity_id is not None)


@dataclass(frozen=True)
class _Shape:
    """Which filters a list has (the key of its statement). `words` says, for each word, whether it is long
    enough for the trigram index."""

    sqlite: bool
    ids_only: bool
    board: bool
    status: bool
    before: bool
    open_only: bool
    assignee: bool
    requester: _Ids
    involving: _Ids
    words: tuple[bool, ...]


def _requested_by(ids: tuple[bool, bool], prefix: str) -> list[Any]:
    member, identity = ids
    conditions: list[Any] = []
    if member:
        conditions.append(_TICKETS.c.requester_member_id == bindparam(f"{prefix}_member"))
    if identity:
        conditions.append(_TICKETS.c.requester_identity_id == bindparam(f"{prefix}_identity"))
    return conditions


_Narrow = Callable[[Select[Any]], Select[Any]]


def _where(condition: Any) -> _Narrow:
    return lambda query: query.where(condition)


def _assigned(query: Select[Any]) -> Select[Any]:
    joined = query.join(ticket_assignees, ticket_assignees.c.ticket_id == _TICKETS.c.id)
    return joined.where(ticket_assignees.c.member_id == bindparam("involving_member"))


def _involving(ids: tuple[bool, bool]) -> list[_Narrow]:
    """The parts of `involving`, each narrowing a list to one way the principal is in a ticket: requested it as a
    member, requested it as a chat identity, is assigned to it."""
    parts = [_where(requested) for requested in _requested_by(ids, "involving")]
    return [*parts, _assigned] if ids[0] else parts


def _one_page(query: Select[Any]) -> Select[Any]:
    """`query` cut to the page the values `limit` and `offset` say."""
    return query.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))


def _filtered(shape: _Shape, *columns: Any) -> Select[Any]:
    """`columns` of the tickets that pass every filter of `shape` but `involving`, newest first, one page."""
    query = _one_page(
        select(*columns).join(_STATUSES, _STATUSES.c.id == _TICKETS.c.status_id).order_by(_TICKETS.c.number.desc())
    )
    if shape.before:
        query = query.where(_TICKETS.c.number < bindparam("before"))
    if shape.board:
        query = query.join(_BOARDS, _BOARDS.c.id == _TICKETS.c.board_id).where(func.lower(_BOARDS.c.name) == bindparam("board"))
    if shape.status:
        query = query.where(func.lower(_STATUSES.c.name) == bindparam("status"))
    if shape.open_only:
        query = query.where(_STATUSES.c.is_closed.is_(False))
    if shape.assignee:
        assigned = select(ticket_assignees.c.ticket_id).where(ticket_assignees.c.member_id == bindparam("assignee"))
        query = query.where(_TICKETS.c.id.in_(assigned))
    if shape.requester is not None:
        mine = _requested_by(shape.requester, "requester")
        query = query.where(or_(*mine)) if mine else query.where(false())
    if shape.sqlite and any(shape.words):
        # The index drives, newest match first (FTS5 walks rowids backwards without sorting), and the query
        # stops at the page's end: a word in 10% of 100,000 tickets no longer sorts 10,000 of them. Ticket
        # ids grow with numbers (both are given in the create's transaction, the number under the counter).
        query = (
            query.join(TICKETS_FTS, TICKETS_FTS.c.rowid == _TICKETS.c.id)
            .where(TICKETS_FTS.c.tickets_fts.op("MATCH")(bindparam("phrases")))
            .order_by(None)
            .order_by(TICKETS_FTS.c.rowid.desc())
        )
    for i, indexed in enumerate(shape.words):
        if shape.sqlite and indexed:
            continue
        pattern: BindParameter[str] = bindparam(f"word_{i}")
        query = query.where(
            or_(
                func.lower(_TICKETS.c.title).like(pattern, escape=LIKE_ESCAPE),
                func.lower(_TICKETS.c.description).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    return query


def _newest_involving(shape: _Shape, involving: tuple[bool, bool]) -> Select[Any]:
    """The page of tickets the principal is in, as a union of its parts (`_involving`), each cut to the tickets
    the page can reach (`reach`: its offset and size) before they are merged: each part walks an index of the
    person's tickets newest first and stops there (migration 0011), where a union of every ticket of theirs,
    filtered and sorted afterwards, read and sorted all of them (about 200 per person at 100,000 tickets).
    An OR of the three, with the assignee as a correlated EXISTS, was worse still: both databases scanned the
    tickets in number order and tested each one (0.3 s at 100,000 tickets)."""
    parts = [
        narrow(_filtered(shape, _TICKETS.c.id, _TICKETS.c.number)).limit(bindparam("reach", type_=Integer)).offset(None)
        for narrow in _involving(involving)
    ]
    if not parts:
        return _filtered(shape, _TICKETS.c.id if shape.ids_only else Ticket).where(false())
    # Each part inside a subquery of its own: SQLite takes no ORDER BY or LIMIT on a member of a UNION.
    mine = union(*(select(*part.subquery().c) for part in parts)).subquery("mine")
    page = _one_page(select(mine.c.id).order_by(mine.c.number.desc()))
    if shape.ids_only:
        return page
    return select(Ticket).where(_TICKETS.c.id.in_(page)).order_by(_TICKETS.c.number.desc())


@lru_cache(maxsize=SHAPES_KEPT)
def _statement(shape: _Shape) -> Select[Any]:
    if shape.involving is not None:
        return _newest_involving(shape, shape.involving)
    return _filtered(shape, _TICKETS.c.id if shape.ids_only else Ticket)


def _bind_ids(values: dict[str, Any], prefix: str, principal: Principal | None) -> None:
    if principal is not None:
        values[f"{prefix}_member"], values[f"{prefix}_identity"] = principal.member_id, principal.identity_id


def listing(filters: ListFilters, *, sqlite: bool, ids_only: bool = False) -> tuple[Select[Any], dict[str, Any]]:
    """The statement of a list with these filters, newest ticket first, and the values to run it with: whole
    tickets, or (`ids_only`) their ids."""
    board, status, before = filters.get("board"), filters.get("status"), filters.get("before")
    assignee, requester, involving = filters.get("assignee_id"), filters.get("requester"), filters.get("involving")
    words = (filters.get("words") or "").split()
    limit, offset = filters.get("limit", 50), filters.get("offset", 0)
    shape = _Shape(
        sqlite=sqlite,
        ids_only=ids_only,
        board=bool(board),
        status=bool(status),
        before=before is not None,
        open_only=filters.get("open_only", False),
        assignee=assignee is not None,
        requester=_ids(requester),
        involving=_ids(involving),
        words=tuple(len(w) >= TRIGRAM for w in words),
    )
    values: dict[str, Any] = {
        "limit": limit,
        "offset": offset,
        "reach": limit + offset,
        "before": before,
        "board": (board or "").lower(),
        "status": (status or "").lower(),
        "assignee": assignee,
    }
    _bind_ids(values, "requester", requester)
    _bind_ids(values, "involving", involving)
    indexed = [w for w in words if len(w) >= TRIGRAM]
    if sqlite and indexed:
        values["phrases"] = " ".join('"' + w.replace('"', '""') + '"' for w in indexed)
    for i, word in enumerate(words):
        values[f"word_{i}"] = "%" + literal(word.lower()) + "%"
    return _statement(shape), values
