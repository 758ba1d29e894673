"""`ticketbot boards …`: boards, their workflows and category trees."""

from __future__ import annotations

import typer

from bot.api.schemas import BoardOut, StatusOut
from bot.cli.common import JSON_OPTION, emit, group, run

boards_app = group("Boards and their workflows.")


@boards_app.command("list")
def boards_list(as_json: bool = JSON_OPTION) -> None:
    """List boards with their workflows."""
    boards = run(lambda s: s.boards.list(), migrate=False)
    text = "\n".join(
        f"{b.name} (default priority {b.default_priority}): " + " → ".join(st.name for st in b.statuses) for b in boards
    )
    emit(as_json, [BoardOut.of(b) for b in boards], text)


@boards_app.command("add")
def boards_add(
    name: str,
    status: list[str] = typer.Option([], "--status", help="A status of the workflow, in order (repeat)."),
    closed: list[str] = typer.Option([], "--closed", help="A status that closes tickets (repeat)."),
    priority: str = typer.Option("medium", help="Default priority of new tickets."),
    keyword: list[str] = typer.Option([], "--keyword", help="A word that routes free-text drafts here (repeat)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a board (default workflow: New, In Progress, Waiting, Resolved, Closed)."""
    board = run(
        lambda s: s.boards.add(name, statuses=status, closed=closed, default_priority=priority, keywords=keyword),
        audit="boards.create",
    )
    emit(as_json, BoardOut.of(board), f"added board {board.name}")


@boards_app.command("statuses")
def boards_statuses(board: str, as_json: bool = JSON_OPTION) -> None:
    """Show a board's status workflow."""
    row = run(lambda s: s.boards.get(board), migrate=False)
    text = "\n".join(f"{st.position + 1}. {st.name}{' (closed)' if st.is_closed else ''}" for st in row.statuses)
    emit(as_json, [StatusOut.of(st) for st in row.statuses], text)


@boards_app.command("category")
def boards_category(
    path: str = typer.Argument(..., help="Category path, e.g. Hardware/Printers."),
    board: str = typer.Option("", help="Board the category belongs to (all boards when empty)."),
) -> None:
    """Add a category (parents are created as needed)."""
    category = run(lambda s: s.boards.add_category(board or None, path), audit="categories.create")
    typer.echo(f"added category {path} (id {category.id})")
