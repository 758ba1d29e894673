"""`python -m bench [scenario ...]` (what `make bench` runs): every registered scenario, or the named ones.

Prints each table as markdown as it is done, then the machine and versions. Never exits non-zero for a slow
figure: a scenario that fails is reported and the others still run. BENCH_SECONDS (default 5) is the length
of one measured run, BENCH_ROUNDS (default 2) the number of interleaved rounds, BENCH_POSTGRES_URL (or
TICKETBOT_TEST_POSTGRES_URL) the PostgreSQL server for throwaway databases (PostgreSQL rows are left out
without one).
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
import time
import traceback
from importlib.metadata import version
from pathlib import Path

from bench.registry import Bench, discover

PACKAGES = ("aiohttp", "SQLAlchemy", "aiosqlite", "asyncpg", "botbuilder-core", "prometheus-client")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    import sqlite3

    return (f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}; {versions}")


async def main(names: list[str]) -> None:
    scenarios = [s for s in discover() if not names or s.name in names]
    with tempfile.TemporaryDirectory(prefix="ticketbot-bench-") as workdir:
        bench = Bench(
            seconds=float(os.environ.get("BENCH_SECONDS", "5")),
            rounds=int(os.environ.get("BENCH_ROUNDS", "2")),
            workdir=Path(workdir),
            postgres_url=os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TICKETBOT_TEST_POSTGRES_URL"),
        )
        began = time.perf_counter()
        for scenario in scenarios:
            started = time.perf_counter()
            print(f"<!-- {scenario.name} -->", flush=True)
            try:
                for table in await scenario.run(bench):
                    print(table.markdown(), flush=True)
            except Exception:  # a broken scenario is reported; the others still run
                print(f"scenario {scenario.name} failed:\n{traceback.format_exc()}", flush=True)
            print(f"<!-- {scenario.name}: {time.perf_counter() - started:.0f} s -->\n", flush=True)
        print(f"Machine: {machine()}. Whole run: {time.perf_counter() - began:.0f} s.")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
