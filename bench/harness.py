"""What the scenarios share: server processes, the Bot Connector stub, the load generator and the statistics.

The load runs in this process (aiohttp client), the servers in their own: each request is a new activity in
one of 256 conversations; for a Bot Framework bot the latency runs from sending the request to its reply
reaching the stub (matched by the activity id the reply answers), for a webhook to its HTTP answer.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.registry import Table

ROOT = Path(__file__).resolve().parents[1]
CONVERSATIONS = 256
USER_ID = "29:bench-user"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process on a local port; started by `start`, stopped (SIGTERM) by `stop`."""

    def __init__(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.port = free_port()
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    async def start(self, log: Path) -> None:
        with log.open("ab") as out:
            self.proc = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=out, stderr=out)  # noqa: ASYNC220 - started once, not awaited
        for _ in range(300):
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited at start; see {log}") from None
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen on {self.port}")

    def peak_rss_mib(self) -> float:
        """The process's peak resident set size (VmHWM) so far."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class ConnectorStub:
    """A minimal Bot Connector: takes replies (recording when each arrived, by the activity it answers) and answers
    roster lookups with 404, as for a user the bot cannot look up."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self._ids = itertools.count(1)
        self.port = free_port()
        self.service_url = f"http://127.0.0.1:{self.port}/"
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _reply(self, request: web.Request) -> web.Response:
        await request.read()
        activity = request.match_info.get("activity")
        if activity is not None:
            self.arrived.setdefault(activity, time.perf_counter())
        return web.json_response({"id": str(next(self._ids))}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "MemberNotFoundInConversation", "message": "no"}}, status=404)


def activity(service_url: str, activity_id: str, conversation: int, text: str) -> dict[str, Any]:
    """A Teams personal-chat message activity (the shape of the msteams-docs sample)."""
    return {
        "type": "message",
        "id": activity_id,
        "timestamp": "2026-12-02T00:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": USER_ID, "name": "Bench User", "aadObjectId": "00000000-0000-0000-0000-0000000000b1"},
        "conversation": {"conversationType": "personal", "id": f"a:bench-conversation-{conversation}"},
        "recipient": {"id": "28:bench-bot", "name": "Ticketbot"},
        "textFormat": "plain",
        "text": text,
        "channelData": {"tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"}},
        "locale": "en-US",
    }


def create_text(n: int) -> str:
    """The message of the create rows: a form that opens a ticket at once."""
    return f"Title: Printer {n} on floor 3 is jammed"


def show_text(_n: int) -> str:
    """The message of the read-only rows."""
    return "show 1"


def echo_text(n: int) -> str:
    """What the bare echo bots are sent."""
    return f"hello {n}"


def webhook_signature(secret: str, body: bytes) -> str:
    return "HMAC " + base64.b64encode(hmac.new(base64.b64decode(secret), body, hashlib.sha256).digest()).decode()


@dataclass
class Result:
    """One load run: completed requests, errors, latencies (seconds) and its wall time."""

    label: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; NaN when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


_ids = itertools.count(1)


async def reply_load(
    send: Callable[[int, int], Awaitable[float | None]], *, concurrency: int, seconds: float, label: str,
) -> Result:
    """`concurrency` conversations, each sending one request after the other for `seconds`: `send(n, conversation)`
    sends the n-th request in that conversation and answers its latency, or None for an error."""
    result = Result(label)
    deadline = time.perf_counter() + seconds

    async def worker(slot: int) -> None:
        for k in itertools.count():
            if time.perf_counter() >= deadline:
                return
            latency = await send(next(_ids), (slot + k * concurrency) % CONVERSATIONS)
            if latency is None:
                result.errors += 1
            else:
                result.latencies.append(latency)

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    result.seconds = time.perf_counter() - began
    return result


async def bot_load(
    http: aiohttp.ClientSession, stub: ConnectorStub, url: str, *, concurrency: int, seconds: float,
    text: Callable[[int], str], label: str,
) -> Result:
    """`concurrency` conversations posting activities to a Bot Framework endpoint for `seconds`; latency is
    request sent → its reply at the stub."""

    async def send(n: int, conversation: int) -> float | None:
        activity_id = f"bench-{n}"
        body = json.dumps(activity(stub.service_url, activity_id, conversation, text(n)))
        start = time.perf_counter()
        ok = await _posted(http, url, body, {"Content-Type": "application/json"})
        arrived = stub.arrived.pop(activity_id, None)
        return arrived - start if ok and arrived is not None else None

    return await reply_load(send, concurrency=concurrency, seconds=seconds, label=label)


async def webhook_load(
    http: aiohttp.ClientSession, url: str, *, concurrency: int, seconds: float, text: Callable[[int], str],
    label: str, secret: str | None = None,
) -> Result:
    """`concurrency` callers posting signed outgoing-webhook messages for `seconds`; latency is the HTTP answer."""

    async def send(n: int, conversation: int) -> float | None:
        payload = activity("", f"hook-{n}", conversation, text(n))
        payload.pop("serviceUrl")
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["Authorization"] = webhook_signature(secret, body)
        start = time.perf_counter()
        return time.perf_counter() - start if await _posted(http, url, body, headers) else None

    return await reply_load(send, concurrency=concurrency, seconds=seconds, label=label)


async def _posted(http: aiohttp.ClientSession, url: str, body: str | bytes, headers: dict[str, str]) -> bool:
    """POST `body`; whether it was answered with a 2xx."""
    try:
        async with http.post(url, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status < 300
    except aiohttp.ClientError:
        return False


def interleaved_table(title: str, results: dict[str, list[Result]], *, baseline: str, column: str) -> Table:
    """One row per path (its runs of every round pooled); the ratio (headed `column`) divides each round's rate by
    the `baseline` row's in the same round."""
    table = Table(title, ["path", "msg/s", "p50 ms", "p99 ms", "errors", column])
    for label, runs in results.items():
        per_round = [r.rate / b.rate for r, b in zip(runs, results[baseline], strict=True) if b.rate]
        latencies = [x for r in runs for x in r.latencies]
        table.rows.append([label, f"{mean([r.rate for r in runs]):.0f}", ms(percentile(latencies, 50)),
                           ms(percentile(latencies, 99)), sum(r.errors for r in runs), ratio(mean(per_round), 1)])
    return table


def ms(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds * 1000:.0f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "–"


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


PYTHON = sys.executable
TICKETBOT = str(Path(sys.executable).with_name("ticketbot"))
