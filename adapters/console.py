"""The terminal chat (`ticketbot chat`): the conversation core as a local user, platform `console`.

Cards are shown as readable text with numbered buttons; `/N` presses button N of the last card shown. A button
that needs an input (a status, a note) asks for it, and a form (the create form) lets the user keep or change
each prefilled field. Everything else typed is a message to the bot, exactly as in Teams, Slack or Webex.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.seam import Actor, ConversationRef, Core, EventKind, InboundEvent, OutboundMessage, Reply
from cards.model import Button, Card, ChoiceInput, Prompt, TextInput
from cards.text import input_display, render_text

PLATFORM = "console"
QUIT_WORDS = {"quit", "exit", "bye"}

Ask = Callable[[str], Awaitable[str | None]]


async def read_line(prompt: str) -> str | None:
    """One line from stdin (None at end of input), read off the event loop."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = await asyncio.to_thread(sys.stdin.readline)
    return None if line == "" else line.rstrip("\n")


class ConsoleChat:
    """One terminal conversation between a local user and the core."""

    def __init__(
        self, core: Core, bot_name: str, actor: Actor, ask: Ask = read_line, show: Callable[[str], None] = print
    ) -> None:
        self.core = core
        self.bot_name = bot_name
        self.actor = actor
        self.ask = ask
        self.show = show
        self.conversation = ConversationRef(PLATFORM, f"console:{actor.user_id}", scope="personal")
        self.card: Card | None = None
        self._ids = itertools.count(1)
        self._session = f"{id(self):x}"

    def _event(self, kind: EventKind, **fields: Any) -> InboundEvent:
        key = f"{self._session}:{next(self._ids)}"
        return InboundEvent(kind=kind, conversation=self.conversation, actor=self.actor, idempotency_key=key, **fields)

    def _render(self, reply: Reply) -> None:
        for message in (*reply.messages, *((reply.refreshed,) if reply.refreshed else ())):
            self._print(message)

    def _print(self, message: OutboundMessage) -> None:
        if message.card is None:
            self.show(f"bot> {message.text}")
            return
        text, actions = render_text(message.card)
        self.show("bot> " + text.replace("\n", "\n     "))
        if actions:
            self.card = message.card
            self.show(f"     (press a button with /1 … /{len(actions)})")

    async def _press(self, number: int) -> Reply | None:
        card = self.card
        if card is None or not 1 <= number <= len(card.actions):
            self.show("bot> There is no such button on the last card.")
            return None
        action = card.actions[number - 1]
        values: dict[str, Any] = dict(action.data)
        if isinstance(action, Prompt):
            answer = await self._fill(action.input)
            if answer is None:
                return None
            values[action.input.id] = answer
        elif isinstance(action, Button):
            for element in card.body:
                if isinstance(element, TextInput | ChoiceInput):
                    answer = await self._fill(element)
                    if answer is None:
                        return None
                    values[element.id] = answer
        return await self.core.handle(self._event(EventKind.CARD_ACTION, action=action.verb, values=values))

    async def _fill(self, element: TextInput | ChoiceInput) -> str | None:
        if isinstance(element, TextInput):
            shown = f" [{element.value}]" if element.value else ""
            answer = await self.ask(f"  {element.label}{shown}: ")
            return None if answer is None else (answer.strip() or element.value)
        choices = "  ".join(f"{i}. {c.title}" for i, c in enumerate(element.choices, start=1))
        self.show(f"  {element.label}: {choices}")
        answer = await self.ask(f"  choose 1-{len(element.choices)} [{input_display(element)}]: ")
        if answer is None:
            return None
        answer = answer.strip()
        if answer.isdigit() and 1 <= int(answer) <= len(element.choices):
            return element.choices[int(answer) - 1].value
        match = next((c.value for c in element.choices if answer.lower() in {c.title.lower(), c.value.lower()}), None)
        return match or element.value or answer

    async def run(self) -> None:
        """Chat until the user says quit or the input ends."""
        self.show(f"Chatting with {self.bot_name} as {self.actor.name}. Type `help`, or `quit` to leave.")
        while True:
            line = await self.ask("you> ")
            if line is None or line.strip().lower() in QUIT_WORDS:
                return
            if not line.strip():
                continue
            stripped = line.strip()
            if stripped.startswith("/") and stripped[1:].isdigit():
                reply = await self._press(int(stripped[1:]))
            else:
                reply = await self.core.handle(self._event(EventKind.MESSAGE, text=line))
            if reply is not None:
                self._render(reply)
