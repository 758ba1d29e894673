"""`/boards`, their `/statuses` and `/categories`: anyone with a key reads them, admins change them."""

from __future__ import annotations

from bot.api.paging import page_by_id
from bot.api.routing import Call, Route
from bot.api.schemas import (
    BoardCreate,
    BoardOut,
    BoardUpdate,
    CategoryCreate,
    CategoryOut,
    CategoryQuery,
    Page,
    PageQuery,
    StatusCreate,
    StatusOut,
    StatusUpdate,
)


async def list_boards(call: Call[None, PageQuery]) -> Page[BoardOut]:
    """A page of boards."""
    return page_by_id(await call.desk.boards.list(), call.query, BoardOut.of)


async def get_board(call: Call) -> BoardOut:
    """One board with its workflow."""
    return BoardOut.of(await call.desk.boards.by_id(call.ids["board_id"]))


async def create_board(call: Call[BoardCreate, None]) -> BoardOut:
    """Add a board."""
    b = call.body
    board = await call.desk.boards.add(
        b.name, statuses=b.statuses, closed=b.closed, default_priority=b.default_priority, keywords=b.keywords
    )
    return BoardOut.of(await call.desk.boards.by_id(board.id))


async def update_board(call: Call[BoardUpdate, None]) -> BoardOut:
    """Change a board."""
    b = call.body
    board = await call.desk.boards.update(
        call.ids["board_id"], name=b.name, default_priority=b.default_priority, keywords=b.keywords
    )
    return BoardOut.of(board)


async def delete_board(call: Call) -> None:
    """Delete a board without tickets."""
    await call.desk.boards.delete(call.ids["board_id"])


async def list_statuses(call: Call) -> Page[StatusOut]:
    """The board's workflow in order (one page: a workflow is short)."""
    board = await call.desk.boards.by_id(call.ids["board_id"])
    return Page[StatusOut](items=[StatusOut.of(s) for s in board.statuses])


async def create_status(call: Call[StatusCreate, None]) -> StatusOut:
    """Add a status to the workflow."""
    b = call.body
    return StatusOut.of(
        await call.desk.boards.add_status(call.ids["board_id"], b.name, closed=b.closed, position=b.position)
    )


async def update_status(call: Call[StatusUpdate, None]) -> StatusOut:
    """Rename a status or change whether it closes tickets."""
    status = await call.desk.boards.update_status(
        call.ids["board_id"], call.ids["status_id"], name=call.body.name, closed=call.body.closed
    )
    return StatusOut.of(status)


async def delete_status(call: Call) -> None:
    """Remove a status no ticket is in."""
    await call.desk.boards.delete_status(call.ids["board_id"], call.ids["status_id"])


async def list_categories(call: Call[None, CategoryQuery]) -> Page[CategoryOut]:
    """A page of categories, optionally those usable on one board."""
    return page_by_id(await call.desk.boards.all_categories(call.query.board_id), call.query, CategoryOut.of)


async def get_category(call: Call) -> CategoryOut:
    """One category."""
    return CategoryOut.of(await call.desk.boards.category(call.ids["category_id"]))


async def create_category(call: Call[CategoryCreate, None]) -> CategoryOut:
    """Add a category path (parents are created as needed)."""
    board = (await call.desk.boards.by_id(call.body.board_id)).name if call.body.board_id else None
    return CategoryOut.of(await call.desk.boards.add_category(board, call.body.path))


async def delete_category(call: Call) -> None:
    """Delete a category and its children."""
    await call.desk.boards.delete_category(call.ids["category_id"])


B = "/boards/{board_id}"
S = B + "/statuses/{status_id}"
C = "/categories/{category_id}"
ROUTES = (
    Route("GET", "/boards", "boards.list", "List boards", list_boards, Page[BoardOut], query=PageQuery),
    Route("POST", "/boards", "boards.create", "Add a board", create_board, BoardOut, BoardCreate, status=201,
          admin=True, errors=(404, 409)),
    Route("GET", B, "boards.get", "Show a board", get_board, BoardOut),
    Route("PATCH", B, "boards.update", "Change a board", update_board, BoardOut, BoardUpdate, admin=True,
          errors=(409,)),
    Route("DELETE", B, "boards.delete", "Delete a board", delete_board, status=204, admin=True, errors=(409,)),
    Route("GET", B + "/statuses", "statuses.list", "List a board's statuses", list_statuses, Page[StatusOut]),
    Route("POST", B + "/statuses", "statuses.create", "Add a status", create_status, StatusOut, StatusCreate,
          status=201, admin=True, errors=(409,)),
    Route("PATCH", S, "statuses.update", "Change a status", update_status, StatusOut, StatusUpdate, admin=True,
          errors=(409,)),
    Route("DELETE", S, "statuses.delete", "Delete a status", delete_status, status=204, admin=True,
          errors=(409,)),
    Route("GET", "/categories", "categories.list", "List categories", list_categories, Page[CategoryOut],
          query=CategoryQuery),
    Route("POST", "/categories", "categories.create", "Add a category", create_category, CategoryOut,
          CategoryCreate, status=201, admin=True, errors=(404,)),
    Route("GET", C, "categories.get", "Show a category", get_category, CategoryOut),
    Route("DELETE", C, "categories.delete", "Delete a category", delete_category, status=204, admin=True),
)
