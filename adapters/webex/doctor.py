"""The Webex checks of `ticketbot doctor` (the `ticketbot.checks` entry point `webex`).

With `WEBEX_ACCESS_TOKEN`: `people/me` accepts the token and names the bot; the bot's webhooks (`GET
/webhooks`) hold each of the four `ticketbot …` webhooks, active, all posting to one URL ending in
`/webex/events`; `WEBEX_WEBHOOK_SECRET` is set (without it every webhook is refused).
"""

from __future__ import annotations

from adapters.webex.client import WebexClient
from adapters.webex.translate import EVENTS
from adapters.webex.webhooks import NAME_PREFIX, PATH
from bot.seam import Check
from bot.settings import Settings
from bot.web import SharedSession

REGISTER = "Run `ticketbot webex register --url https://HOST` (it creates, updates or re-enables the four webhooks)"


def checks(settings: Settings, _http: SharedSession) -> list[Check]:
    """The checks for the Webex bot; none when Webex is off."""
    token = settings.webex_access_token.get_secret_value()
    if not token:
        return []

    def client() -> WebexClient:
        return WebexClient(token, settings.webex_api_url)

    async def people_me() -> str:
        async with client() as webex:
            me = await webex.me()
        emails = ", ".join(me.get("emails") or []) or "no email"
        return f"the token is the bot {me.get('displayName', '?')} ({emails})"

    async def webhooks() -> str:
        async with client() as webex:
            hooks = await webex.webhooks()
        mine = [w for w in hooks if str(w.get("name", "")).startswith(NAME_PREFIX)]
        problems = []
        for resource, event in EVENTS:
            found = [w for w in mine if (w.get("resource"), w.get("event")) == (resource, event)]
            if not found:
                problems.append(f"{resource}:{event} missing")
            elif not any(w.get("status") == "active" for w in found):
                problems.append(f"{resource}:{event} disabled")
        targets = sorted({str(w.get("targetUrl")) for w in mine})
        if any(not t.endswith(PATH) for t in targets) or len(targets) > 1:
            problems.append(f"they post to {', '.join(targets)}, not one URL ending in {PATH}")
        if not settings.webex_webhook_secret.get_secret_value():
            problems.append("WEBEX_WEBHOOK_SECRET is empty, so every webhook is refused")
        if problems:
            raise RuntimeError("; ".join(problems))
        return f"{len(EVENTS)} webhooks active, posting to {targets[0]}"

    return [
        Check(
            "webex people/me",
            people_me,
            "Copy the bot's access token (developer.webex.com → My Webex Apps → the bot → Regenerate) into "
            "WEBEX_ACCESS_TOKEN. Check WEBEX_API_URL if it is set.",
        ),
        Check("webex webhooks registered", webhooks, f"{REGISTER}, and set WEBEX_WEBHOOK_SECRET to the secret it prints."),
    ]
