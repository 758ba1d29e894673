"""The stored (JSON) form of a platform-neutral card, so the outbox can keep a message and render it later.

Each element and action is written with a `type` tag naming its class; reading rebuilds the same frozen
dataclasses, so `load_card(dump_card(card)) == card` for every card a builder makes (tested).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from cards.model import Button, Card, Choice, ChoiceInput, Fact, Facts, Prompt, Text, TextInput

_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (Button, Card, Choice, ChoiceInput, Fact, Facts, Prompt, Text, TextInput)
}


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}
    if isinstance(value, tuple | list):
        return [_dump(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


def _load(value: Any) -> Any:
    if isinstance(value, Mapping):
        kind = value.get("type")
        cls = _TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            return {k: _load(v) for k, v in value.items()}
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: _load(v) for k, v in value.items() if k in names})
    if isinstance(value, list):
        return tuple(_load(item) for item in value)
    return value


def dump_card(card: Card) -> dict[str, Any]:
    """The card as JSON-ready data."""
    return _dump(card)


def load_card(data: Mapping[str, Any]) -> Card:
    """The card from its stored form; raises ValueError when it is not one."""
    card = _load(data)
    if not isinstance(card, Card):
        raise ValueError("The stored data is not a card.")
    return card
