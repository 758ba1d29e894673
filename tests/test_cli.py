"""The `ticketbot` console: its Typer app invoked as the console script would run it, against a migrated
copy of the template database; the console script itself and `python -m bot` run for real in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

SCRIPT = Path(sys.executable).with_name("ticketbot")


PLATFORM_PREFIXES = ("Microsoft", "SLACK_", "WEBEX_", "TEAMS_")


@pytest.fixture
def cli(sqlite_url, monkeypatch):
    """The console's Typer app, invoked in this process (as `ticketbot …` would run it, arguments and all)
    against a migrated copy of the template database. Starting the interpreter and importing for each of this
    file's ~150 commands cost over a minute of the suite; the console script itself is run for real in
    `test_the_console_script_and_python_dash_m_bot` (and `tests/ops/test_cli_startup.py`)."""
    from bot.cli.main import app

    env = {k: None for k in os.environ if k.startswith(PLATFORM_PREFIXES)} | {"DATABASE_URL": sqlite_url}

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["ticketbot", *args])
        result = CliRunner().invoke(app, list(args), env=env)
        done = subprocess.CompletedProcess(["ticketbot", *args], result.exit_code, result.stdout, result.stderr)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    run.db = Path(sqlite_url.split(":///", 1)[1])  # type: ignore[attr-defined]
    return run


def test_ticket_lifecycle_through_the_cli(cli):
    cli("members", "add", "Alice Admin", "--email", "alice@example.com", "--admin")
    cli("members", "add", "Bob Tech", "--email", "bob@example.com")
    created = json.loads(cli("tickets", "create", "Printer jammed", "--priority", "urgent", "--json").stdout)
    assert created["number"] == 1 and created["priority"] == "critical"
    cli("tickets", "assign", "1", "alice@example.com", "Bob Tech")
    cli("tickets", "note", "1", "Toner replaced", "--internal")
    cli("tickets", "update", "1", "--status", "In Progress", "--version", "3")
    cli("tickets", "close", "1", "--reason", "fixed")

    listed = json.loads(cli("tickets", "list", "--json").stdout)
    assert len(listed) == 1
    ticket = listed[0]
    for key in ("number", "title", "description", "status", "priority", "board", "assignees", "requester",
                "version", "created_at", "updated_at"):
        assert key in ticket
    assert ticket["status"] == "Closed"
    assert [a["name"] for a in ticket["assignees"]] == ["Alice Admin", "Bob Tech"]
    assert ticket["version"] == 5

    shown = json.loads(cli("tickets", "show", "1", "--json").stdout)
    assert [n["text"] for n in shown["notes"]] == ["Toner replaced", "fixed"]
    assert [h["action"] for h in shown["history"]] == ["created", "assigned", "note", "updated", "closed"]
    text = cli("tickets", "show", "1").stdout
    assert "#1 Printer jammed" in text and "status: Closed" in text

    reopened = cli("tickets", "reopen", "1").stdout
    assert "reopened #1 (New)" in reopened


def test_tickets_list_pages_newest_first(cli):
    for title in ("First", "Second", "Third"):
        cli("tickets", "create", title)
    page = json.loads(cli("tickets", "list", "--limit", "2", "--json").stdout)
    assert [t["number"] for t in page] == [3, 2]
    rest = json.loads(cli("tickets", "list", "--limit", "2", "--before", "2", "--json").stdout)
    assert [t["title"] for t in rest] == ["First"]


def test_stale_version_is_refused(cli):
    cli("tickets", "create", "Race")
    cli("tickets", "update", "1", "--priority", "high")
    stale = cli("tickets", "update", "1", "--title", "Other", "--version", "1", ok=False)
    assert stale.returncode == 1
    assert "changed since you saw it" in stale.stderr
    assert json.loads(cli("tickets", "show", "1", "--json").stdout)["title"] == "Race"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tickets", "show", "99"), "There is no ticket #99."),
        (("tickets", "show", "99999999999999999999"), "There is no ticket #99999999999999999999."),
        (("tickets", "close", "2147483648"), "There is no ticket #2147483648."),
        (("tickets", "show", "abc"), "Invalid value"),
        (("tickets", "create", "x", "--priority", "bogus"), "not a priority"),
        (("tickets", "assign", "1", "nobody@example.com"), "No member matches"),
        (("members", "add", "Eve", "--email", "not-an-email"), "not an email address"),
        (("members", "link", "ghost@example.com", "slack", "U1"), "No member has the email"),
        (("boards", "statuses", "Nope"), "no board 'Nope'"),
        (("keys", "revoke", "nope"), "no key 'nope'"),
        (("tickets", "frobnicate"), "No such command"),
    ],
)
def test_bad_arguments_fail_with_one_clear_line(cli, args, message):
    cli("tickets", "create", "seed")
    done = cli(*args, ok=False)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    error_lines = [line for line in done.stderr.splitlines() if line.lower().startswith("error")]
    assert len(error_lines) == 1


def test_boards(cli):
    cli("boards", "add", "Network", "--status", "Open", "--status", "Done", "--closed", "Done", "--priority", "high")
    boards = json.loads(cli("boards", "list", "--json").stdout)
    assert [b["name"] for b in boards] == ["Service Desk", "Network"]
    assert [(s["name"], s["closed"]) for s in boards[1]["statuses"]] == [("Open", False), ("Done", True)]
    cli("boards", "category", "Hardware/Printers", "--board", "Network")
    created = json.loads(cli("tickets", "create", "Switch", "--board", "network", "--category", "hardware/printers", "--json").stdout)
    assert (created["board"], created["priority"], created["status"], created["category"]) == ("Network", "high", "Open", "Printers")
    statuses = cli("boards", "statuses", "Network").stdout
    assert "2. Done (closed)" in statuses


def test_members_link_and_list(cli):
    cli("members", "add", "Alice", "--email", "alice@example.com", "--platform", "teams")
    cli("members", "link", "alice@example.com", "teams", "aad-1")
    members = json.loads(cli("members", "list", "--json").stdout)
    assert [(i["platform"], i["user_id"]) for i in members[0]["identities"]] == [("teams", "aad-1")]
    assert members[0]["preferred_platform"] == "teams"


def test_api_key_is_shown_once_and_stored_hashed(cli):
    done = cli("keys", "create", "reporting script")
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("tbk_") and len(key) > 30
    with sqlite3.connect(cli.db) as conn:
        rows = conn.execute("SELECT key_hash, prefix FROM api_keys").fetchall()
    assert rows == [(hashlib.sha256(key.encode()).hexdigest(), key[:12])]
    listed = cli("keys", "list", "--json").stdout
    assert key not in listed and json.loads(listed)[0]["revoked_at"] is None
    cli("keys", "revoke", key[:12])
    assert json.loads(cli("keys", "list", "--json").stdout)[0]["revoked_at"] is not None


def test_help_everywhere(cli):
    for args in ((), ("tickets",), ("tickets", "list"), ("keys", "create"), ("db", "upgrade"), ("serve",)):
        done = cli(*args, "--help")
        assert "Usage:" in done.stdout


def test_the_console_script_and_python_dash_m_bot(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_PREFIXES)}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    for command, args, expected in (
        ([str(SCRIPT)], ("db", "upgrade"), "up to date"),
        ([str(SCRIPT)], ("tickets", "create", "Printer jammed"), "#1"),
        ([sys.executable, "-m", "bot"], ("boards", "list"), "Service Desk"),
        ([str(SCRIPT)], ("tickets", "show", "99"), ""),
    ):
        done = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=60)
        if expected:
            assert done.returncode == 0, done.stderr
            assert expected in done.stdout
        else:
            assert done.returncode == 1 and done.stderr.strip() == "error: There is no ticket #99."


def test_keys_from_the_cli_open_the_api_as_their_member(cli):
    import asyncio

    import aiohttp

    from bot.app import create_app
    from bot.services import Services
    from tests.helpers import make_settings
    from tests.http import served

    cli("members", "add", "Alice", "--email", "alice@example.com", "--admin")
    cli("members", "add", "Bob", "--email", "bob@example.com")
    admin_key = cli("keys", "create", "--member", "alice@example.com", "--admin").stdout.splitlines()[-1]
    bob_key = cli("keys", "create", "bob's script", "--member", "bob@example.com").stdout.splitlines()[-1]
    refused = cli("keys", "create", "--member", "bob@example.com", "--admin", ok=False)
    assert "Bob is not an admin" in refused.stderr
    assert "name the key" in cli("keys", "create", ok=False).stderr
    listed = json.loads(cli("keys", "list", "--json").stdout)
    assert [(k["name"], k["admin"]) for k in listed] == [("alice@example.com", True), ("bob's script", False)]

    async def through_the_api() -> None:
        services = Services(make_settings(f"sqlite+aiosqlite:///{cli.db}"))
        async with served(create_app(services, upgrade=False)) as url, aiohttp.ClientSession() as http:
            for key, name, keys_status in ((admin_key, "Alice", 200), (bob_key, "Bob", 403)):
                headers = {"Authorization": f"Bearer {key}"}
                async with http.get(f"{url}/api/v1/me", headers=headers) as me:
                    assert (await me.json())["name"] == name
                async with http.get(f"{url}/api/v1/keys", headers=headers) as keys:
                    assert keys.status == keys_status

    asyncio.run(through_the_api())


def test_every_cli_write_is_in_the_audit_log(cli):
    cli("boards", "add", "Network")
    cli("tickets", "create", "Printer jammed", "--board", "Network")
    cli("tickets", "close", "1", "--reason", "fixed")
    cli("tickets", "show", "1")
    cli("tickets", "close", "1", ok=False)
    with sqlite3.connect(cli.db) as conn:
        rows = conn.execute("SELECT actor, action, source, detail FROM audit_log ORDER BY id").fetchall()
    assert [(actor, action) for actor, action, _, _ in rows] == [
        ("admin (cli)", "boards.create"),
        ("admin (cli)", "tickets.create"),
        ("admin (cli)", "tickets.close"),
    ]
    assert all(source.startswith("cli ") and "@" in source for _, _, source, _ in rows)
    assert json.loads(rows[2][3])["command"] == ["tickets", "close", "1", "--reason", "fixed"]
