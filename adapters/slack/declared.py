"""What the Slack app declares: its paths, its command and shortcut, the Web API methods the adapter calls, the
events it subscribes to, and the bot scopes those need (no more). The app manifest, the routes, the listeners and
the OAuth install all read these, so they cannot drift. This module imports nothing of Slack's SDKs.

Methods that need no bot scope (`auth.test`, `views.open`, `views.publish`, `chat.getPermalink`) and the
ones called with other credentials (`oauth.v2.access` with the client secret, `apps.connections.open` with the
app-level token) are listed with no scopes, so the list of methods stays complete.
"""

from __future__ import annotations

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
COMMAND = "/ticket"
SHORTCUT_CALLBACK = "create_ticket"  # the "Create ticket" message shortcut

METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.getPermalink": (),
    "conversations.open": ("im:write",),
    # Reading the message a 🎫 was added to, in any conversation the bot is in.
    "conversations.replies": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "users.info": ("users:read", "users:read.email"),
    "users.conversations": ("channels:read", "groups:read", "im:read", "mpim:read"),  # `ticketbot sync`
    "views.open": (),
    "views.publish": (),
    "oauth.v2.access": (),
    "apps.connections.open": (),
}

BOT_EVENTS: dict[str, tuple[str, ...]] = {
    "app_mention": ("app_mentions:read",),
    "message.im": ("im:history",),
    "message.channels": ("channels:history",),  # replies in a ticket's thread become notes
    "message.groups": ("groups:history",),
    "reaction_added": ("reactions:read",),
    "app_home_opened": (),
}

COMMAND_SCOPES = ("commands",)  # the /ticket command and the "Create ticket" message shortcut

BOT_SCOPES: tuple[str, ...] = tuple(
    sorted({s for scopes in (*METHOD_SCOPES.values(), *BOT_EVENTS.values(), COMMAND_SCOPES) for s in scopes})
)
