"""The platforms' published rate limits as token buckets, for the stubs to enforce and the fan-out to divide by.

A bucket holds up to `burst` tokens and refills at `rate` per second; a request takes one token from every
bucket of its scopes (a conversation and its tenant, say) or, when one of them is empty, none: it is refused
with 429 and a Retry-After of the seconds until that bucket has a token again, rounded up to whole seconds as
the header carries them. Starting full, `n` requests through one scope need at least `(n - burst) / rate`
seconds; with several scopes the minimum is the largest of those.

The figures: Teams' and Slack's are the product's (`bot.facts`, which the outbox paces itself by):
- Teams: 7 messages per second per conversation and 50 requests per second per app per tenant (Microsoft's
  "Optimize your bot with rate limiting"); a second's worth of burst.
- Slack `chat.postMessage`: about one message per second per channel with short bursts, and a workspace-wide
  limit Slack calls "several hundred messages per minute" (the Web API rate-limit page), read as 300 per
  minute with a burst of 10, and 3 at once per channel.
- Webex: no figure is published ("limits vary"; 429 with Retry-After, which clients must honour); the stub
  gives a bot 5 messages per second with a burst of 5.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.facts import SLACK_PER_CHANNEL, SLACK_PER_WORKSPACE, TEAMS_PER_CONVERSATION, TEAMS_PER_TENANT, RateLimit


@dataclass(frozen=True)
class Limit:
    """Requests per second in one scope (a conversation, a tenant, a bot), and how many may come at once."""

    rate: float
    burst: float

    def minimum(self, requests: int) -> float:
        """Seconds the first to the last of `requests` need at least, through a full bucket."""
        return max(0.0, (requests - self.burst) / self.rate)


def _of(limit: RateLimit) -> Limit:
    return Limit(limit.rate, limit.burst)


TEAMS = {"conversation": _of(TEAMS_PER_CONVERSATION), "tenant": _of(TEAMS_PER_TENANT)}
SLACK = {"channel": _of(SLACK_PER_CHANNEL), "workspace": _of(SLACK_PER_WORKSPACE)}
WEBEX = {"bot": Limit(5, 5)}


@dataclass
class _Bucket:
    limit: Limit
    tokens: float
    at: float


@dataclass
class Limiter:
    """Token buckets per (scope kind, key), created full on first use; kinds without a `Limit` are free."""

    limits: Mapping[str, Limit]
    buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)

    def take(self, scopes: Iterable[tuple[str, str]]) -> int | None:
        """Take a token in every scope and answer None, or take none and answer the Retry-After seconds."""
        now = time.perf_counter()
        chosen = []
        for kind, key in scopes:
            limit = self.limits.get(kind)
            if limit is None:
                continue
            bucket = self.buckets.setdefault((kind, key), _Bucket(limit, limit.burst, now))
            bucket.tokens = min(limit.burst, bucket.tokens + (now - bucket.at) * limit.rate)
            bucket.at = now
            chosen.append(bucket)
        empty = [b for b in chosen if b.tokens < 1]
        if empty:
            return max(1, math.ceil(max((1 - b.tokens) / b.limit.rate for b in empty)))
        for bucket in chosen:
            bucket.tokens -= 1
        return None


def minimum(limits: Mapping[str, Limit], counts: Mapping[tuple[str, str], int]) -> float:
    """The least seconds in which requests numbering `counts` per (scope kind, key) can all be accepted."""
    return max((limits[kind].minimum(n) for (kind, _key), n in counts.items() if kind in limits), default=0.0)


def binding(limits: Mapping[str, Limit], counts: Mapping[tuple[str, str], int]) -> str:
    """The limit that `minimum` comes from, as "50/s per tenant"."""
    kind = max((key for key in counts if key[0] in limits), key=lambda key: limits[key[0]].minimum(counts[key]))[0]
    return f"{limits[kind].rate:g}/s per {kind}"
