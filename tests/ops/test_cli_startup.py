"""A read-only CLI command starts fast because it imports only what it uses (asserted on imports, not a timer).

Before the lazy imports, every command imported the conversation core, the dialogs, the card renderers,
aiohttp and Alembic (about 0.9 s of a 1 s command); `tickets list` needs the settings, the domain and the
database driver only, and skips the migration check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# What a read-only command must not pull in: the chat core, the dialogs, the renderers, the HTTP stack,
# the migrations, the platform SDKs, the metrics and the image library of the manifest builder.
NOT_FOR_READING = (
    "bot.chat", "dialogs", "cards.adaptive", "cards.blockkit", "aiohttp", "alembic", "botbuilder", "msal",
    "prometheus_client", "PIL", "adapters",
)

PROBE = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["ticketbot", *sys.argv[2:]]
from bot.cli.main import main
main()
"""


def _imported(tmp_path, *args: str, database: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    out = tmp_path / "modules.json"
    env = {**os.environ, "DATABASE_URL": database}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args], env=env, capture_output=True, text=True, timeout=60
    )
    return done, set(json.loads(out.read_text()))


def _loaded(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_tickets_list_imports_neither_core_nor_migrations(sqlite_url, tmp_path):
    done, modules = _imported(tmp_path, "tickets", "list", "--json", database=sqlite_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert "bot.desk.tickets" in modules and "aiosqlite" in modules  # it did read the database
    assert [p for p in NOT_FOR_READING if _loaded(modules, p)] == []


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
