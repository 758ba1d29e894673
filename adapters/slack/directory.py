"""The conversations the bot is a member of in a Slack workspace, for `ticketbot sync`.

`users.conversations` (public and private channels, group DMs and DMs; every page) with the bot token, and for
each DM its person's name and email (`users.info`, needs `users:read.email`), so the CLI can match the person to
a member. Every failure is a `DeliveryError`, as from the port.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.port import delivered
from adapters.slack.translate import conversation_ref, user_key
from bot.seam import ConversationRef

PAGE = 200  # conversations per users.conversations page (Slack's recommended maximum)
TYPES = "public_channel,private_channel,mpim,im"


@dataclass(frozen=True)
class SlackConversation:
    """A channel (named `#name`) or a DM (named after its person, with their email and Slack identity)."""

    ref: ConversationRef
    name: str
    email: str | None = None
    user_id: str = ""


async def bot_conversations(token: str, api_url: str) -> list[SlackConversation]:
    """Every conversation the bot token's bot is a member of (archived ones left out)."""
    client = AsyncWebClient(token=token, base_url=api_url)
    team = str((await delivered(client.auth_test())).get("team_id") or "") or None
    channels: list[dict[str, object]] = []
    cursor = ""
    while True:
        page = await delivered(
            client.users_conversations(types=TYPES, exclude_archived=True, limit=PAGE, cursor=cursor or None)
        )
        channels.extend(page.get("channels") or [])
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            break
    found: list[SlackConversation] = []
    for channel in channels:
        channel_id = str(channel.get("id") or "")
        kind = "im" if channel.get("is_im") else "mpim" if channel.get("is_mpim") else "channel"
        if not channel_id:
            continue
        ref = conversation_ref(team, channel_id, channel_type=kind)
        if kind != "im":
            found.append(SlackConversation(ref, f"#{channel.get('name') or channel_id}"))
            continue
        user = str(channel.get("user") or "")
        info = (await delivered(client.users_info(user=user))).get("user") or {}
        profile = info.get("profile") or {}
        name = str(profile.get("real_name") or info.get("real_name") or info.get("name") or user)
        found.append(SlackConversation(ref, name, str(profile.get("email") or "") or None, user_key(team, user)))
    return found
