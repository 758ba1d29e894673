"""Who may open the web chat: loopback callers only by default; with `TICKETBOT_WEB_CHAT=on`, token holders only.

Off (the default) a request is let in only when it is plainly local: its peer address is loopback, it names a
loopback host (`localhost`, `127.0.0.1`, `[::1]`: a page on another site that rebinds its DNS name to
127.0.0.1 is refused), and it carries no proxy header (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`): behind a
reverse proxy every caller's peer is the proxy, often on loopback, so a forwarded request is not local.

On, every request needs a live access token (`ticketbot web token create`), loopback or not: as the
`?token=` query of the first page load (answered with a cookie and a redirect that drops it from the URL), the
cookie afterwards (the WebSocket handshake carries it), or an `Authorization: Bearer` header for scripts.
Anything else gets 401 with a JSON error saying what is missing.

The WebSocket is also refused (403) when a browser opened it from a page of another origin, so a site the
local user visits cannot drive their chat (cross-site WebSocket hijacking).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from aiohttp import web

from bot.seam import TokenCheck
from bot.web import header, json_error

COOKIE = "ticketbot_web_token"
TOKEN_QUERY = "token"
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_TOKEN = 200

LOCAL_ONLY = (
    "The web chat answers this machine only; an admin opens it to the network with TICKETBOT_WEB_CHAT=on "
    "and `ticketbot web token create`."
)
TOKEN_NEEDED = "The web chat needs an access token: open /chat?token=<your token> (`ticketbot web token create`)."
TOKEN_REFUSED = "That web-chat access token is not valid (revoked, or never created)."
OTHER_ORIGIN = "The web chat's socket opens from its own page only."


def is_loopback_address(remote: str | None) -> bool:
    """Whether the peer address is a loopback one (127.0.0.0/8, ::1, or 127.x mapped into IPv6)."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def host_name(host: str) -> str:
    """The name part of a Host header value ("[::1]:3978" → "::1", "localhost:3978" → "localhost")."""
    return (urlsplit(f"//{host}").hostname or "").lower()


def is_local(request: web.Request) -> bool:
    """Whether the request plainly comes from this machine (see the module docstring)."""
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    name = host_name(request.host)
    return is_loopback_address(request.remote) and (name in LOOPBACK_NAMES or name.endswith(".localhost"))


def presented_token(request: web.Request) -> str:
    """The token the request brings (query, bearer header or cookie, in that order), or ""."""
    authorization = header(request, "Authorization")
    scheme, _, bearer = authorization.partition(" ")
    for token in (
        request.query.get(TOKEN_QUERY, ""),
        bearer.strip() if scheme.lower() == "bearer" else "",
        request.cookies.get(COOKIE, ""),
    ):
        if token:
            return token if token.isascii() and token.isprintable() and len(token) <= MAX_TOKEN else ""
    return ""


def same_origin(request: web.Request) -> bool:
    """Whether a browser's `Origin` (when there is one) names this very host; scripts send none."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


class Access:
    """The web chat's gate: `refusal(request)` is None to let the request in, else the 401 to answer."""

    def __init__(self, *, open_to_network: bool, check: TokenCheck) -> None:
        self.open_to_network = open_to_network
        self.check = check

    async def refusal(self, request: web.Request) -> web.Response | None:
        """None when the request may use the chat, else the error answer."""
        if not self.open_to_network:
            return None if is_local(request) else json_error(401, LOCAL_ONLY)
        token = presented_token(request)
        if not token:
            return json_error(401, TOKEN_NEEDED)
        return None if await self.check(token) else json_error(401, TOKEN_REFUSED)
