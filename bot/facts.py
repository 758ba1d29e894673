"""The desk's vocabulary, defined once for every layer: priorities, the size limits of a ticket, the platforms,
the kinds of notification recipient and the states of a delivery.

SPEC §2: a title is 1..200 characters; notes may be long (10,000 characters) and descriptions longer
(20,000); four priorities. Cards, the parser, the dialogs and the domain all read these, never a copy.
"""

from __future__ import annotations

PRIORITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
TITLE_MAX = 200
NOTE_MAX = 10_000
DESCRIPTION_MAX = 20_000
TICKET_NUMBER_MAX = 2**31 - 1
"""The largest ticket number: PostgreSQL's INTEGER. A larger number is "no such ticket", never an error."""
PLATFORMS: tuple[str, ...] = ("teams", "slack", "webex", "mail", "web", "console")
"""The platforms a member can have an identity on (one identity per platform)."""
RECIPIENT_KINDS: tuple[str, ...] = ("room", "person")
"""What a notification recipient is: a shared conversation, or one person."""
DELIVERY_STATES: tuple[str, ...] = ("pending", "sending", "sent", "dead")
"""The states of an outbox row (bot.notify.outbox moves them along)."""
