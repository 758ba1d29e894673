"""The scenario registry: one module per scenario under `bench/scenarios/`, each calling `register`.

A scenario is an async function taking the run's `Bench` context and returning tables. Adding a row for a new
platform (a slack-bolt `AsyncApp` echo beside the Slack full path, Webex against the write ceiling, outbox
fan-out against a rate-limited stub) is a new module that registers itself; the runner finds it by import.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Table:
    """A result table: a title, column headers, rows, and notes printed under it."""

    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """The table as GitHub markdown."""
        lines = [f"### {self.title}", "", "| " + " | ".join(self.headers) + " |", "|" + "---|" * len(self.headers)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        lines += [""] + [f"{note}" for note in self.notes] if self.notes else []
        return "\n".join(lines) + "\n"


@dataclass
class Bench:
    """What every scenario is handed: the run's settings and a place to leave figures for later scenarios."""

    seconds: float
    rounds: int
    workdir: Path
    postgres_url: str | None
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """One benchmark; `order` sorts them (inbound load first, so its serve process's peak RSS is known)."""

    name: str
    order: int
    run: Callable[[Bench], Awaitable[list[Table]]]


SCENARIOS: list[Scenario] = []


def register(name: str, order: int) -> Callable[[Callable[[Bench], Awaitable[list[Table]]]], Any]:
    """Decorator: register the function as a scenario."""

    def add(run: Callable[[Bench], Awaitable[list[Table]]]) -> Callable[[Bench], Awaitable[list[Table]]]:
        SCENARIOS.append(Scenario(name, order, run))
        return run

    return add


def discover() -> list[Scenario]:
    """Import every module of `bench.scenarios`; the registered scenarios, in order."""
    from bench import scenarios

    for module in pkgutil.iter_modules(scenarios.__path__):
        importlib.import_module(f"bench.scenarios.{module.name}")
    return sorted(SCENARIOS, key=lambda s: s.order)
