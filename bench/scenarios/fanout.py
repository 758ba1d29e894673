"""Fan-out: one new ticket to BENCH_FANOUT (1,000) recipients through the outbox, against stubs that enforce the
platforms' rate limits (`bench/limits.py`); the time to drain against the least time those limits allow.

The recipients: 80% Teams personal chats in one tenant (the 50 requests per second per tenant is what binds;
7 per second per chat never does, each chat gets one message), 10% Slack channels of one workspace (its
workspace-wide limit binds) and 10% Webex spaces (the bot's limit binds); each is a board rule's recipient, set
up as `ticketbot recipients add` and `rules add` would leave them (Conversation rows with the references an
install stores, written in bulk). The real `ticketbot worker` process, with its default settings, sends through
the Teams, Slack and Webex ports to the three stubs in the load process, which answer over the limit with 429 and
Retry-After. The clock starts when the ticket's transaction (and with it the deliveries) is committed and stops
at the last message a stub accepted; a delivery the worker gives up on is counted dead.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.databases import migrate
from bench.harness import TICKETBOT, ratio
from bench.limits import SLACK, TEAMS, WEBEX, Limit, Limiter, binding, minimum
from bench.registry import Bench, Table, register
from bench.stubs import SLACK_TEAM, LimitedConnector, SlackStub, Tally, WebexStub
from bot.desk.principal import CLI_ADMIN
from bot.services import Services
from bot.settings import Settings
from storage.models import Conversation, Delivery, Recipient, Rule

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SLACK_TOKEN = f"xoxb-{SLACK_TEAM}-bench"
WEBEX_TOKEN = "bench-webex-bot-token"
GRACE = 30.0  # seconds past 3× the minimum before the scenario stops waiting for the drain


def _conversations(count: int, service_url: str) -> dict[str, list[Conversation]]:
    teams = count * 8 // 10
    slack = count // 10
    webex = count - teams - slack
    bot = {"service_url": service_url, "channel": "msteams", "tenant_id": TENANT, "bot_id": "28:bench-bot",
           "bot_name": "Ticketbot"}
    return {
        "teams": [Conversation(platform="teams", conversation_id=f"a:bench-fanout-{i}", scope="personal", name=f"Person {i}",
                               data={**bot, "user_id": f"29:bench-user-{i}"}) for i in range(teams)],
        "slack": [Conversation(platform="slack", conversation_id=f"CBENCH{i:05d}", scope="channel", name=f"#desk-{i}",
                               data={"team_id": SLACK_TEAM}) for i in range(slack)],
        "webex": [Conversation(platform="webex", conversation_id=f"Y2lzY29zcGFyazovL3VzL1JPT00vZmFub3V0-{i}", scope="group",
                               name=f"Space {i}") for i in range(webex)],
    }


def _scopes(platform: str, conversations: list[Conversation]) -> dict[tuple[str, str], int]:
    """Messages per rate-limit scope when each conversation gets one (the Limiter's scope keys)."""
    counts: dict[tuple[str, str], int] = {}
    for row in conversations:
        keys = {"teams": [("conversation", row.conversation_id), ("tenant", TENANT)],
                "slack": [("channel", row.conversation_id), ("workspace", f"Bearer {SLACK_TOKEN}")],
                "webex": [("bot", f"Bearer {WEBEX_TOKEN}")]}[platform]
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return counts


async def _set_up(services: Services, conversations: dict[str, list[Conversation]]) -> None:
    async with services.db.transaction() as session:
        board = await services.tickets.default_board(session)
        rows = [c for group in conversations.values() for c in group]
        session.add_all(rows)
        await session.flush()
        recipients = [Recipient(name=c.name, kind="person" if c.scope == "personal" else "room", conversation_id=c.id)
                      for c in rows]
        session.add_all(recipients)
        await session.flush()
        session.add_all(Rule(board_id=board.id, recipient_id=r.id) for r in recipients)


async def _states(services: Services) -> dict[str, int]:
    async with services.db.sessions() as session:
        rows = (await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all()
    return {state: n for state, n in rows}


async def _attempts(services: Services) -> str:
    """The attempts the worker recorded per delivery, by platform: mean and most."""
    async with services.db.sessions() as session:
        rows = (await session.execute(select(Delivery.platform, func.avg(Delivery.attempts), func.max(Delivery.attempts))
                                      .group_by(Delivery.platform).order_by(Delivery.platform))).all()
    return ", ".join(f"{platform} {avg:.1f} (most {most})" for platform, avg, most in rows)


async def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen([TICKETBOT, "worker"], env={**os.environ, **env}, stdout=out, stderr=out)  # noqa: ASYNC220 - started once
    for _ in range(300):
        if "outbox worker for:" in await asyncio.to_thread(log.read_text, errors="replace"):
            return proc
        if proc.poll() is not None:
            break
        await asyncio.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"ticketbot worker did not start; see {log}")


@register("fanout", order=25)
async def fanout(bench: Bench) -> list[Table]:
    count = int(os.environ.get("BENCH_FANOUT", "1000"))
    url = f"sqlite+aiosqlite:///{bench.workdir / 'fanout.db'}"
    await migrate(url)
    limits: dict[str, dict[str, Limit]] = {"teams": TEAMS, "slack": SLACK, "webex": WEBEX}
    connector = LimitedConnector(Limiter(TEAMS))
    slack, webex = SlackStub(Limiter(SLACK)), WebexStub(Limiter(WEBEX))
    tallies: dict[str, Tally] = {"teams": connector.tally, "slack": slack.tally, "webex": webex.tally}
    for stub in (connector, slack, webex):
        await stub.start()
    services = Services(Settings(_env_file=None, database_url=url, outbox_worker=False))
    worker = None
    try:
        conversations = _conversations(count, connector.service_url)
        await _set_up(services, conversations)
        worker = await _start_worker({
            "DATABASE_URL": url, "SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": "bench-fanout-secret",
            "SLACK_API_URL": slack.api_url, "WEBEX_ACCESS_TOKEN": WEBEX_TOKEN, "WEBEX_API_URL": webex.api_url,
        }, bench.workdir / "worker.log")
        scopes = {p: _scopes(p, rows) for p, rows in conversations.items()}
        floors = {p: minimum(limits[p], scopes[p]) for p in scopes}
        planned = time.perf_counter()
        await services.tickets.create(CLI_ADMIN, title="Core switch down in building 2", priority="critical")
        began = time.perf_counter()
        planning = began - planned
        deadline = began + 3 * max(floors.values()) + GRACE
        states: dict[str, int] = {}
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.5)
            states = await _states(services)
            if not states.get("pending") and not states.get("sending"):
                break
        attempts = await _attempts(services)
    finally:
        if worker is not None:
            worker.terminate()
            await asyncio.to_thread(worker.wait, 20)
        await services.close()
        for stub in (connector, slack, webex):
            await stub.stop()
    table = Table(
        f"Fan-out: one new ticket to {count:,} recipients through the outbox, rate-limited stubs",
        ["platform", "recipients", "limit that binds", "minimum s", "drained s", "÷ minimum", "429s", "not sent"],
    )
    for platform, rows in conversations.items():
        tally = tallies[platform]
        drained = tally.last - began if tally.accepted else float("nan")
        table.rows.append([platform, len(rows), binding(limits[platform], scopes[platform]), f"{floors[platform]:.1f}", f"{drained:.1f}",
                           ratio(drained, floors[platform]), tally.refused, len(rows) - tally.accepted])
    last = max(t.last for t in tallies.values()) - began
    floor = max(floors.values())
    table.rows.append(["all", count, "", f"{floor:.1f}", f"{last:.1f}", ratio(last, floor),
                       sum(t.refused for t in tallies.values()), count - sum(t.accepted for t in tallies.values())])
    table.notes.append(f"Writing the {count:,} deliveries (the ticket's transaction, before the clock starts) took "
                       f"{planning:.1f} s; outbox rows at the end: "
                       + ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
                       + f"; attempts recorded per delivery: {attempts}.")
    return [table]
