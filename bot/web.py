"""What every inbound HTTP route shares: JSON errors, the body limit, one hardened JSON reader, HMAC checks.

Every route (Teams, the outgoing webhook, Slack, Webex, the PSA hook, the admin API, the web chat) reads its
body through `read_json` and answers errors through `json_error`, so a hostile body gets the same clear 4xx
everywhere. The reader bounds what `json.loads` would otherwise let through: nesting deeper than
`MAX_DEPTH` (Python's parser raises `RecursionError` near 1,000 levels), numbers longer than `MAX_DIGITS`
(Python refuses to convert integers past 4,300 digits with a `ValueError`), text that is not UTF-8, and
strings (keys or values) holding NUL or an unpaired surrogate (a `\\ud800` escape): neither can be stored
(PostgreSQL refuses NUL in text, no database driver encodes a lone surrogate) nor sent on.
Signature helpers compare in constant time and treat a header that is not ASCII as simply wrong.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.web_protocol import RequestHandler, RequestPayloadError

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_DEPTH = 64
MAX_DIGITS = 40
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadBody(ValueError):
    """The body is not acceptable; `str()` says why, fit for the caller; `field` names where, when one value is
    at fault (`title`, `ticket.assignees.0`)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def json_error(status: int, message: str) -> web.Response:
    """A JSON error answer: `{"error": message}` with the given status."""
    return web.json_response({"error": message}, status=status)


def _number(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise BadBody(f"The body holds a number longer than {MAX_DIGITS} digits.")
    return int(text)


def _real(text: str) -> float:
    if len(text) > MAX_DIGITS:
        raise BadBody(f"The body holds a number longer than {MAX_DIGITS} digits.")
    return float(text)


def _constant(name: str) -> Any:
    raise BadBody(f"The body holds {name}, which is not JSON.")


def _check_text(text: str, where: Where) -> None:
    if "\x00" in text:
        field = _path(where)
        raise BadBody("the text holds a NUL character." if field else "The body holds a NUL character.", field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        field = _path(where)
        what = "the text holds" if field else "The body holds"
        raise BadBody(f"{what} an unpaired surrogate (a \\ud800-\\udfff escape).", field) from None


# Where a value sits: (where its container sits, its key or index), None for the body; spelt out only for an error.
Where = tuple["Where", object] | None


def _path(where: Where) -> str | None:
    steps: list[object] = []
    while where is not None:
        where, key = where
        steps.append(key)
    path: str | None = None
    for key in reversed(steps):
        path = f"{path}.{key}" if path else str(key)
    return path


def _check_shape(value: Any, *, texts: bool) -> None:
    stack: list[tuple[Any, int, Where]] = [(value, 1, None)]
    while stack:
        item, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise BadBody(f"The body is nested deeper than {MAX_DEPTH} levels.")
        if isinstance(item, str):
            if texts:
                _check_text(item, where)
        elif isinstance(item, dict):
            for key, child in item.items():
                if texts:
                    _check_text(key, where)
                stack.append((child, depth + 1, (where, key)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, (where, index)) for index, child in enumerate(item))


def parse_json(raw: bytes | str) -> Any:
    """`raw` as JSON within the bounds above; raises `BadBody` with a message for the caller."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_int=_number, parse_float=_real, parse_constant=_constant)
    except BadBody:
        raise
    except UnicodeDecodeError:
        raise BadBody("The body is not UTF-8.") from None
    except RecursionError:
        raise BadBody(f"The body is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError:
        raise BadBody("The body is not JSON.") from None
    # UTF-8 bytes decode to no surrogate and JSON allows no raw NUL, so in a body read as bytes either can only
    # come from a `\\u` escape: without one, no string needs looking at (13 → 10 µs for a Teams message).
    _check_shape(value, texts=isinstance(raw, str) or b"\\u" in raw)
    return value


async def read_body(request: web.Request) -> bytes:
    """The raw body, at most `MAX_BODY` bytes (aiohttp answers 413 past it; we turn that into JSON)."""
    return await request.read()


async def read_json(request: web.Request) -> Any:
    """The request body as bounded JSON; raises `BadBody`."""
    return parse_json(await read_body(request))


PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 410, 413})


def retry_after_seconds(value: str | None) -> float | None:
    """A `Retry-After` header's delay in seconds (delta-seconds form), None when missing or malformed."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return max(0.0, min(seconds, 3600.0)) if seconds is not None and seconds == seconds else None


def is_permanent(status: int | None) -> bool:
    """Whether a platform's refusal cannot be helped by retrying (no such conversation, not allowed, malformed)."""
    return status in PERMANENT_STATUSES


def header(request: web.Request, name: str) -> str:
    """A header's value, or "" when it is missing or holds anything but printable ASCII."""
    value = request.headers.get(name, "")
    return value if value.isascii() and value.isprintable() else ""


def hmac_hex(key: bytes, body: bytes, algorithm: str = "sha256") -> str:
    """The lowercase hex HMAC of `body`."""
    return hmac.new(key, body, getattr(hashlib, algorithm)).hexdigest()


def same(expected: str | bytes, given: str | bytes) -> bool:
    """Constant-time equality that is False (not an error) for text that is not ASCII."""
    try:
        a = expected.encode("ascii") if isinstance(expected, str) else expected
        b = given.encode("ascii") if isinstance(given, str) else given
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(a, b)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error answer is JSON; a bad body is a 400; an unexpected failure is logged without details."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return json_error(413, f"The request body is larger than {MAX_BODY} bytes.")
    try:
        return await handler(request)
    except BadBody as exc:
        body = {"error": str(exc), **({"field": exc.field} if exc.field else {})}
        return web.json_response(body, status=400)
    except (RequestPayloadError, ConnectionResetError) as exc:
        log.info("the client hung up mid-request on %s %s: %s", request.method, request.path, type(exc).__name__)
        return json_error(400, "The request body was cut off.")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        return json_error(exc.status, message)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "Something went wrong on our side; it has been logged.")


class JsonErrorsHandler(RequestHandler):
    """aiohttp's connection handler, answering the errors it raises itself as JSON.

    aiohttp answers a request it cannot parse (a bad Content-Length, Content-Length with chunked encoding, a
    header line over 8,190 bytes) with a plain-text 400 before any middleware runs, and logs each one as an
    ERROR with a traceback. Those are the client's fault: here they get `{"error": ...}` and one INFO line.
    """

    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("The answer is partly sent; no error answer can follow.")
        if status >= 500:
            log.error("failed on a request from %s: %s", request.remote, type(exc).__name__ if exc else status)
            answer = json_error(status, "Something went wrong on our side; it has been logged.")
        else:
            reason = type(exc).__name__ if exc is not None else "malformed request"
            log.info("refused a malformed request from %s (%s): %s", request.remote, status, reason)
            answer = json_error(status, "The request is not well-formed HTTP/1.1.")
        answer.force_close()
        return answer


class JsonErrorsServer(web.Server):
    """aiohttp's server, with `JsonErrorsHandler` for each connection."""

    def __call__(self) -> RequestHandler:
        return JsonErrorsHandler(self, loop=self._loop, **self._kwargs)


class BotRunner(web.AppRunner):
    """The runner `ticketbot serve` and the tests serve the app with: aiohttp's `AppRunner`, whose connections
    answer framing errors as JSON (aiohttp has no setting for the handler class, so the server it builds is
    rebuilt as a `JsonErrorsServer` with the same handler, request factory and settings)."""

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return JsonErrorsServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=plain._loop,
            **plain._kwargs,
        )


async def serve_until_stopped(
    app: web.Application, host: str, port: int, *, shutdown_timeout: float, side: web.Application | None = None,
    side_host: str = "127.0.0.1", side_port: int = 0,
) -> None:
    """Serve `app` on host:port with `BotRunner` until SIGINT or SIGTERM, then shut down cleanly: stop accepting,
    let the requests in flight finish for up to `shutdown_timeout` seconds, run the app's cleanup (where the
    outbox worker releases its claims, `bot.app`). `side` (the metrics' own listener) is served on
    side_host:side_port alongside, and stopped after `app`. The request log middleware writes one line per
    request, so aiohttp's own access log is off.

    Once listening, what start-up built (the modules, the app, the SDK clients: objects that live as long as the
    process) is frozen out of the garbage collector. A full collection walked all of it, a pause of up to 0.1 s
    in the middle of a turn a few times a minute under load: it was most of a create's p99 at 16 conversations
    (150–190 ms, 80–110 ms frozen)."""
    runner = BotRunner(app, handle_signals=False, access_log=None, shutdown_timeout=shutdown_timeout)
    side_runner = BotRunner(side, handle_signals=False, access_log=None, shutdown_timeout=1) if side else None
    await runner.setup()
    if side_runner is not None:
        await side_runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("listening on http://%s:%s", host, port)
        if side_runner is not None:
            await web.TCPSite(side_runner, side_host, side_port).start()
            log.info("metrics on http://%s:%s/metrics", side_host, side_port)
        gc.collect()  # start-up's own garbage first, or it would be frozen with the rest
        gc.freeze()
        await stop.wait()
        log.info("stopping: no new connections; up to %.1f s for the turns and deliveries in flight", shutdown_timeout)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await runner.cleanup()
        if side_runner is not None:
            await side_runner.cleanup()


class SharedSession:
    """The process's one aiohttp client session: opened on first use (inside the event loop), closed with the app.

    Every adapter sends through it, so platform API calls reuse kept-alive connections instead of opening one
    per call (slack-bolt's default) or per turn (botbuilder's default).
    """

    def __init__(self, timeout: aiohttp.ClientTimeout = CLIENT_TIMEOUT) -> None:
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def get(self) -> aiohttp.ClientSession:
        """The open session."""
        if self._closed:
            raise RuntimeError("The HTTP client session is closed; the app has shut down.")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        """Close the session and its connections; later sends fail."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
