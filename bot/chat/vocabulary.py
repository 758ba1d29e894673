"""The command vocabulary, defined once: how each command is typed, what it does, and who may use it.

The parser's suggestions, the help card, the command table's completeness test and the Teams manifest's
command lists are all made from `COMMANDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.desk import policy
from bot.desk.principal import Principal
from bot.facts import PRIORITIES

Audience = Literal["everyone", "members", "admins"]


@dataclass(frozen=True)
class Command:
    """One command: its intent name, how it is typed, a one-line summary, and who may use it."""

    intent: str
    usage: str
    summary: str
    audience: Audience = "everyone"


COMMANDS: tuple[Command, ...] = (
    Command("create", "new <text>", "Draft a ticket from your description (also: create, open)"),
    Command("show", "show <n>", "Show ticket n; a bare #n works too"),
    Command("notes", "show <n> notes", "List the notes of ticket n"),
    Command("history", "show <n> history", "Show what happened to ticket n"),
    Command("assign", "assign <n> to <person>", "Assign ticket n to @someone, a name, an email or me", "members"),
    Command("unassign", "unassign <n> <person>", "Remove an assignee from ticket n", "members"),
    Command("status", "status <n> <status>", "Set the status of ticket n", "members"),
    Command("priority", "priority <n> <priority>", f"Set the priority: {', '.join(PRIORITIES)}", "members"),
    Command("note", "note <n> <text>", "Add a note to ticket n (members: `note <n> internal <text>`)"),
    Command("close", "close <n> [reason]", "Close ticket n"),
    Command("reopen", "reopen <n>", "Reopen ticket n"),
    Command("my_tickets", "my tickets", "List the open tickets assigned to you or opened by you"),
    Command("list", "list [board] [status]", "List tickets, optionally of one board and status", "members"),
    Command("search", "search <words>", "Find tickets by words in their title or description"),
    Command("more", "more", "Show the next page of the last list"),
    Command("cancel", "cancel", "Leave the current question or drop your draft"),
    Command("link", "link", "Link this chat account to your desk profile by email"),
    Command("help", "help", "Show this help"),
    Command("follow", "follow <board>", "Post new tickets of the board in this channel", "admins"),
    Command("unfollow", "unfollow <board>", "Stop posting the board's tickets in this channel", "admins"),
)

USAGE: Mapping[str, str] = {c.intent: c.usage for c in COMMANDS}
"""How each command is typed, by intent name: the suggestion for a malformed or misspelt command."""


def may_use(principal: Principal, command: Command) -> bool:
    """Whether the principal may use the command (the help card lists only those)."""
    if command.audience == "admins":
        return principal.is_admin
    if command.audience == "members":
        return policy.is_staff(principal)
    return True


def help_entries(principal: Principal) -> tuple[tuple[str, str], ...]:
    """(usage, summary) of every command the principal may use, for the help card."""
    return tuple((c.usage, c.summary) for c in COMMANDS if may_use(principal, c))


def manifest_entries(audience: Audience) -> tuple[tuple[str, str], ...]:
    """(usage, summary) of the commands of one audience, for the Teams manifest's command lists."""
    return tuple((c.usage, c.summary) for c in COMMANDS if c.audience == audience)
