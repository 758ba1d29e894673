"""Teams inbound: the full path (create a ticket; read-only `show 1`) against bare botbuilder echo bots.

Every bot runs in its own process, unauthenticated (ticketbot in local mode, the echo bots with an empty app
id), replying to the same local Bot Connector stub. For each concurrency the rows run interleaved, round after
round, and each ratio divides figures of the same round. The peak RSS of the SQLite serve process is kept for
the memory table.
"""

from __future__ import annotations

import aiohttp

from bench.databases import PostgresDatabases, migrate
from bench.harness import PYTHON, TICKETBOT, ConnectorStub, Server, bot_load, create_text, echo_text, mean, ms, percentile, ratio, show_text
from bench.registry import Bench, Table, register

CONCURRENCY = (16, 64)


@register("teams-inbound", order=10)
async def teams_inbound(bench: Bench) -> list[Table]:
    log = bench.workdir / "servers.log"
    sqlite_url = f"sqlite+aiosqlite:///{bench.workdir / 'inbound.db'}"
    await migrate(sqlite_url)
    servers = {
        "sqlite": Server("ticketbot (SQLite)", [TICKETBOT, "serve", "--port", "{port}"], {"DATABASE_URL": sqlite_url}),
        "cloud": Server("CloudAdapter echo", [PYTHON, "-m", "bench.bots.cloud_echo", "{port}"]),
        "legacy": Server("BotFrameworkAdapter echo", [PYTHON, "-m", "bench.bots.legacy_echo", "{port}"]),
    }
    postgres = PostgresDatabases(bench.postgres_url) if bench.postgres_url else None
    if postgres is not None:
        url = await postgres.new()
        servers["postgres"] = Server("ticketbot (PostgreSQL)", [TICKETBOT, "serve", "--port", "{port}"],
                                     {"DATABASE_URL": url})
    stub = ConnectorStub()
    await stub.start()
    rows = [("create, SQLite", "sqlite", create_text), ("show 1 (read only), SQLite", "sqlite", show_text)]
    if postgres is not None:
        rows.append(("create, PostgreSQL", "postgres", create_text))
    rows += [("bare CloudAdapter echo", "cloud", echo_text), ("bare BotFrameworkAdapter echo", "legacy", echo_text)]
    tables = []
    try:
        for server in servers.values():
            await server.start(log)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
            for key in ("sqlite", "postgres"):  # ticket 1 exists, by the bench user, before anything is measured
                if key in servers:
                    await bot_load(http, stub, servers[key].url + "/api/messages", concurrency=1, seconds=0.5,
                                   text=create_text, label="warm-up")
            for key in ("cloud", "legacy"):
                await bot_load(http, stub, servers[key].url + "/api/messages", concurrency=4, seconds=0.5,
                               text=echo_text, label="warm-up")
            for concurrency in CONCURRENCY:
                results: dict[str, list] = {label: [] for label, _, _ in rows}
                for _round in range(bench.rounds):
                    for label, key, text in rows:
                        results[label].append(await bot_load(
                            http, stub, servers[key].url + "/api/messages", concurrency=concurrency,
                            seconds=bench.seconds, text=text, label=label,
                        ))
                table = Table(
                    f"Teams inbound, {concurrency} concurrent conversations ({bench.rounds} interleaved rounds of "
                    f"{bench.seconds:.0f} s)",
                    ["path", "msg/s", "p50 ms", "p99 ms", "errors", "÷ CloudAdapter echo",
                     "÷ BotFrameworkAdapter echo"],
                )
                for label, _, _ in rows:
                    runs = results[label]
                    by_round_cloud = _per_round(runs, results["bare CloudAdapter echo"])
                    by_round_legacy = _per_round(runs, results["bare BotFrameworkAdapter echo"])
                    latencies = [x for r in runs for x in r.latencies]
                    table.rows.append([
                        label, f"{mean([r.rate for r in runs]):.0f}",
                        ms(percentile(latencies, 50)), ms(percentile(latencies, 99)),
                        sum(r.errors for r in runs), ratio(mean(by_round_cloud), 1), ratio(mean(by_round_legacy), 1),
                    ])
                tables.append(table)
        bench.shared["rss"] = {name: servers[name].peak_rss_mib() for name in servers}
        bench.shared["rss_names"] = {name: servers[name].name for name in servers}
    finally:
        for server in servers.values():
            server.stop()
        await stub.stop()
        if postgres is not None:
            await postgres.drop_all()
    return tables


def _per_round(runs: list, baseline: list) -> list[float]:
    """Each round's rate divided by the baseline's rate in the same round."""
    return [r.rate / b.rate for r, b in zip(runs, baseline, strict=True) if b.rate]
