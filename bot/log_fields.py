"""The request id and the fields of the one log line being gathered for the current request.

`bot.logs` gives each request an id (`REQUEST_ID`, on every line written while it is handled) and a fresh set
of fields, written on the request's line; whatever runs inside the request adds what it learns: the core the
platform, the conversation and the event's idempotency key, the reply that shows a ticket its number. The
outbox stores the request id with each delivery it plans, so a delivery's line names the request that caused
it. Outside a request (the CLI) `note` does nothing. No aiohttp here: the core notes without the web stack.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

NO_REQUEST = "-"  # the request id of lines written outside any request
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)
CURRENT: ContextVar[dict[str, Any] | None] = ContextVar("log_fields", default=None)


def note(**fields: Any) -> None:
    """Add `fields` to the current line (a later value of a field replaces an earlier one)."""
    current = CURRENT.get()
    if current is not None:
        current.update(fields)


def origin() -> dict[str, Any]:
    """What a delivery planned now keeps for its own log line: the request's id (outside a request, none) and the
    ticket noted so far."""
    current = CURRENT.get() or {}
    kept: dict[str, Any] = {}
    if REQUEST_ID.get() != NO_REQUEST:
        kept["request_id"] = REQUEST_ID.get()
    if current.get("ticket") is not None:
        kept["ticket"] = current["ticket"]
    return kept
