"""Fan-out tests with real `ticketbot serve` processes: many Teams channels following a board, one ticket."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.desk.principal import CLI_ADMIN
from bot.services import Services
from storage.models import Conversation, Delivery, Recipient, Rule
from tests.fakes.bot_connector import BotConnectorStub
from tests.helpers import make_settings

SCRIPT = Path(sys.executable).with_name("ticketbot")


async def fan_out(db_url: str, connector: BotConnectorStub, channels: int) -> None:
    """`channels` Teams channels, each a recipient of a Service Desk rule; one new ticket → one delivery each."""
    await channels_following(db_url, connector, channels)
    services = Services(make_settings(db_url, outbox_worker=False))
    try:
        await services.tickets.create(CLI_ADMIN, title="Core switch down")
        async with services.db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Delivery)) == channels
    finally:
        await services.close()


async def channels_following(db_url: str, connector: BotConnectorStub, channels: int) -> None:
    """`channels` Teams channels at `connector` (`19:c<i>@thread.tacv2`), each a recipient of a rule of the
    default board: every change of a ticket there is one delivery to each."""
    services = Services(make_settings(db_url, outbox_worker=False))
    try:
        data = {"service_url": connector.service_url, "channel": "msteams", "bot_id": "28:bot", "bot_name": "Ticketbot"}
        async with services.db.transaction() as session:
            board = await services.tickets.default_board(session)
            conversations = [
                Conversation(platform="teams", conversation_id=f"19:c{i}@thread.tacv2", scope="channel", data=data)
                for i in range(channels)
            ]
            session.add_all(conversations)
            await session.flush()
            recipients = [Recipient(name=f"Channel {i}", kind="room", conversation_id=c.id)
                          for i, c in enumerate(conversations)]
            session.add_all(recipients)
            await session.flush()
            session.add_all(Rule(board_id=board.id, recipient_id=r.id) for r in recipients)
    finally:
        await services.close()


async def sent_rows(db_url: str) -> int:
    """How many deliveries the database has marked sent."""
    services = Services(make_settings(db_url, outbox_worker=False))
    try:
        async with services.db.sessions() as session:
            return await session.scalar(select(func.count()).where(Delivery.state == "sent")) or 0
    finally:
        await services.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serve(
    db_url: str, *, lease: float = 2.0, port: int | None = None, log: Path | None = None, **settings: str
) -> subprocess.Popen[bytes]:
    """`ticketbot serve` on `port` (a free one by default) over `db_url`, with a quick outbox worker and a short
    lease, writing its log to `log` (nowhere by default), with any further `settings` in its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "WEBEX_", "TEAMS_"))}
    env.update(
        DATABASE_URL=db_url,
        TICKETBOT_OUTBOX_POLL_SECONDS="0.05",
        TICKETBOT_OUTBOX_LEASE_SECONDS=str(lease),
        TICKETBOT_OUTBOX_BACKOFF_SECONDS="0.2",
        **settings,
    )
    command = [str(SCRIPT), "serve", "--port", str(port or free_port())]
    if log is None:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=out)


async def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the process and wait for it to end."""
    if process.poll() is None:
        process.send_signal(sig)
    await asyncio.to_thread(process.wait, 30)


def per_conversation(connector: BotConnectorStub) -> dict[str, int]:
    """How many activities the stub accepted for each conversation."""
    counts: dict[str, int] = {}
    for recorded in connector.accepted():
        counts[recorded.conversation_id or ""] = counts.get(recorded.conversation_id or "", 0) + 1
    return counts
