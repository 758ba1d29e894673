"""The dialog engine: asks for one missing or invalid field at a time, offering the valid choices.

A dialog is a list of steps. Each step knows its question (or that there is nothing to ask) and how to accept
an answer. The engine keeps the state in the database, so a dialog survives a restart; `cancel` leaves at any
step (handled by the router), and three invalid answers in a row end the dialog with help.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.desk.errors import Invalid, TicketbotError
from bot.desk.principal import Principal
from bot.seam import InboundEvent, OutboundMessage, Reply
from cards.builders import question_card
from dialogs.store import DialogKey, DialogStore, State

if TYPE_CHECKING:
    from bot.desk import Desk

MAX_INVALID = 3


@dataclass(frozen=True)
class Turn:
    """What a step may use while handling one message: the desk, who speaks, and the event."""

    desk: Desk
    principal: Principal
    event: InboundEvent


@dataclass(frozen=True)
class Question:
    """What the bot asks; `choices` are the valid answers (also accepted by their number)."""

    text: str
    choices: tuple[str, ...] = ()


class AskAgain(Exception):
    """The answer narrowed things down; ask the same step again (e.g. a category with subcategories)."""


class Step(Protocol):
    """One field a dialog needs."""

    @property
    def name(self) -> str:
        """The field's name in the dialog's data."""

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question | None:
        """The question for this step, or None when there is nothing to ask."""

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> Any:
        """The value for an answer; raises a TicketbotError (shown to the user) or AskAgain."""


class Dialog(Protocol):
    """A named sequence of steps and what to do when all are answered."""

    @property
    def name(self) -> str:
        """The dialog's name, as stored in its state."""

    @property
    def title(self) -> str:
        """What the user is told the dialog is about ("assignment")."""

    @property
    def steps(self) -> Sequence[Step]:
        """The fields, in the order they are asked."""

    async def finish(self, data: dict[str, Any], turn: Turn) -> Reply:
        """Do the work with the collected data."""


def render_question(question: Question, title: str, prefix: str | None = None) -> OutboundMessage:
    """The question as a chat message, with numbered choices and the way out; with choices, also as a card
    whose buttons answer it."""
    lines = [prefix] if prefix else []
    lines.append(question.text)
    if question.choices:
        lines.append("  ".join(f"{i}. {choice}" for i, choice in enumerate(question.choices, start=1)))
    lines.append("(Type `cancel` to stop.)")
    card = question_card(title, question.text, question.choices, notice=prefix) if question.choices else None
    return OutboundMessage(text="\n".join(lines), card=card)


def pick(answer: str, choices: Sequence[str]) -> str | None:
    """The choice an answer names, by number or by text (case-insensitive); None when it names none."""
    answer = answer.strip()
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        return choices[int(answer) - 1]
    for choice in choices:
        if choice.lower() == answer.lower():
            return choice
    return None


def choose(answer: str, choices: Sequence[str], error: str) -> str:
    """The choice an answer names, or Invalid(error) when it names none."""
    chosen = pick(answer, choices)
    if chosen is None:
        raise Invalid(error)
    return chosen


class DialogEngine:
    """Runs dialogs over the state store."""

    def __init__(self, store: DialogStore, dialogs: Sequence[Dialog]) -> None:
        self.store = store
        self.dialogs = {d.name: d for d in dialogs}

    async def start(
        self, name: str, key: DialogKey, turn: Turn, data: Mapping[str, Any] | None = None, *, notice: str | None = None
    ) -> Reply:
        """Begin dialog `name` with what is already known; asks the first missing field or finishes at once."""
        state = State(dialog=name, data=dict(data or {}))
        return await self._advance(state, key, turn, notice)

    async def answer(self, state: State, key: DialogKey, text: str, turn: Turn) -> Reply:
        """Take the user's answer to the current step."""
        dialog = self.dialogs[state.dialog]
        step = next((s for s in dialog.steps if s.name == state.step), None)
        if step is None:
            await self.store.clear(key)
            return Reply(messages=(OutboundMessage("That conversation had gone stale; please start again."),))
        try:
            state.data[step.name] = await step.accept(text, state.data, turn)
        except AskAgain:
            return await self._advance(state, key, turn, None)
        except TicketbotError as exc:
            state.invalid_count += 1
            if state.invalid_count >= MAX_INVALID:
                await self.store.clear(key)
                return Reply(
                    messages=(
                        OutboundMessage(
                            f"{exc}\nThat was three tries, so I stopped the {dialog.title}; nothing was changed. "
                            "Type `help` to see what I can do."
                        ),
                    )
                )
            return await self._advance(state, key, turn, str(exc))
        state.invalid_count = 0
        return await self._advance(state, key, turn, None)

    async def _advance(self, state: State, key: DialogKey, turn: Turn, prefix: str | None) -> Reply:
        dialog = self.dialogs[state.dialog]
        for step in dialog.steps:
            if step.name in state.data:
                continue
            question = await step.question(state.data, turn)
            if question is None:
                continue
            state.step = step.name
            await self.store.save(key, state)
            return Reply(messages=(render_question(question, dialog.title.capitalize(), prefix),))
        await self.store.clear(key)
        reply = await dialog.finish(state.data, turn)
        if prefix:
            return Reply(messages=(OutboundMessage(prefix), *reply.messages), refreshed=reply.refreshed)
        return reply
