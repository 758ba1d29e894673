"""`ticketbot mail …` against the local authority and the Graph stub.

The commands run in-process through Typer's runner, in a worker thread (each command runs its own event loop,
while the stubs serve on the test's loop); the console script itself is exercised by tests/test_cli.py.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.fakes.graph import GraphStub, mail
from tests.fakes.login import LoginStub
from tests.mail.helpers import MAILBOX, mail_env

PLATFORM_PREFIXES = ("Microsoft", "SLACK_", "WEBEX_", "TEAMS_", "GRAPH_")


async def ticketbot(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run a `ticketbot` command with this environment (platform settings of the test's own removed)."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith(PLATFORM_PREFIXES)}
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, list(args), env={**unset, **env})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'mail.db'}"


async def test_check_passes_line_by_line(db, tmp_path, login, graph):
    code, out, err = await ticketbot(mail_env(db, login, graph), tmp_path, "mail", "check")

    assert code == 0, err
    lines = out.splitlines()
    names = ["ok    token", "ok    permissions", "ok    mailbox", "ok    folder"]
    assert [line.split(":")[0] for line in lines[:4]] == names
    assert MAILBOX in lines[2] and lines[-1] == "all checks passed"


async def test_check_says_what_is_wrong(db, tmp_path, login, graph):
    env = mail_env(db, login, graph, GRAPH_CLIENT_SECRET="wrong", GRAPH_PROCESSED_FOLDER="Tickets")
    code, out, _ = await ticketbot(env, tmp_path, "mail", "check")
    assert code == 1
    assert out.splitlines() == ["FAIL  token: invalid_client: AADSTS7000215: Invalid client secret provided."]

    env = mail_env(db, login, graph, GRAPH_PROCESSED_FOLDER="Tickets")
    code, out, _ = await ticketbot(env, tmp_path, "mail", "check")
    assert code == 1
    assert out.splitlines()[-1].startswith("FAIL  folder: processed folder 'Tickets': Graph answered HTTP 404")


async def test_check_names_missing_permissions(db, tmp_path, certificate, graph):
    async with LoginStub(certificate.server_context(), roles=("Mail.Read",)) as reader:
        graph._tokens = lambda: reader.issued
        code, out, _ = await ticketbot(mail_env(db, reader, graph), tmp_path, "mail", "check")
    assert code == 1
    assert "FAIL  permissions: missing application permission(s) Mail.ReadWrite, Mail.Send (granted: Mail.Read)" in out


async def test_mail_is_off_without_settings(db, tmp_path):
    code, _, err = await ticketbot({"DATABASE_URL": db}, tmp_path, "mail", "check")
    assert code == 1 and err.startswith("error: mail is off: set GRAPH_TENANT_ID")


async def test_poll_once_exclusions_and_rules(db, tmp_path, login, graph: GraphStub):
    env = mail_env(db, login, graph)
    run = lambda *args: ticketbot(env, tmp_path, *args)  # noqa: E731
    assert (await run("members", "add", "Bob Tech", "--email", "bob@desk.example"))[0] == 0
    assert (await run("mail", "exclude", "add", "@News.Example"))[1] == "excluded news.example\n"
    assert (await run("mail", "rules", "add", "example.com", "--assignee", "bob@desk.example"))[0] == 0
    code, _, err = await run("mail", "rules", "add", "not a domain", "--board", "Service Desk")
    assert code == 1 and "neither an email address nor a domain" in err
    code, _, err = await run("mail", "rules", "add", "example.net", "--assignee", "nobody@desk.example")
    assert code == 1 and "No member has the email nobody@desk.example" in err
    rules = json.loads((await run("mail", "rules", "list", "--json"))[1])
    assert rules == [{"pattern": "example.com", "board": None, "assignee": "bob@desk.example"}]
    graph.deliver(mail("Printer jammed", "It is jammed."))
    graph.deliver(mail("News", "Weekly.", sender="editor@news.example"))

    code, out, err = await run("mail", "poll", "--once")

    assert code == 0, err
    assert out == "handled 1 mail(s), skipped 1\n"
    shown = json.loads((await run("tickets", "show", "1", "--json"))[1])
    assert shown["title"] == "Printer jammed" and [a["name"] for a in shown["assignees"]] == ["Bob Tech"]
    assert json.loads((await run("mail", "exclude", "list", "--json"))[1]) == ["news.example"]
    assert (await run("mail", "exclude", "delete", "news.example"))[0] == 0
    assert (await run("mail", "rules", "delete", "example.com"))[0] == 0
    assert (await run("mail", "rules", "list"))[1] == "no rules\n"
    code, _, err = await run("mail", "rules", "delete", "example.com")
    assert code == 1 and "example.com is not covered by a rule" in err
