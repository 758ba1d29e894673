"""The desk's vocabulary, defined once for every layer: priorities, the size limits of a ticket, the platforms,
the kinds of notification recipient, the states of a delivery, the platforms' published send limits, and the
exit status of a command ended by Ctrl-C.

SPEC §2: a title is 1..200 characters; notes may be long (10,000 characters) and descriptions longer
(20,000); four priorities. Cards, the parser, the dialogs and the domain all read these, never a copy.
"""

from __future__ import annotations

from dataclasses import dataclass

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
EXIT_INTERRUPTED = 130
"""The exit status of a command ended by Ctrl-C (128 + SIGINT, as shells report it)."""


@dataclass(frozen=True)
class RateLimit:
    """Messages per second a platform accepts in one scope, and how many a full bucket lets through at once."""

    rate: float
    burst: float


# The platforms' published send limits (the outbox paces itself by the per-account ones; the bench's stubs
# enforce them all):
TEAMS_PER_CONVERSATION = RateLimit(7, 7)
"""Teams: 7 messages per second per conversation (Microsoft's "Optimize your bot with rate limiting")."""
TEAMS_PER_TENANT = RateLimit(50, 50)
"""Teams: 50 requests per second per app per tenant, a second's worth at once."""
SLACK_PER_CHANNEL = RateLimit(1, 3)
"""Slack `chat.postMessage`: about one message per second per channel, with short bursts."""
SLACK_PER_WORKSPACE = RateLimit(300 / 60, 10)
"""Slack: "several hundred messages per minute" per workspace (the Web API rate-limit page), read as 300."""
SEND_LIMITS: dict[str, RateLimit] = {"teams": TEAMS_PER_TENANT, "slack": SLACK_PER_WORKSPACE}
"""The per-account limit the outbox paces each platform by (its rate is the default, its burst says how many
seconds' worth go at once)."""
SEND_RATES: dict[str, float] = {platform: limit.rate for platform, limit in SEND_LIMITS.items()}
"""The outbox's default pace per platform (messages per second); Webex publishes no figure and is paced by
what it accepts between two 429s (`bot.notify.pacing`)."""
