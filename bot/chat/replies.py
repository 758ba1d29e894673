"""What only the conversation core says: help, tailored to who asks."""

from __future__ import annotations

from bot.chat.vocabulary import help_entries
from bot.desk.principal import Principal
from bot.seam import OutboundMessage
from cards.builders import help_card


def help_message(principal: Principal) -> OutboundMessage:
    """The help card, listing the commands this person may use."""
    return OutboundMessage(
        text="I help you open and follow tickets. Try `new printer on 3 is jammed`, `my tickets` or `show 42`.",
        card=help_card(help_entries(principal)),
    )
