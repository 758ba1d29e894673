"""What the bot sends to Slack: message arguments, modals for forms and prompts, and the App Home view.

Text is always escaped (`cards.escape.escape_mrkdwn`) and no request sets `link_names` or `parse=full`, so a
ticket titled `<!channel>` pings nobody. Modals carry what the submission needs in `private_metadata`: the verb,
its data and the message the form came from, so a `view_submission` needs no server-side state.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from bot.seam import MessageRef, OutboundMessage
from cards.blockkit import MAX_PRIVATE_METADATA, form_submit, render_blocks, render_modal
from cards.escape import escape_mrkdwn
from cards.model import Button, Card, ChoiceInput, Prompt, TextInput

MODAL_CALLBACK = "ticketbot.form"
MAX_TEXT = 3000  # the `text` argument is a notification fallback when blocks are sent; Slack cuts at 40,000
MAX_HOME_BLOCKS = 100
REMEMBERED_CARDS = 1000  # recent cards kept per process, so "Open form" and form buttons find their inputs


def message_arguments(msg: OutboundMessage) -> dict[str, Any]:
    """`chat.postMessage` / `chat.update` arguments: escaped text, and the card as blocks."""
    arguments: dict[str, Any] = {"text": escape_mrkdwn(msg.text)[:MAX_TEXT], "unfurl_links": False}
    if msg.card is not None:
        arguments["blocks"] = render_blocks(msg.card)
    return arguments


def home_view(messages: tuple[OutboundMessage, ...]) -> dict[str, Any]:
    """The App Home tab: the core's answers (my tickets, the team's open tickets), one after the other."""
    blocks: list[dict[str, Any]] = []
    for msg in messages:
        if msg.card is not None:
            blocks.extend(render_blocks(msg.card))
        elif msg.text.strip():
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": escape_mrkdwn(msg.text)[:MAX_TEXT],
                                                        "verbatim": True}})
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def form_modal(card: Card, source: MessageRef | None) -> dict[str, Any] | None:
    """The modal for a card's form: its inputs, submitted with the verb of its positive (or first) button."""
    submit = form_submit(card)
    if submit is None:
        return None
    return _modal(card, submit.verb, submit.data, source)


def prompt_modal(prompt: Prompt, source: MessageRef | None) -> dict[str, Any]:
    """The modal asking for one prompt's input (a note, say), submitted with the prompt's verb and data."""
    card = Card(prompt.title, (prompt.input,), (Button(prompt.submit_title, prompt.verb, prompt.data, "positive"),))
    return _modal(card, prompt.verb, prompt.data, source)


def fallback_prompt(title: str, input_id: str, verb: str, data: Mapping[str, Any]) -> Prompt:
    """A text prompt rebuilt from a pressed button alone (its card is no longer remembered)."""
    return Prompt(title, verb, TextInput(input_id, title, multiline=True, required=True), data, submit_title=title)


def _modal(card: Card, verb: str, data: Mapping[str, Any], source: MessageRef | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"action": verb, "data": dict(data)}
    if source is not None:
        metadata["source"] = source.to_json()
    text = json.dumps(metadata, separators=(",", ":"))
    if len(text) > MAX_PRIVATE_METADATA:
        metadata.pop("source", None)
        text = json.dumps(metadata, separators=(",", ":"))
    return render_modal(card, callback_id=MODAL_CALLBACK, private_metadata=text)


def read_metadata(raw: str) -> tuple[str | None, dict[str, Any], MessageRef | None]:
    """The verb, data and source message a modal of ours carries; (None, {}, None) for anything else."""
    try:
        metadata = json.loads(raw)
        verb = metadata["action"]
        data = dict(metadata.get("data") or {})
        source = MessageRef.from_json(metadata["source"]) if metadata.get("source") else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, {}, None
    return (verb if isinstance(verb, str) else None), data, source


class CardMemory:
    """The cards this process sent lately, by (channel, ts): a pressed form button's inputs live there.

    Slack sends back only the pressed element's value, not the card; a card with inputs (the create form) is
    shown as its values with an "Open form" button, whose modal and whose Create button need the inputs.
    Bounded to the newest `REMEMBERED_CARDS`; for a card sent before a restart, a draft's form is rebuilt by
    the core from the stored draft (the "Open form" button carries the draft id), and a press on its Create
    button needs no inputs (the core keeps the draft's fields); any other form asks the user to send the
    request again.
    """

    def __init__(self, size: int = REMEMBERED_CARDS) -> None:
        self._size = size
        self._cards: OrderedDict[tuple[str, str], Card] = OrderedDict()

    def keep(self, channel: str, ts: str, card: Card | None) -> None:
        key = (channel, ts)
        self._cards.pop(key, None)
        if card is None:
            return
        self._cards[key] = card
        while len(self._cards) > self._size:
            self._cards.popitem(last=False)

    def get(self, channel: str, ts: str) -> Card | None:
        return self._cards.get((channel, ts))


def input_values(card: Card) -> dict[str, Any]:
    """The values a card's inputs hold as shown (what Teams sends along with a pressed button)."""
    return {
        e.id: e.value for e in card.body if isinstance(e, TextInput | ChoiceInput) and e.value not in (None, "")
    }


def find_prompt(card: Card, verb: str, input_id: str) -> Prompt | None:
    """The card's prompt for this verb and input."""
    return next(
        (a for a in card.actions if isinstance(a, Prompt) and a.verb == verb and a.input.id == input_id), None
    )

