"""Ticket priorities and the words people use for them (SPEC §2)."""

from __future__ import annotations

_ALIASES: dict[str, str] = {
    "low": "low",
    "lo": "low",
    "p4": "low",
    "minor": "low",
    "medium": "medium",
    "med": "medium",
    "normal": "medium",
    "moderate": "medium",
    "p3": "medium",
    "high": "high",
    "hi": "high",
    "p2": "high",
    "major": "high",
    "urgent": "critical",
    "asap": "critical",
    "critical": "critical",
    "crit": "critical",
    "p1": "critical",
    "emergency": "critical",
}


def normalize_priority(word: str) -> str | None:
    """The canonical priority for a word or alias (case-insensitive), or None when it is not one."""
    return _ALIASES.get(word.strip().lower())
