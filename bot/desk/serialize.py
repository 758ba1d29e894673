"""Plain JSON-ready dictionaries of domain objects, for `--json` output and the admin API."""

from __future__ import annotations

from typing import Any

from storage.models import ApiKey, Board, Member, Note, Ticket, TimelineEntry


def ticket_dict(ticket: Ticket) -> dict[str, Any]:
    """A ticket as JSON."""
    return {
        "number": ticket.number,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status.name,
        "closed": ticket.status.is_closed,
        "priority": ticket.priority,
        "board": ticket.board.name,
        "category": ticket.category.name if ticket.category else None,
        "assignees": [{"id": m.id, "name": m.name, "email": m.email} for m in ticket.assignees],
        "requester": {"name": ticket.requester_name, "member_id": ticket.requester_member_id},
        "origin": {"platform": ticket.origin_platform, "conversation": ticket.origin_conversation},
        "version": ticket.version,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
    }


def note_dict(note: Note) -> dict[str, Any]:
    """A note as JSON."""
    return {
        "id": note.uid,
        "author": note.author_name,
        "text": note.text,
        "internal": note.internal,
        "created_at": note.created_at.isoformat(),
    }


def timeline_dict(entry: TimelineEntry) -> dict[str, Any]:
    """A timeline entry as JSON."""
    return {"at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action, "changes": entry.changes}


def member_dict(member: Member) -> dict[str, Any]:
    """A member as JSON, with the platforms it is linked on."""
    return {
        "id": member.id,
        "name": member.name,
        "email": member.email,
        "admin": member.is_admin,
        "preferred_platform": member.preferred_platform,
        "identities": [{"platform": i.platform, "user_id": i.user_id} for i in member.identities],
    }


def board_dict(board: Board) -> dict[str, Any]:
    """A board as JSON, with its workflow."""
    return {
        "id": board.id,
        "name": board.name,
        "default_priority": board.default_priority,
        "keywords": board.keywords,
        "statuses": [{"name": s.name, "closed": s.is_closed} for s in board.statuses],
    }


def key_dict(key: ApiKey) -> dict[str, Any]:
    """An API key's public facts (never the key or its hash)."""
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }
