"""The web chat's routes: the page and its two assets (`GET /chat`, `/chat/chat.css`, `/chat/chat.js`) and
the socket (`GET /chat/ws?as=<email>`) that carries one user's conversation with the core.

Every route passes the gate (`access.Access`) first. The page is static, served with a Content-Security-Policy
that allows our own script, style and socket only, as a second wall behind the escaping of `cards.html`.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from importlib.resources import files

from aiohttp import WSMsgType, web

from adapters.web.access import COOKIE, OTHER_ORIGIN, TOKEN_QUERY, Access, same_origin
from adapters.web.frames import (
    HISTORY,
    MAX_FRAME,
    PLATFORM,
    BadFrame,
    Pressed,
    Said,
    entry_frame,
    parse_email,
    parse_frame,
)
from adapters.web.hub import Hub
from adapters.web.port import WebPort, conversation_of
from bot.seam import (
    Actor,
    ConversationRef,
    Core,
    DeliveryError,
    EventKind,
    InboundEvent,
    MessageRef,
    OutboundMessage,
    Reply,
    Transcript,
)
from bot.web import json_error
from cards import verbs

log = logging.getLogger(__name__)

PAGE = "/chat"
SOCKET = "/chat/ws"
ASSETS = {"chat.css": "text/css", "chat.js": "text/javascript"}
HEARTBEAT = 30.0  # seconds; keeps idle sockets open through proxies and finds dead ones
COOKIE_DAYS = 30
FAILURE = "Something went wrong on our side; it has been logged. Please try again."

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _static(name: str) -> bytes:
    return files("adapters.web").joinpath("static", name).read_bytes()


@dataclass(frozen=True)
class ChatRoutes:
    """The handlers, over the core, the transcript, the open sockets and the gate."""

    core: Core
    transcript: Transcript
    hub: Hub
    port: WebPort
    access: Access
    bot_name: str

    def mount(self, app: web.Application) -> tuple[str, ...]:
        """Add the routes to `app`; returns them for the start-up log."""
        page = _static("chat.html")
        app.router.add_get(PAGE, self._page_handler(page))
        for name, content_type in ASSETS.items():
            app.router.add_get(f"{PAGE}/{name}", self._asset_handler(_static(name), content_type))
        app.router.add_get(SOCKET, self.socket)
        return (f"GET {PAGE}", f"GET {SOCKET} (WebSocket)")

    def _page_handler(self, page: bytes):
        async def handle(request: web.Request) -> web.StreamResponse:
            refusal = await self.access.refusal(request)
            if refusal is not None:
                return refusal
            token = request.query.get(TOKEN_QUERY)
            if token:
                # The token was good: keep it in a cookie and take it out of the address bar and history.
                response = web.Response(status=303, headers={"Location": PAGE, **SECURITY_HEADERS})
                response.set_cookie(
                    COOKIE, token, path=PAGE, httponly=True, samesite="Strict", secure=request.secure,
                    max_age=COOKIE_DAYS * 86400,
                )
                return response
            return web.Response(body=page, content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS)

        return handle

    def _asset_handler(self, body: bytes, content_type: str):
        async def handle(request: web.Request) -> web.StreamResponse:
            refusal = await self.access.refusal(request)
            if refusal is not None:
                return refusal
            return web.Response(body=body, content_type=content_type, charset="utf-8", headers=SECURITY_HEADERS)

        return handle

    async def socket(self, request: web.Request) -> web.StreamResponse:
        """One tab's socket: the history first (or, for a new conversation, the welcome card), then the user's
        frames in and the conversation's messages out."""
        refusal = await self.access.refusal(request)
        if refusal is not None:
            return refusal
        if not same_origin(request):
            return json_error(403, OTHER_ORIGIN)
        email = parse_email(request.query.get("as", ""))
        if email is None:
            return json_error(400, "Say who you are: /chat/ws?as=<your email>.")
        socket = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_FRAME)
        await socket.prepare(request)
        conversation = conversation_of(email)
        session = ChatSession(self, socket, conversation, Actor(PLATFORM, email, email, email))
        try:
            async with self.hub.joining(conversation.conversation_id, socket):
                history = await self.transcript.recent(conversation, HISTORY)
                await socket.send_json(
                    {
                        "type": "welcome",
                        "as": email,
                        "bot": self.bot_name,
                        "history": [entry_frame("message", entry) for entry in history],
                    }
                )
            if not history:
                await session.greet()
            async for frame in socket:
                if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                try:
                    await session.receive(frame.data if frame.type is WSMsgType.TEXT else None)
                except (ConnectionError, RuntimeError):
                    break  # the tab went away while its reply was sent; the reply is in the transcript
                except Exception:
                    log.exception("a web-chat frame failed")
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await socket.send_json({"type": "error", "text": FAILURE})
        except (ConnectionError, RuntimeError):
            log.info("a web-chat tab closed while its history was sent")
        finally:
            self.hub.leave(conversation.conversation_id, socket)
        return socket


class ChatSession:
    """One open tab of one user: turns its frames into events for the core and sends the replies."""

    def __init__(
        self, routes: ChatRoutes, socket: web.WebSocketResponse, conversation: ConversationRef, actor: Actor
    ) -> None:
        self.routes = routes
        self.socket = socket
        self.conversation = conversation
        self.actor = actor

    def _event(self, kind: EventKind, key: str, **fields) -> InboundEvent:
        return InboundEvent(kind=kind, conversation=self.conversation, actor=self.actor, idempotency_key=key, **fields)

    async def greet(self) -> None:
        """A new conversation starts as an install does elsewhere: the core sends its welcome card (once)."""
        key = f"installed:{self.conversation.conversation_id}"
        await self._deliver(await self.routes.core.handle(self._event(EventKind.INSTALLED, key)), None)

    async def receive(self, raw: str | None) -> None:
        """Handle one frame of the page (None: a binary one); a bad one gets an error frame and changes nothing."""
        try:
            if raw is None:
                raise BadFrame("Frames are JSON text.")
            frame = parse_frame(raw)
        except BadFrame as exc:
            await self.socket.send_json({"type": "error", "text": str(exc)})
            return
        port = self.routes.port
        if isinstance(frame, Said):
            said = await port.post(self.conversation, "user", OutboundMessage(frame.text))
            reply = await self.routes.core.handle(self._event(EventKind.MESSAGE, said.message_id, text=frame.text))
            await self._deliver(reply, None)
        else:
            await self._press(frame)
        await self.socket.send_json({"type": "done"})

    async def _press(self, frame: Pressed) -> None:
        pressed = MessageRef(self.conversation, frame.message_id)
        event = self._event(
            EventKind.CARD_ACTION,
            uuid.uuid4().hex,
            action=frame.verb or verbs.UNKNOWN,
            values=frame.values,
            source_message=pressed,
        )
        await self._deliver(await self.routes.core.handle(event), pressed)

    async def _deliver(self, reply: Reply, pressed: MessageRef | None) -> None:
        """The refreshed card in place of the pressed one (as a new message when that one is gone), then the rest."""
        port = self.routes.port
        if reply.refreshed is not None and not (pressed and await self._replace(pressed, reply.refreshed)):
            await port.send(self.conversation, reply.refreshed)
        for message in reply.messages:
            await port.send(self.conversation, message)

    async def _replace(self, pressed: MessageRef, refreshed: OutboundMessage) -> bool:
        try:
            await self.routes.port.update(pressed, refreshed)
        except DeliveryError:
            return False
        return True
