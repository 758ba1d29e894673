"""`ticketbot webex …`: the bot's Webex webhooks (register them for this server's URL, list their status).

Talks to `WEBEX_API_URL` with `WEBEX_ACCESS_TOKEN` through the adapter's client; needs no database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import typer

from bot.cli.common import JSON_OPTION, emit, fail, group
from bot.seam import DeliveryError
from bot.settings import Settings

if TYPE_CHECKING:
    from adapters.webex.client import WebexClient

T = TypeVar("T")

webex_app = group("Webex webhooks.")


def _with_client(work: Callable[[WebexClient], Coroutine[Any, Any, T]]) -> T:
    from adapters.webex.client import WebexClient  # imported here: other commands need no Webex client

    settings = Settings()
    token = settings.webex_access_token.get_secret_value()
    if not token:
        raise fail("WEBEX_ACCESS_TOKEN is not set (the bot's access token from developer.webex.com)")

    async def closing() -> T:
        async with WebexClient(token, settings.webex_api_url) as client:
            return await work(client)

    try:
        return asyncio.run(closing())
    except DeliveryError as exc:
        raise fail(f"Webex refused: {exc}") from None


def _line(webhook: dict[str, Any]) -> str:
    return f"{webhook.get('status') or '?':9} {webhook.get('name')}  {webhook.get('resource')}:{webhook.get('event')}" \
        f"  → {webhook.get('targetUrl')}  ({webhook.get('id')})"


@webex_app.command("register")
def webex_register(
    url: str = typer.Option(..., "--url", help="This server's public base URL, e.g. https://bot.example.com."),
    secret: str = typer.Option(
        "", "--secret", help="The webhook secret (default: WEBEX_WEBHOOK_SECRET, else a new one)."
    ),
) -> None:
    """Create or update the four webhooks (messages, card actions, memberships added/removed) and re-enable disabled ones."""
    from adapters.webex.webhooks import new_secret, register

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise fail(f"--url must be an https:// URL Webex can reach, not {url!r}")
    given = secret or Settings().webex_webhook_secret.get_secret_value()
    chosen = given or new_secret()
    done = _with_client(lambda client: register(client, url, chosen))
    for item in done:
        typer.echo(f"{item.action:8} {_line(item.webhook)}")
    if not given:
        typer.echo("generated a webhook secret; set it as WEBEX_WEBHOOK_SECRET for `ticketbot serve`:")
        typer.echo(chosen)


@webex_app.command("webhooks")
def webex_webhooks(as_json: bool = JSON_OPTION) -> None:
    """List the bot's webhooks with their status (Webex disables one after repeated failed deliveries)."""
    from adapters.webex.webhooks import summary

    webhooks = _with_client(lambda client: client.webhooks())
    emit(as_json, [summary(w) for w in webhooks], "\n".join(_line(w) for w in webhooks) or "no webhooks")
