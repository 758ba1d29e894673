"""The platform-neutral card: what a card says and which actions it offers, with no platform format.

Builders produce a `Card`; renderers turn it into an Adaptive Card (Teams 1.5, Webex 1.3), Block Kit (Slack)
or plain text (the terminal chat). Every action carries its verb and a `data` mapping that includes the
ticket number and the version the card showed, so the server can re-check it when it comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Text:
    """A paragraph of user-visible text (escaped by each renderer)."""

    text: str
    style: str = "default"  # "default" | "heading" | "subtle" | "warning"


@dataclass(frozen=True)
class Fact:
    """One labelled value in a fact list."""

    title: str
    value: str


@dataclass(frozen=True)
class Facts:
    """A list of labelled values (ticket fields)."""

    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Choice:
    """One option of a choice input."""

    title: str
    value: str


@dataclass(frozen=True)
class TextInput:
    """A free-text field of a form."""

    id: str
    label: str
    value: str = ""
    placeholder: str = ""
    multiline: bool = False
    required: bool = False
    max_length: int | None = None


@dataclass(frozen=True)
class ChoiceInput:
    """A pick-one field of a form."""

    id: str
    label: str
    choices: tuple[Choice, ...]
    value: str | None = None
    required: bool = False


Element = Text | Facts | TextInput | ChoiceInput


@dataclass(frozen=True)
class Button:
    """An action that runs at once. Inputs of the card body are sent with it."""

    title: str
    verb: str
    data: Mapping[str, Any] = field(default_factory=dict)
    style: str = "default"  # "default" | "positive" | "destructive"


@dataclass(frozen=True)
class Prompt:
    """An action that first asks for one input (a choice or a text) and then runs with it."""

    title: str
    verb: str
    input: TextInput | ChoiceInput
    data: Mapping[str, Any] = field(default_factory=dict)
    submit_title: str = "Save"


Action = Button | Prompt


@dataclass(frozen=True)
class Card:
    """A whole card: a title, body elements and actions."""

    title: str
    body: tuple[Element, ...] = ()
    actions: tuple[Action, ...] = ()
