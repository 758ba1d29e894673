"""`ticketbot recipients|rules|forwards|outbox` through Typer's runner (in-process: the console script's
start-up costs seconds per call here) against a temporary database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app


def _cli(tmp_path: Path):
    runner = CliRunner()
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}

    def run(*args: str, ok: bool = True):
        done = runner.invoke(app, list(args), env=env)
        assert (done.exit_code == 0) == ok, done.output
        return done

    return run


def test_recipients_rules_forwards_and_the_outbox_through_the_cli(tmp_path):
    cli = _cli(tmp_path)
    add = ("recipients", "add", "--platform", "teams", "--conversation")
    room = cli(*add, "19:a@thread.tacv2", "--name", "Desk").stdout
    other = cli(*add, "19:b@thread.tacv2", "--name", "Ops").stdout
    assert (room.strip(), other.strip()) == ("1", "2")
    rule = json.loads(
        cli("rules", "add", "--board", "Service Desk", "--recipient", "1", "--min-priority", "high", "--on-update",
            "--json").stdout
    )
    assert (rule["priorities"], rule["events"]) == (["high", "critical"], ["created", "updated"])
    cli("rules", "disable", "1")
    assert json.loads(cli("rules", "list", "--json").stdout)[0]["enabled"] is False
    cli("forwards", "add", "--from", "1", "--to", "2", "--start", "2026-03-01", "--end", "2026-03-15", "--keep-copy")
    refused = cli("forwards", "add", "--from", "2", "--to", "1", ok=False)
    assert "cycle" in refused.output
    bad_dates = cli("forwards", "add", "--from", "2", "--to", "1", "--start", "2026-03-02", "--end", "2026-03-01",
                    ok=False)
    assert "start must be before its end" in bad_dates.output
    [forward] = json.loads(cli("forwards", "list", "--json").stdout)
    assert (forward["start"], forward["keep_copy"]) == ("2026-03-01T00:00:00Z", True)

    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute(
            "INSERT INTO deliveries (platform, target, payload, dedup_key, state, attempts, next_attempt_at, "
            "last_error, created_at, lane) VALUES ('teams', '{}', '{}', 'k1', 'dead', 8, '2026-01-01 00:00:00', "
            "'The Bot Connector answered HTTP 403. (HTTP 403)', '2026-01-01 00:00:00', 'teams:x')"
        )
    status = json.loads(cli("outbox", "status", "--json").stdout)
    assert status["counts"]["dead"] == 1 and status["dead"][0]["error"].startswith("The Bot Connector answered")
    assert "1 delivery pending again" in cli("outbox", "retry", "1").stdout
    assert json.loads(cli("outbox", "status", "--json").stdout)["counts"] == {
        "pending": 1, "sending": 0, "sent": 0, "dead": 0
    }
    assert "not both" in cli("outbox", "retry", "1", "--dead", ok=False).output
