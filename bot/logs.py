"""Logging for `serve`: one line per HTTP request and one per delivery, as text or as JSON lines.

`TICKETBOT_LOG_FORMAT=json` writes one JSON object per line (for log shippers); the default is text. Every line
written while a request is handled carries that request's id (from the caller's `X-Request-Id` when it is a
short safe token, else a new one), so a turn's lines can be found together. The request line names the route
pattern (`/api/messages`), never the raw path, query string or headers, so no token or secret reaches a log;
it also carries what the turn noted (`bot.log_fields`): platform, conversation, ticket number, event key. The
outbox worker writes the delivery lines (`bot.notify.outbox`) with the same fields and the id of the request
that caused the delivery.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import uuid
from collections import deque
from typing import TextIO

from aiohttp import web

from bot.log_fields import CURRENT, REQUEST_ID, described, written

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Fields a log call may pass in `extra=` that the JSON lines carry as their own keys.
FIELDS = ("method", "route", "status", "latency_ms", "platform", "conversation", "ticket", "event_key", "delivery", "outcome")

access = logging.getLogger("ticketbot.access")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and the known extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        line.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


WRITE_EVERY = 0.05  # seconds the writer gathers lines for one write (about 20 writes a second when busy)
BACKLOG = 10_000  # lines waiting at most (a few MB); beyond it the oldest are dropped, and the next write says so
CLOSE_WAIT = 5.0  # seconds closing waits for the last write; a reader that never reads again must not keep us


class LineWriter(logging.Handler):
    """Formats each record where it is logged and leaves the line to a thread of its own, which writes what has
    gathered to the stream every `WRITE_EVERY` seconds, in one write.

    Written from the event loop, as a `StreamHandler` does, a stderr pipe whose reader stalled (a log shipper
    restarting) stopped the whole process once the pipe's 64 KiB were full, and every line was a system call on
    the loop's thread (two lines a chat turn). The standard library's `QueueListener` takes the write off the
    loop but wakes for every record; its thread taking the GIL each time cost the loop about 85 µs a line (a
    Teams `show` 10% slower, measured under load), where the writer's gathering costs nothing measurable.
    Closing it (logging's own shutdown, at exit) writes what is left, waiting at most `CLOSE_WAIT` for the
    stream; a process killed outright loses at most the last `WRITE_EVERY` seconds of lines."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self._guard = threading.Lock()  # not the handler's lock: logging holds that one while it closes us
        self._lines: deque[str] = deque()
        self._dropped = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        with self._guard:
            if len(self._lines) >= BACKLOG:
                self._lines.popleft()
                self._dropped += 1
            self._lines.append(line)

    def close(self) -> None:
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(CLOSE_WAIT)
        super().close()

    def _run(self) -> None:
        while not self._stopping.wait(WRITE_EVERY):
            self._write()
        self._write()

    def _write(self) -> None:
        with self._guard:
            lines, self._lines = self._lines, deque()
            dropped, self._dropped = self._dropped, 0
        if dropped:
            note = logging.LogRecord("ticketbot.logs", logging.WARNING, __file__, 0,
                                     "%d log lines were dropped while the log was not being read", (dropped,), None)
            note.request_id = "-"
            lines.appendleft(self.format(note))
        if lines:
            try:
                self._stream.write("\n".join(lines) + "\n")
                self._stream.flush()
            except (OSError, ValueError):  # the stream is closed or gone: there is nowhere left to say so
                pass


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send every logger's records to stderr in `log_format` ("text" or "json"), with the request id, through a
    `LineWriter`."""
    handler = LineWriter(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def route_of(request: web.Request) -> str:
    """The route pattern that matched (a bounded set, fit for logs and metric labels), or "unmatched"."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def request_log(request: web.Request, handler) -> web.StreamResponse:
    """Give the request an id, answer it with `X-Request-Id`, and log one line when it is done."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
    token = REQUEST_ID.set(request_id)
    fields: dict[str, object] = {}
    fields_token = CURRENT.set(fields)
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        latency_ms = round((time.perf_counter() - start) * 1000, 1)
        route = route_of(request)
        noted = written(fields)
        access.info(
            "%s %s %s %.1fms%s", request.method, route, status, latency_ms, described(noted),
            extra={"method": request.method, "route": route, "status": status, "latency_ms": latency_ms, **noted},
        )
        CURRENT.reset(fields_token)
        REQUEST_ID.reset(token)

