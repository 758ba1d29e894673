"""The terminal chat (`ticketbot chat`): the conversation core as a local user, platform `console`.

Cards are shown as readable text with numbered buttons. Right after a card with buttons, a bare number
presses that button (`/N` presses button N of the last card with buttons at any time); while a dialog question
is open a bare number is an answer, sent as text like everything else typed. A button that needs an input (a
status, a note) asks for it. On a form (the prefilled create form) every button sends the values shown; the
console adds an `Edit` button (or the word `edit`) that walks the fields first, and `cancel` at a field prompt
leaves the form unchanged.

One message may span several lines: a line ending in `\\` continues on the next line, and on a terminal the
lines of a paste (lines already waiting on stdin, or arriving within `PASTE_GRACE` seconds) are one message.
From a pipe or a file each line is one message unless it ends in `\\`, so scripts stay predictable.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import select
import signal
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TextIO, TypeVar

from bot.facts import EXIT_INTERRUPTED
from bot.seam import Actor, ConversationRef, Core, EventKind, InboundEvent, OutboundMessage, Reply
from cards import verbs
from cards.model import Button, Card, ChoiceInput, Prompt, TextInput
from cards.text import input_display, is_form, render_text, shown_values

PLATFORM = "console"
QUIT_WORDS = {"quit", "exit", "bye"}
CANCEL_WORD = "cancel"
EDIT_WORD = "edit"
CONTINUATION = "\\"
# A terminal delivers a paste as one burst; lines arriving this soon after the previous one belong to it.
# Typing is far slower than 30 ms per line, so a typed Enter still ends the message.
PASTE_GRACE = 0.03
READ_SIZE = 65536
EDIT = Button("Edit", "console.edit")  # offered on forms by this adapter only; never sent to the core
GREETING = (
    "Type `help` to see what I can do. Press a card's button by typing its number (or /N).\n"
    "End a line with \\ to go on writing on the next line (pasted lines stay one message).\n"
    "Type `quit` (or press Ctrl-D) to leave."
)

T = TypeVar("T")


class _Interrupt:
    """Ctrl-C, as the loop's own signal handler: the first press ends the chat (the services close as usual), a
    second one while that runs exits at once, without a traceback, as a second Ctrl-C does elsewhere.

    asyncio's default handler runs only once the loop's thread wakes, and a signal the kernel gives to another
    thread (the blocked read's, SQLite's) does not wake it, so the chat went on waiting for a line; the loop's own
    handler is woken by whichever thread takes the signal."""

    def __init__(self) -> None:
        self.pressed = False

    def __call__(self) -> None:
        if self.pressed:
            os._exit(EXIT_INTERRUPTED)
        self.pressed = True
        raise KeyboardInterrupt


async def off_loop(read: Callable[[str], T], prompt: str) -> T:
    """Run a blocking read in a daemon thread: Ctrl-C then ends the chat at once instead of waiting for the
    read to return, as a worker of `asyncio.to_thread` would have to."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def work() -> None:
        try:
            result = read(prompt)
        except Exception as exc:  # handed to the awaiting task, which raises it
            failure = exc
            loop.call_soon_threadsafe(settle, lambda: future.set_exception(failure))
        else:
            loop.call_soon_threadsafe(settle, lambda: future.set_result(result))

    threading.Thread(target=work, name="console-stdin", daemon=True).start()
    return await future


class StdinReader:
    """Lines and messages from a file descriptor (stdin), read with `os.read` so what is buffered is known."""

    def __init__(self, fd: int = 0, out: TextIO = sys.stdout, grace: float = PASTE_GRACE) -> None:
        self.fd = fd
        self.out = out
        self.grace = grace
        self.tty = os.isatty(fd)
        self._buffer = b""
        self._eof = False

    def _fill(self, timeout: float | None) -> bool:
        """Read one chunk (waiting at most `timeout` seconds when given); False when nothing came."""
        if self._eof:
            return False
        if timeout is not None and not select.select([self.fd], [], [], timeout)[0]:
            return False
        chunk = os.read(self.fd, READ_SIZE)
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def _prompt(self, prompt: str) -> None:
        self.out.write(prompt)
        self.out.flush()

    def line(self, prompt: str) -> str | None:
        """One line (None at end of input)."""
        self._prompt(prompt)
        while b"\n" not in self._buffer and self._fill(None):
            pass
        if b"\n" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\n", 1)
        elif self._buffer:
            raw, self._buffer = self._buffer, b""
        else:
            return None
        return raw.decode("utf-8", errors="replace").rstrip("\r")

    def _pasted(self) -> bool:
        """On a terminal: another whole line is already here, or arrives within the paste grace."""
        if not self.tty:
            return False
        while b"\n" not in self._buffer:
            if not self._fill(self.grace):
                return False
        return True

    def message(self, prompt: str) -> str | None:
        """One message: a line, plus the lines a trailing `\\` or a paste joins to it (None at end of input)."""
        first = self.line(prompt)
        if first is None:
            return None
        lines = [first]
        while True:
            if lines[-1].endswith(CONTINUATION):
                lines[-1] = lines[-1][: -len(CONTINUATION)]
                more = self.line("...> ")
            elif self._pasted():
                more = self.line("")
            else:
                break
            if more is None:
                break
            lines.append(more)
        return "\n".join(lines)


class ConsoleChat:
    """One terminal conversation between a local user and the core."""

    def __init__(
        self, core: Core, bot_name: str, actor: Actor, reader: StdinReader | None = None,
        show: Callable[[str], None] = print,
    ) -> None:
        self.core = core
        self.bot_name = bot_name
        self.actor = actor
        self.reader = reader or StdinReader()
        self.show = show
        self.conversation = ConversationRef(PLATFORM, f"console:{actor.user_id}", scope="personal")
        self.card: Card | None = None  # the last card with buttons, as shown (with Edit on forms)
        self.showing = False  # whether that card is the last thing shown, so a bare number presses its button
        self._ids = itertools.count(1)
        # Unique per run: a key seen in an earlier run would be taken for a redelivery and ignored.
        self._session = uuid.uuid4().hex

    def _event(self, kind: EventKind, **fields: Any) -> InboundEvent:
        key = f"{self._session}:{next(self._ids)}"
        return InboundEvent(kind=kind, conversation=self.conversation, actor=self.actor, idempotency_key=key, **fields)

    async def _line(self, prompt: str) -> str | None:
        return await off_loop(self.reader.line, prompt)

    def _render(self, reply: Reply) -> None:
        messages = (*reply.messages, *((reply.refreshed,) if reply.refreshed else ()))
        if messages:
            self.showing = False
        for message in messages:
            self._print(message)

    def _print(self, message: OutboundMessage) -> None:
        if message.card is None:
            self.show("bot> " + message.text.replace("\n", "\n     "))
            return
        card = message.card
        if is_form(card) and card.actions:
            card = replace(card, actions=(*card.actions, EDIT))
        self._print_card(card)

    def _print_card(self, card: Card) -> None:
        text, actions = render_text(card)
        self.show("bot> " + text.replace("\n", "\n     "))
        if not actions:
            return
        self.card, self.showing = card, True
        if self._question(card):
            self.show("     (answer with a number or in words; `cancel` stops)")
        else:
            self.show(f"     (press a button: type 1 … {len(actions)})")

    @staticmethod
    def _question(card: Card) -> bool:
        return any(action.verb == verbs.ANSWER for action in card.actions)

    async def _press(self, number: int) -> Reply | None:
        card = self.card
        if card is None or not 1 <= number <= len(card.actions):
            self.show("bot> There is no such button on the last card.")
            return None
        action = card.actions[number - 1]
        if action is EDIT:
            await self._edit(card)
            return None
        values: dict[str, Any] = {**shown_values(card), **action.data}
        if isinstance(action, Prompt):
            answer = await self._fill(action.input)
            if answer is None:
                self.show("bot> Nothing was changed.")
                return None
            values[action.input.id] = answer
        return await self.core.handle(self._event(EventKind.CARD_ACTION, action=action.verb, values=values))

    async def _edit(self, card: Card) -> None:
        """Walk the form's fields (Enter keeps one); the form is shown again with the new values to press."""
        body = []
        for element in card.body:
            if isinstance(element, TextInput | ChoiceInput):
                answer = await self._fill(element)
                if answer is None:
                    self.show("bot> Edit cancelled; the form is unchanged.")
                    return
                element = replace(element, value=answer)
            body.append(element)
        self.show("bot> Edited. Press Create to create it with these values.")
        self._print_card(replace(card, body=tuple(body)))

    async def _fill(self, element: TextInput | ChoiceInput) -> str | None:
        """The new value of one field: Enter keeps it; `cancel` (or the end of input) gives None."""
        if isinstance(element, TextInput):
            shown = f" [{element.value}]" if element.value else ""
            answer = await self._line(f"  {element.label}{shown}: ")
        else:
            choices = "  ".join(f"{i}. {c.title}" for i, c in enumerate(element.choices, start=1))
            self.show(f"  {element.label}: {choices}")
            answer = await self._line(f"  choose 1-{len(element.choices)} [{input_display(element)}]: ")
        if answer is None or answer.strip().lower() == CANCEL_WORD:
            return None
        answer = answer.strip()
        if isinstance(element, TextInput):
            return answer or element.value
        if answer.isdigit() and 1 <= int(answer) <= len(element.choices):
            return element.choices[int(answer) - 1].value
        match = next((c.value for c in element.choices if answer.lower() in {c.title.lower(), c.value.lower()}), None)
        return match or element.value or answer

    async def run(self) -> None:
        """Greet (recalling what was left open), then chat until the user says quit or the input ends; Ctrl-C
        ends it at once."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, _Interrupt())
        try:
            await self._chat()
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    async def _chat(self) -> None:
        self.show(f"Chatting with {self.bot_name} as {self.actor.name}.\n{GREETING}")
        left_open = await self.core.pending(self.conversation, self.actor)
        if left_open is not None:
            self._print(left_open)
        while True:
            message = await off_loop(self.reader.message, "you> ")
            if message is None or message.strip().lower() in QUIT_WORDS:
                return
            stripped = message.strip()
            if not stripped:
                continue
            if stripped.startswith("/") and stripped[1:].isdigit():
                reply = await self._press(int(stripped[1:]))
            elif stripped.isdigit() and self.showing and self.card and not self._question(self.card):
                reply = await self._press(int(stripped))
            elif stripped.lower() == EDIT_WORD and self.showing and self.card and is_form(self.card):
                reply = await self._press(len(self.card.actions))
            else:
                reply = await self.core.handle(self._event(EventKind.MESSAGE, text=message))
            if reply is not None:
                self._render(reply)
