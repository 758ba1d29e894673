"""`ticketbot serve` killed with SIGKILL three times during a burst of ticket creates through /api/messages,
restarted, and sent everything again (as Teams redelivers what was not acknowledged, and may redeliver what
was): every create acknowledged with a 200 exists exactly once, none is lost, numbers have no gaps, and the
SQLite file passes `PRAGMA integrity_check` — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.models import Ticket
from tests.fakes.bot_connector import BotConnectorStub

SCRIPT = Path(sys.executable).with_name("ticketbot")
PAYLOAD = Path(__file__).resolve().parent / "payloads" / "teams" / "message.personal.msteams-docs.json"
BURST = 60
KILLS = 3
CONCURRENCY = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One `ticketbot serve` process at a time on a fixed port, over the given database."""

    def __init__(self, db_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        platforms = ("Microsoft", "SLACK_", "WEBEX_", "TEAMS_")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(platforms)}
        self.env["DATABASE_URL"] = db_url
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, http: aiohttp.ClientSession) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                str(SCRIPT), "serve", "--port", str(self.port), env=self.env, stdout=out, stderr=out
            )
        for _ in range(300):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(self.url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            assert self.process.returncode is None, self.log.read_text()
            await asyncio.sleep(0.05)
        pytest.fail("ticketbot serve did not come up:\n" + self.log.read_text())

    def kill(self) -> None:
        """SIGKILL, at once (the caller waits for the end with `wait`)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), 10)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def create(stub_url: str, n: int) -> dict:
    activity = json.loads(PAYLOAD.read_text())
    activity.update(id=f"burst-{n}", serviceUrl=stub_url + "/", text=f"Title: Burst ticket {n}")
    return activity


async def post(http: aiohttp.ClientSession, url: str, activity: dict) -> bool:
    """Whether the server acknowledged the activity (200)."""
    try:
        async with http.post(url + "/api/messages", json=activity, timeout=aiohttp.ClientTimeout(total=20)) as resp:
            return resp.status == 200
    except (TimeoutError, aiohttp.ClientError):
        return False


async def burst(http, server: Server, stub_url: str, numbers: list[int], kill_after: int | None) -> set[int]:
    """Send the creates, CONCURRENCY at a time; SIGKILL the server once `kill_after` are acknowledged."""
    acknowledged: set[int] = set()
    queue = list(numbers)

    async def worker() -> None:
        while queue:
            n = queue.pop(0)
            if await post(http, server.url, create(stub_url, n)):
                acknowledged.add(n)
                if kill_after is not None and len(acknowledged) == kill_after:
                    server.kill()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return acknowledged


async def tickets(db_url: str) -> list[tuple[int, str]]:
    db = Database(db_url)
    try:
        async with db.sessions() as session:
            return [(t.number, t.title) for t in (await session.scalars(select(Ticket).order_by(Ticket.number)))]
    finally:
        await db.close()


async def test_sigkill_during_a_burst_loses_nothing_acknowledged(db_url, tmp_path):
    server = Server(db_url, tmp_path / "serve.log")
    acknowledged: set[int] = set()
    numbers = list(range(BURST))
    async with BotConnectorStub() as stub, aiohttp.ClientSession() as http:
        try:
            round_size = BURST // (KILLS + 1)
            for kill in range(KILLS):
                await server.start(http)
                chunk = numbers[kill * round_size : (kill + 2) * round_size]  # overlaps: some are sent twice
                acknowledged |= await burst(http, server, stub.url, chunk, kill_after=round_size // 2)
                assert await server.wait() == -signal.SIGKILL, "the server was not killed"
            await server.start(http)
            redelivered = await burst(http, server, stub.url, numbers, kill_after=None)
            assert redelivered == set(numbers), "after the restart every redelivery is acknowledged"
        finally:
            await server.stop()
    stored = await tickets(db_url)
    titles = [title for _, title in stored]
    for n in sorted(acknowledged | set(numbers)):
        count = titles.count(f"Burst ticket {n}")
        assert count == 1, f"Burst ticket {n} is stored {count} times, though its redelivery was acknowledged"
    assert [number for number, _ in stored] == list(range(1, len(stored) + 1)), "numbers have gaps"
    assert len(stored) == BURST
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        with contextlib.closing(sqlite3.connect(url.database)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
