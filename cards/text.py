"""Plain-text rendering for the terminal chat: the card as readable lines and its actions numbered from 1.

Plain text has no markup and no mentions, so nothing is escaped.
"""

from __future__ import annotations

from typing import Any

from cards.model import Action, Card, ChoiceInput, Facts, Text, TextInput


def render_text(card: Card) -> tuple[str, tuple[Action, ...]]:
    """The card as text and its actions in display order: the user answers `2` to run the second one.

    Facts read `Status: New`, inputs `Title: <value>`, and the actions end the text as `[1] Assign to me  …`.
    """
    lines = [card.title]
    for element in card.body:
        if isinstance(element, Text):
            if element.text.strip():
                lines.append(element.text)
        elif isinstance(element, Facts):
            lines.extend(f"{f.title}: {f.value}" for f in element.facts)
        else:
            lines.append(f"{element.label}: {input_display(element)}")
    if card.actions:
        lines.append("  ".join(f"[{n}] {a.title}" for n, a in enumerate(card.actions, start=1)))
    return "\n".join(lines), card.actions


def input_display(element: TextInput | ChoiceInput) -> str:
    """What an input holds, as a user reads it: its text, the title of the chosen choice, or "—"."""
    if isinstance(element, TextInput):
        return element.value or "—"
    return next((c.title for c in element.choices if c.value == element.value), "—")


def is_form(card: Card) -> bool:
    """Whether the card has inputs (its buttons send what they hold)."""
    return any(isinstance(element, TextInput | ChoiceInput) for element in card.body)


def shown_values(card: Card) -> dict[str, Any]:
    """What the card's inputs hold as shown, by input id: what pressing one of its buttons submits."""
    return {e.id: e.value for e in card.body if isinstance(e, TextInput | ChoiceInput) and e.value is not None}
