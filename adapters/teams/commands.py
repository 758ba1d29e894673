"""The message extension's command ids, shared by the app manifest (which declares them) and the bot (which
answers them): Teams sends the id of the command a user picked in each `composeExtension/*` invoke."""

from __future__ import annotations

CREATE_COMMAND = "createTicket"
"""The action command in a message's "…" menu: create a ticket from that message."""

SEARCH_COMMAND = "searchTickets"
"""The search command in the compose box: find tickets by words."""

SEARCH_PARAMETER = "query"
"""The search command's one parameter: the words typed."""
