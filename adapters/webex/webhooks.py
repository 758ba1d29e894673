"""The bot's four Webex webhooks: created or updated by `ticketbot webex register`, listed by `webex webhooks`.

They all post to `PATH`, the route the adapter mounts. This module needs only the few webhook calls of
`adapters.webex.client.WebexClient` (`WebhookApi`), so the CLI imports the SDK through the client alone.

Each webhook is ours by its name (`ticketbot <resource>:<event>`), so registering again updates the same four
(target URL, secret, and `status: active`, which re-enables one Webex disabled after 100 failed deliveries in 5
minutes) instead of adding more; extra copies of a name, left by an older run, are deleted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.webex.translate import EVENTS

PATH = "/webex/events"

NAME_PREFIX = "ticketbot "
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh webhook secret (URL-safe text)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def target_url(base_url: str) -> str:
    """Where Webex posts: `https://HOST` + the route."""
    return base_url.rstrip("/") + PATH


def name_of(resource: str, event: str) -> str:
    """The name that marks a webhook as ticketbot's."""
    return f"{NAME_PREFIX}{resource}:{event}"


class WebhookApi(Protocol):
    """The webhook calls `register` makes (`WebexClient` has them)."""

    async def webhooks(self) -> list[dict[str, Any]]: ...

    async def create_webhook(
        self, *, name: str, target_url: str, resource: str, event: str, secret: str
    ) -> dict[str, Any]: ...

    async def update_webhook(self, webhook_id: str, *, name: str, target_url: str, secret: str) -> dict[str, Any]: ...

    async def delete_webhook(self, webhook_id: str) -> None: ...


@dataclass(frozen=True)
class Registered:
    """What `register` did to one webhook."""

    action: str  # "created" | "updated"
    webhook: dict[str, Any]


def summary(webhook: dict[str, Any]) -> dict[str, Any]:
    """The fields an admin looks at (never the secret)."""
    keys = ("id", "name", "resource", "event", "targetUrl", "status", "created")
    return {k: webhook.get(k) for k in keys}


async def register(client: WebhookApi, base_url: str, secret: str) -> list[Registered]:
    """Create or update the four webhooks (`EVENTS`) to post to `base_url` with `secret`; exactly four remain."""
    target = target_url(base_url)
    existing = await client.webhooks()
    done: list[Registered] = []
    for resource, event in EVENTS:
        name = name_of(resource, event)
        mine = [w for w in existing if (w.get("name"), w.get("resource"), w.get("event")) == (name, resource, event)]
        for extra in mine[1:]:
            await client.delete_webhook(str(extra["id"]))
        if mine:
            updated = await client.update_webhook(str(mine[0]["id"]), name=name, target_url=target, secret=secret)
            done.append(Registered("updated", updated))
        else:
            created = await client.create_webhook(
                name=name, target_url=target, resource=resource, event=event, secret=secret
            )
            done.append(Registered("created", created))
    return done
