"""The card verbs: the action names a card's buttons carry, shared by the card builders and the action table.

A verb a card can carry that the action table does not handle, or a handler no card can reach, fails a test.
`UNKNOWN` is what an adapter passes when a pressed button named no verb, so the core can say so.
"""

from __future__ import annotations

CREATE = "ticket.create"
CANCEL_DRAFT = "ticket.cancel_draft"
DRAFT_FORM = "ticket.draft_form"  # carried by Block Kit's "Open form" button, not by a card (see cards.blockkit)
SHOW = "ticket.show"
ASSIGN_ME = "ticket.assign_me"
STATUS = "ticket.status"
PRIORITY = "ticket.priority"
NOTE = "ticket.note"
CLOSE = "ticket.close"
REOPEN = "ticket.reopen"
LIST_NEXT = "list.next"
ANSWER = "dialog.answer"
UNKNOWN = "unknown"

ALL = (CREATE, CANCEL_DRAFT, DRAFT_FORM, SHOW, ASSIGN_ME, STATUS, PRIORITY, NOTE, CLOSE, REOPEN, LIST_NEXT, ANSWER)
