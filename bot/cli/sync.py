"""`ticketbot sync [--webex] [--slack]`: the Webex spaces and Slack channels the bot is in become recipients.

Webex: `GET /rooms` (every space the bot is in); a 1:1 space is a person, found by the email of its other
member (`GET /memberships?roomId=`). Slack (`SLACK_BOT_TOKEN`, the single-workspace token): `users.conversations`
(channels, group DMs and DMs the bot is a member of); a DM's person is found by `users.info`'s email.
A person whose email is a member's becomes that member's recipient; a person who is not a member is left out
(a recipient must be someone the desk knows). Every conversation is stored in the conversations directory, so
the outbox can reach it. Runs again without adding anything twice. A progress bar on a terminal, one line per
conversation otherwise (for cron logs).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from bot.cli.common import fail, run
from bot.desk.errors import Conflict
from bot.seam import Actor, ConversationRef, DeliveryError
from bot.settings import Settings

if TYPE_CHECKING:
    from adapters.webex.client import WebexClient
    from bot.services import Services


@dataclass(frozen=True)
class Found:
    """A conversation of the bot's on a platform: a room, or a person (with the email to match a member by)."""

    ref: ConversationRef
    name: str
    email: str | None = None
    user_id: str = ""

    @property
    def kind(self) -> str:
        return "person" if self.ref.scope == "personal" else "room"


async def _webex(settings: Settings) -> list[Found]:
    from adapters.webex.client import WebexClient

    token = settings.webex_access_token.get_secret_value()
    if not token:
        raise fail("WEBEX_ACCESS_TOKEN is not set (the bot's access token from developer.webex.com)")
    try:
        async with WebexClient(token, settings.webex_api_url) as client:
            return await _webex_spaces(client)
    except DeliveryError as exc:
        raise fail(f"Webex refused: {exc}") from None


async def _webex_spaces(client: WebexClient) -> list[Found]:
    from adapters.webex.translate import room_ref

    me = str((await client.me()).get("id") or "")
    found: list[Found] = []
    for room in await client.rooms():
        room_id, title = str(room.get("id") or ""), str(room.get("title") or "")
        if not room_id:
            continue
        if room.get("type") != "direct":
            found.append(Found(room_ref(room_id, "group"), title or room_id))
            continue
        others = [m for m in await client.memberships(room_id) if m.get("personId") != me]
        if not others:
            continue
        person = others[0]
        person_id, email = str(person.get("personId") or ""), str(person.get("personEmail") or "")
        name = str(person.get("personDisplayName") or title or email)
        ref = room_ref(room_id, "direct", person=Actor("webex", person_id, name, email or None))
        found.append(Found(ref, name, email or None, person_id))
    return found


async def _slack(settings: Settings) -> list[Found]:
    from adapters.slack.directory import bot_conversations

    token = settings.slack_bot_token.get_secret_value()
    if not token:
        raise fail("SLACK_BOT_TOKEN is not set (the bot token of the workspace, xoxb-…)")
    try:
        listed = await bot_conversations(token, settings.slack_api_url)
    except DeliveryError as exc:
        raise fail(f"Slack refused: {exc}") from None
    return [Found(c.ref, c.name, c.email, c.user_id) for c in listed]


def _shown(found: list[Found]) -> Iterable[Found]:
    """The conversations with a progress bar on a terminal; each is printed by the caller otherwise."""
    if sys.stdout.isatty():
        with typer.progressbar(found, label="recipients") as bar:
            yield from bar
    else:
        yield from found


def sync(
    webex: bool = typer.Option(False, "--webex", help="Webex spaces the bot is in."),
    slack: bool = typer.Option(False, "--slack", help="Slack channels and DMs the bot is a member of."),
) -> None:
    """Make the Webex spaces and Slack channels the bot is in recipients (both platforms when neither is named)."""
    settings = Settings()
    platforms = [p for p, chosen in (("webex", webex), ("slack", slack)) if chosen] or ["webex", "slack"]
    if not webex and not slack:
        configured = {"webex": settings.webex_access_token, "slack": settings.slack_bot_token}
        platforms = [p for p in platforms if configured[p].get_secret_value()]
        if not platforms:
            raise fail("neither WEBEX_ACCESS_TOKEN nor SLACK_BOT_TOKEN is set")

    async def work(services: Services) -> tuple[int, int]:
        found: list[Found] = []
        for platform in platforms:
            found.extend(await (_webex(settings) if platform == "webex" else _slack(settings)))
        added = skipped = 0
        bar = sys.stdout.isatty()
        for item in _shown(found):
            member = await services.members.by_email(item.email) if item.email else None
            if item.kind == "person" and member is None:
                skipped += 1
                if not bar:
                    typer.echo(f"skipped {item.ref.platform} {item.ref.conversation_id} {item.name}: no member "
                               f"has the email {item.email or '(none)'}")
                continue
            if member is not None and item.user_id and item.email:
                try:
                    await services.members.link(item.email, item.ref.platform, item.user_id, name=item.name)
                except Conflict as exc:
                    typer.echo(f"not linked: {exc}", err=True)
            await services.conversations.remember(item.ref, name=item.name)
            new = await services.recipients.adopt(
                item.ref.platform, item.ref.conversation_id, item.name, kind=item.kind,
                member_id=member.id if member else None,
            )
            added += new
            if not bar:
                typer.echo(f"{'added' if new else 'known'} {item.ref.platform} {item.kind} "
                           f"{item.ref.conversation_id} {item.name}")
        return added, skipped

    added, skipped = run(work, audit="recipients.sync")
    typer.echo(f"{added} recipient{'' if added == 1 else 's'} added"
               + (f", {skipped} {'person' if skipped == 1 else 'people'} skipped (no member with their email)"
                  if skipped else ""))
