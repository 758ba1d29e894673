"""The data the card builders take: plain, already-resolved values (names, not ids), no database objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.facts import PRIORITIES


@dataclass(frozen=True)
class NoteView:
    """One note on a ticket."""

    id: str
    author: str
    text: str
    internal: bool
    created_at: datetime


@dataclass(frozen=True)
class AttachmentView:
    """A file kept on a ticket as a reference: its name, type and the platform's URL."""

    name: str
    content_type: str
    url: str


@dataclass(frozen=True)
class TicketView:
    """A ticket as one viewer's card shows it. `statuses` is the board's workflow, offered by the Status action;
    `actions` the card verbs this viewer may use (None: all); `notes` how many notes this viewer may see."""

    number: int
    title: str
    description: str
    status: str
    is_closed: bool
    priority: str
    board: str
    assignees: tuple[str, ...]
    requester: str
    category: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    latest_note: NoteView | None
    statuses: tuple[str, ...]
    actions: frozenset[str] | None = None
    notes: int = 0
    attachments: tuple[AttachmentView, ...] = ()


@dataclass(frozen=True)
class DraftView:
    """A ticket not yet created: the prefilled create form and the choices it offers."""

    title: str
    description: str
    priority: str
    board: str
    category: str | None
    boards: tuple[str, ...]
    categories: tuple[str, ...]
    priorities: tuple[str, ...] = PRIORITIES
    draft_id: str = ""


@dataclass(frozen=True)
class Change:
    """One changed field of a ticket event: `field` is a display name (status, priority, assignees, ...)."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class EventView:
    """A ticket event as a notification shows it: what changed, by whom, and the note it added if any."""

    ticket: TicketView
    kind: str  # "created" | "updated"
    actor: str
    changes: tuple[Change, ...]
    note: NoteView | None
