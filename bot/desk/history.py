"""`show 42 history` as people read it: names, what a note said, times in the desk's time zone.

Chat and the CLI print the same lines. A viewer who may not see internal notes sees no trace of them: the
entries that added one are left out, not shown as "a hidden note".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from sqlalchemy import select

from bot.desk import policy
from bot.desk.principal import Principal
from cards.fit import cut_text
from storage.db import Database
from storage.models import Note, Ticket, TimelineEntry

NOTE_EXCERPT = 80


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _excerpt(text: str) -> str:
    return cut_text(" ".join(text.split()), NOTE_EXCERPT)


def _change(change: Mapping[str, Any], notes: Mapping[str, Note]) -> str | None:
    if change.get("field") != "note":
        return f"{change.get('field')} {_value(change.get('old'))} → {_value(change.get('new'))}"
    note = notes.get(str(change.get("new")))
    if note is None:
        return None
    marker = "internal note" if note.internal else "note"
    return f"added a {marker}: “{_excerpt(note.text)}”"


def history_lines(
    ticket: Ticket, entries: Sequence[TimelineEntry], notes: Sequence[Note], *, tz: tzinfo
) -> list[str]:
    """The history of a ticket, one line per change, with only the notes given (the ones the viewer may see)."""
    by_uid = {n.uid: n for n in notes}
    lines = [f"History of #{ticket.number} {ticket.title}:"]
    for entry in entries:
        parts = [_change(c, by_uid) for c in entry.changes]
        shown = [p for p in parts if p is not None]
        if not shown:
            continue
        when = entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
        lines.append(f"{when} {entry.actor} {entry.action}: {'; '.join(shown)}")
    return lines


async def history_for(db: Database, ticket: Ticket, viewer: Principal, *, tz: tzinfo) -> list[str]:
    """The history lines of `ticket` as `viewer` may see them."""
    notes = select(Note).where(Note.ticket_id == ticket.id)
    if not policy.may_see_internal(viewer):
        notes = notes.where(Note.internal.is_(False))
    async with db.sessions() as session:
        entries = (
            await session.scalars(
                select(TimelineEntry).where(TimelineEntry.ticket_id == ticket.id).order_by(TimelineEntry.id)
            )
        ).all()
        visible = (await session.scalars(notes)).all()
    return history_lines(ticket, entries, visible, tz=tz)
