"""A read-only CLI command starts fast because it imports only what it uses (asserted on imports, not a timer).

Before the lazy imports, every command imported the conversation core, the dialogs, the card renderers,
aiohttp and Alembic (about 0.9 s of a 1 s command); then every command module, every desk service, the seam,
the notification engine and the card model (0.7-0.8 s). `tickets list` needs the settings, the ticket service,
the admin API's response shapes and the database driver only, and skips the migration check, as every command
that only reads does.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

# What a read-only command must not pull in: the chat core, the dialogs, the renderers, the HTTP stack,
# the migrations, the platform SDKs, the metrics and the image library of the manifest builder.
NOT_FOR_READING = (
    "bot.chat", "dialogs", "cards.adaptive", "cards.blockkit", "aiohttp", "alembic", "botbuilder", "msal",
    "prometheus_client", "PIL", "adapters",
)
# Nor what another command, or another part of the desk, needs: the other command modules, the other desk
# services (boards excepted: tickets read them through its per-session cache) and the seam they speak, the
# notification engine, the card model and the API's HTTP side.
NOT_FOR_LISTING_TICKETS = (
    "bot.cli.boards", "bot.cli.members", "bot.cli.keys", "bot.cli.notify", "bot.cli.mail", "bot.cli.webex",
    "bot.cli.web", "bot.cli.sync", "bot.cli.doctor", "bot.cli.manifest", "bot.desk.members",
    "bot.desk.conversations", "bot.desk.follows", "bot.desk.threads", "bot.desk.mail", "bot.desk.views",
    "bot.desk.history", "bot.seam", "bot.notify", "cards.model", "bot.api.app", "bot.api.openapi", "bot.web",
    "bot.metrics", "storage.migrate",
)
# Every command that only reads: none may migrate a database (they report a missing schema instead).
READ_ONLY = (
    ("tickets", "list"), ("tickets", "show", "1"), ("boards", "list"), ("boards", "statuses", "Service Desk"),
    ("members", "list"), ("keys", "list"), ("recipients", "list"), ("rules", "list"), ("forwards", "list"),
    ("outbox", "status"), ("mail", "exclude", "list"), ("mail", "rules", "list"), ("web", "token", "list"),
)

PROBE = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["ticketbot", *sys.argv[2:]]
from bot.cli.start import main
main()
"""


def _imported(tmp_path, *args: str, database: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    out = tmp_path / "modules.json"
    env = {**os.environ, "DATABASE_URL": database}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args], env=env, capture_output=True, text=True, timeout=60
    )
    return done, set(json.loads(out.read_text()))


# Counts the collections made while the command line was being imported (from its first import, Typer, until
# `bot.cli.main.app` exists), and what the collector would have to walk at exit: the objects it tracks that are not frozen.
GC_PROBE = """
import atexit, gc, json, sys
out = sys.argv[1]
early = []
importing = lambda: "typer" in sys.modules and not hasattr(sys.modules.get("bot.cli.main"), "app")
gc.callbacks.append(lambda phase, info: phase == "start" and importing() and early.append(info["generation"]))
atexit.register(lambda: open(out, "w").write(json.dumps(
    {"early": early, "frozen": gc.get_freeze_count(), "unfrozen": len(gc.get_objects())})))
sys.argv = ["ticketbot", *sys.argv[2:]]
from bot.cli.start import main
main()
"""


def _loaded(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_tickets_list_imports_neither_core_nor_migrations(sqlite_url, tmp_path):
    done, modules = _imported(tmp_path, "tickets", "list", "--json", database=sqlite_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert "bot.desk.tickets" in modules and "aiosqlite" in modules  # it did read the database
    assert [p for p in NOT_FOR_READING if _loaded(modules, p)] == []
    assert [p for p in NOT_FOR_LISTING_TICKETS if _loaded(modules, p)] == []


def test_a_read_only_command_does_not_migrate(tmp_path):
    empty = f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}"
    done, modules = _imported(tmp_path, "tickets", "list", database=empty)
    assert done.returncode == 1
    assert "no such table" in done.stderr and "ticketbot db upgrade" in done.stderr
    assert not _loaded(modules, "alembic")


def test_a_command_that_writes_still_migrates(tmp_path):
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    done, modules = _imported(tmp_path, "tickets", "create", "Printer jammed", database=fresh)
    assert done.returncode == 0, done.stderr
    assert "created #1 Printer jammed" in done.stdout
    assert _loaded(modules, "alembic")


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_no_read_only_command_migrates(tmp_path, command):
    empty = tmp_path / "never-migrated.db"
    done = CliRunner().invoke(app, list(command), env={"DATABASE_URL": f"sqlite+aiosqlite:///{empty}"})
    assert done.exit_code == 1
    assert "ticketbot db upgrade" in done.output
    with sqlite3.connect(empty) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_help_still_lists_every_command_though_each_module_loads_on_demand():
    shown = CliRunner().invoke(app, ["--help"]).output
    listed = [line.split()[0] for line in shown.split("Commands:")[1].splitlines() if line.startswith("  ")]
    assert sorted(listed) == sorted([
        "serve", "chat", "db", "worker", "sync", "doctor", "boards", "members", "tickets", "keys", "manifest",
        "mail", "webex", "web", "recipients", "rules", "forwards", "outbox",
    ])
    assert "Did you mean 'tickets'?" in CliRunner().invoke(app, ["tickts"]).output


def test_the_command_line_imports_without_collecting_and_leaves_its_heap_frozen_for_the_exit(sqlite_url, tmp_path):
    """Collections while importing walked objects that live until the end (30-40 ms of a 0.55 s command), and
    the interpreter's teardown walked and freed them all (80-100 ms); `bot.cli.start` spares both."""
    out = tmp_path / "gc.json"
    env = {**os.environ, "DATABASE_URL": sqlite_url}
    done = subprocess.run([sys.executable, "-c", GC_PROBE, str(out), "tickets", "list", "--json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    seen = json.loads(out.read_text())
    assert seen["early"] == []
    assert seen["frozen"] > 100_000
    assert seen["unfrozen"] < 1_000
