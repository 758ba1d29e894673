"""The request id and the fields of the one log line being gathered for the current request.

`bot.logs` gives each request an id (`REQUEST_ID`, on every line written while it is handled) and a fresh set
of fields, written on the request's line; whatever runs inside the request adds what it learns: the core the
platform, the conversation and the event's idempotency key, the reply that shows a ticket its number. The
outbox stores the request id with each delivery it plans, so a delivery's line names the request that caused
it. Outside a request (the CLI) `note` does nothing. No aiohttp here: the core notes without the web stack.

A turn that ends after its request's line was written (Slack answers at the ack and works after it) or that
came with no request (a Socket Mode envelope, a polled mail) writes a `turn` line of its own (`turn_line`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

NO_REQUEST = "-"  # the request id of lines written outside any request
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)
CURRENT: ContextVar[dict[str, Any] | None] = ContextVar("log_fields", default=None)
WRITTEN = "written"  # set in the fields once the request's line is out (not a field itself)
# The fields a text line shows after its message, as `name=value`.
NOTED = ("platform", "conversation", "ticket", "event_key")


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


def described(fields: dict[str, Any]) -> str:
    """The noted fields as ` platform=teams ticket=12 …` for a text line ("" when none)."""
    return "".join(f" {name}={fields[name]}" for name in NOTED if fields.get(name) not in (None, ""))


def written(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as written on the request's line (a turn that ends later writes its own)."""
    fields[WRITTEN] = True
    return {k: v for k, v in fields.items() if k != WRITTEN}


@contextmanager
def turn_line(logger: logging.Logger) -> Iterator[None]:
    """Around one turn of the core: what it notes reaches one line, the request's when the turn ends before that
    is written, else a `turn` line of its own."""
    token = CURRENT.set({}) if CURRENT.get() is None else None
    fields = CURRENT.get()
    try:
        yield
    finally:
        if token is not None:
            CURRENT.reset(token)
        if fields is not None and (token is not None or fields.get(WRITTEN)):
            shown = {k: v for k, v in fields.items() if k != WRITTEN}
            logger.info("turn%s", described(shown), extra=shown)
