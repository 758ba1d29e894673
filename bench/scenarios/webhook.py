"""The Teams outgoing webhook (no botbuilder, no outbound call) against the write ceiling: a plain aiohttp
handler that writes one row per request with our SQLite set-up. Interleaved rounds; ratios per round."""

from __future__ import annotations

import base64

import aiohttp

from bench.databases import migrate
from bench.harness import PYTHON, TICKETBOT, Server, interleaved_table, webhook_load
from bench.registry import Bench, Table, register

SECRET = base64.b64encode(b"bench-webhook-security-token-32b").decode()
CONCURRENCY = 16


@register("teams-webhook", order=20)
async def teams_webhook(bench: Bench) -> list[Table]:
    log = bench.workdir / "servers.log"
    ours_url = f"sqlite+aiosqlite:///{bench.workdir / 'webhook.db'}"
    await migrate(ours_url)
    ours = Server("ticketbot webhook", [TICKETBOT, "serve", "--port", "{port}"],
                  {"DATABASE_URL": ours_url, "TEAMS_WEBHOOK_SECRET": SECRET})
    plain = Server("aiohttp + one insert", [PYTHON, "-m", "bench.bots.plain_insert", "{port}",
                                              f"sqlite+aiosqlite:///{bench.workdir / 'plain.db'}"])
    rows = [
        ("outgoing webhook create, SQLite", ours.url + "/api/teams/webhook", SECRET),
        ("bare aiohttp + one insert, SQLite", plain.url + "/hook", None),
    ]
    results: dict[str, list] = {label: [] for label, _, _ in rows}
    try:
        await ours.start(log)
        await plain.start(log)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            for _label, url, secret in rows:
                await webhook_load(http, url, concurrency=2, seconds=0.5, text=_create, label="warm-up", secret=secret)
            for _round in range(bench.rounds):
                for label, url, secret in rows:
                    results[label].append(await webhook_load(
                        http, url, concurrency=CONCURRENCY, seconds=bench.seconds, text=_create, label=label,
                        secret=secret,
                    ))
    finally:
        ours.stop()
        plain.stop()
    return [interleaved_table(f"Teams outgoing webhook vs the write ceiling, {CONCURRENCY} concurrent callers", results,
                              baseline="bare aiohttp + one insert, SQLite", column="÷ aiohttp + one insert")]


def _create(n: int) -> str:
    return f"<at>Ticketbot</at> Title: Webhook printer {n} is jammed"
