"""Card builders: view data in, a platform-neutral `Card` out. Pure: no I/O, no clock (callers pass `now`).

The verbs below are what the server dispatches on when an action comes back; every ticket action's data
carries `ticket` (the number) and `version` (the version the card showed) so that a stale card is detected.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cards.model import (
    Action,
    Button,
    Card,
    Choice,
    ChoiceInput,
    Element,
    Fact,
    Facts,
    Prompt,
    Text,
    TextInput,
)
from cards.verbs import ASSIGN_ME, CANCEL_DRAFT, CLOSE, CREATE, NOTE, PRIORITY, REOPEN, SHOW, STATUS
from cards.views import Change, DraftView, EventView, NoteView, TicketView

PRIORITIES: tuple[str, ...] = ("low", "medium", "high", "critical")  # SPEC §2
TITLE_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 4000
DESCRIPTION_EXCERPT = 500
NOTE_EXCERPT = 300
CHANGE_EXCERPT = 100
LIST_LIMIT = 10
ASSIGNEES_SHOWN = 5

HELP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("new <text>", "Draft a ticket from your description (also: create, open)"),
    ("show <n>", "Show ticket n; a bare #n works too"),
    ("assign <n> to <who>", "Assign ticket n to @someone, a name, an email or me"),
    ("unassign <n> <who>", "Remove an assignee from ticket n"),
    ("status <n> <status>", "Set the status of ticket n"),
    ("priority <n> <priority>", "Set the priority: low, medium, high or critical"),
    ("note <n> <text>", "Add a note to ticket n"),
    ("close <n> [reason]", "Close ticket n"),
    ("reopen <n>", "Reopen ticket n"),
    ("my tickets", "List the open tickets assigned to you or opened by you"),
    ("list [board] [status]", "List tickets, optionally of one board and status"),
    ("search <words>", "Find tickets by words in their title or description"),
    ("cancel", "Leave the current question"),
    ("link", "Link this chat account to your desk profile by email"),
    ("help", "Show this help"),
)
"""Every member's commands as (usage, one-line description); the Teams manifest reuses them."""

ADMIN_HELP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("follow <board>", "Post new tickets of the board in this channel"),
    ("unfollow <board>", "Stop posting the board's tickets in this channel"),
)
"""The admin-only commands, shown by the help card to admins only."""

STRUCTURED_EXAMPLE = (
    "Title: Printer on floor 3 is jammed\n"
    "Priority: high\n"
    "Board: IT\n"
    "Description: It shows error E13 since this morning."
)


def ticket_card(t: TicketView, *, now: datetime, notice: str | None = None) -> Card:
    """The ticket as it is now: its fields, description and latest note, with the ticket actions.

    `notice` is shown first as a warning, e.g. when a stale card was answered with this fresh one.
    """
    body: list[Element] = [*_notice(notice), _ticket_facts(t, now)]
    if t.description.strip():
        body.append(Text(_excerpt(t.description, DESCRIPTION_EXCERPT)))
    if t.latest_note is not None:
        body.extend(_note_texts(f"Latest note by {t.latest_note.author}", t.latest_note))
    return Card(title=f"#{t.number} {t.title}", body=tuple(body), actions=_ticket_actions(t))


def create_form(d: DraftView, *, notice: str | None = None) -> Card:
    """The prefilled create form for a draft: title, description, priority, board, category; Create/Cancel."""
    body: list[Element] = [
        *_notice(notice),
        TextInput(
            "title", "Title", value=d.title[:TITLE_MAX_LENGTH], placeholder="A short summary of the problem",
            required=True, max_length=TITLE_MAX_LENGTH,
        ),
        TextInput(
            "description", "Description", value=d.description,
            placeholder="What happened, since when, who is affected", multiline=True,
        ),
        _pick("priority", "Priority", _priority_choices(d.priorities), d.priority, required=True),
        _pick("board", "Board", _plain_choices(d.boards), d.board, required=True),
    ]
    if d.categories:
        body.append(_pick("category", "Category", _plain_choices(d.categories), d.category))
    actions = (Button("Create", CREATE, style="positive"), Button("Cancel", CANCEL_DRAFT))
    return Card(title="New ticket", body=tuple(body), actions=actions)


def notification_card(e: EventView, *, now: datetime) -> Card:
    """A ticket event: what changed and by whom, the added note's excerpt, the ticket's fields and actions."""
    t = e.ticket
    body: list[Element] = []
    if e.kind == "created":
        title = f"New ticket #{t.number}: {t.title}"
    else:
        title = f"#{t.number} updated by {e.actor}"
        body.append(Text(t.title, "heading"))
    body.extend(Text(_change_line(c)) for c in e.changes)
    if e.note is not None:
        body.extend(_note_texts(f"Note by {e.note.author}", e.note))
    body.append(_ticket_facts(t, now))
    return Card(title=title, body=tuple(body), actions=_ticket_actions(t))


def list_card(
    title: str, tickets: Sequence[TicketView], *, empty_text: str, total: int | None = None
) -> Card:
    """Tickets one per line (`#42 · High · In Progress · Printer jammed`) with a Show button each.

    At most ten are shown; `total` is the number of all matching tickets when `tickets` is only a page,
    and the card then says how many more there are.
    """
    shown = tuple(tickets[:LIST_LIMIT])
    if not shown:
        return Card(title=title, body=(Text(empty_text),))
    body: list[Element] = [
        Text(f"#{t.number} · {t.priority.capitalize()} · {t.status} · {t.title}") for t in shown
    ]
    hidden = max(len(tickets), total or 0) - len(shown)
    if hidden > 0:
        body.append(Text(f"and {hidden} more", "subtle"))
    actions = tuple(Button(f"#{t.number}", SHOW, _ref(t)) for t in shown)
    return Card(title=title, body=tuple(body), actions=actions)


def help_card(*, is_admin: bool) -> Card:
    """The commands with a one-line description each (admin commands for admins), and the structured form."""
    commands = HELP_COMMANDS + (ADMIN_HELP_COMMANDS if is_admin else ())
    body: tuple[Element, ...] = (
        Text("Tell me what is wrong in your own words, or use a command. In a channel, mention me first; "
             "in Slack you can also type /ticket."),
        Facts(tuple(Fact(usage, description) for usage, description in commands)),
        Text("Or send the whole ticket in one message:", "heading"),
        Text(STRUCTURED_EXAMPLE),
    )
    return Card(title="What I can do", body=body)


def welcome_card(bot_name: str) -> Card:
    """The card sent on install: what the bot does and three messages to try."""
    body: tuple[Element, ...] = (
        Text("I open and track service desk tickets. Tell me what is wrong in your own words and I draft a "
             "ticket for you to confirm; I let you know when it changes. Technicians assign, update and "
             "close tickets right from my cards."),
        Text("Try one of these:", "heading"),
        Text("“The printer on floor 3 is jammed, urgent”"),
        Text("“show 42”"),
        Text("“my tickets”"),
        Text("Type help to see every command.", "subtle"),
    )
    return Card(title=f"Hi, I'm {bot_name}", body=body)


def _ref(t: TicketView) -> dict[str, Any]:
    """The data every ticket action carries."""
    return {"ticket": t.number, "version": t.version}


def _ticket_actions(t: TicketView) -> tuple[Action, ...]:
    """Assign to me, Status, Priority, Add note, and Close (or Reopen when the ticket is closed)."""
    statuses = _pick("status", "Status", _plain_choices(t.statuses), t.status, required=True)
    priorities = _pick("priority", "Priority", _priority_choices(PRIORITIES), t.priority, required=True)
    note = TextInput(
        "note", "Note", placeholder="What should the team know?", multiline=True, required=True,
        max_length=NOTE_MAX_LENGTH,
    )
    actions: list[Action] = [Button("Assign to me", ASSIGN_ME, _ref(t))]
    if t.statuses:
        actions.append(Prompt("Status", STATUS, statuses, _ref(t)))
    actions.append(Prompt("Priority", PRIORITY, priorities, _ref(t)))
    actions.append(Prompt("Add note", NOTE, note, _ref(t), submit_title="Add note"))
    if t.is_closed:
        actions.append(Button("Reopen", REOPEN, _ref(t)))
    else:
        actions.append(Button("Close", CLOSE, _ref(t), style="destructive"))
    return tuple(actions)


def _notice(notice: str | None) -> tuple[Text, ...]:
    return (Text(notice, "warning"),) if notice else ()


def _ticket_facts(t: TicketView, now: datetime) -> Facts:
    facts = [
        Fact("Status", t.status),
        Fact("Priority", t.priority.capitalize()),
        Fact("Board", t.board),
        Fact("Assignees", _names(t.assignees)),
        Fact("Requester", t.requester or "—"),
    ]
    if t.category:
        facts.append(Fact("Category", t.category))
    facts.append(Fact("Age", _age(t.created_at, now)))
    return Facts(tuple(facts))


def _names(names: tuple[str, ...]) -> str:
    if not names:
        return "Unassigned"
    shown = ", ".join(names[:ASSIGNEES_SHOWN])
    hidden = len(names) - ASSIGNEES_SHOWN
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def _note_texts(label: str, note: NoteView) -> tuple[Text, Text]:
    marker = " (internal)" if note.internal else ""
    return Text(label + marker, "subtle"), Text(_excerpt(note.text, NOTE_EXCERPT))


def _change_line(c: Change) -> str:
    old = _excerpt(c.old, CHANGE_EXCERPT) if c.old else "—"
    new = _excerpt(c.new, CHANGE_EXCERPT) if c.new else "—"
    return f"{c.field[:1].upper()}{c.field[1:]}: {old} → {new}"


def _pick(
    input_id: str, label: str, choices: tuple[Choice, ...], current: str | None, *, required: bool = False
) -> ChoiceInput:
    """A choice input preselecting `current` when it is one of the choices."""
    value = current if any(c.value == current for c in choices) else None
    return ChoiceInput(input_id, label, choices, value, required)


def _plain_choices(values: Sequence[str]) -> tuple[Choice, ...]:
    return tuple(Choice(v, v) for v in values)


def _priority_choices(priorities: Sequence[str]) -> tuple[Choice, ...]:
    return tuple(Choice(p.capitalize(), p) for p in priorities)


def _age(since: datetime, now: datetime) -> str:
    """A short human age: "just now", "5 min", "3 h", "2 d"."""
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def _excerpt(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary where there is one, ending in "…"."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary > limit // 2:
        cut = cut[:boundary]
    return cut.rstrip() + "…"
