"""`ticketbot doctor`, run for real: one line per check, the fix for each failure, exit 1 when any failed."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("ticketbot")


def _doctor(database: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "WEBEX_", "TEAMS_"))}
    return subprocess.run([str(SCRIPT), "doctor", *args], env={**clean, "DATABASE_URL": database, **env},
                          capture_output=True, text=True, timeout=60)


def test_a_migrated_database_passes(sqlite_url):
    done = _doctor(sqlite_url)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ok    database reachable:")
    assert lines[1] == "ok    database migrated: the schema is at 0011"
    assert len(lines) == 2  # Teams in local mode without a webhook has nothing to check


def test_an_unmigrated_database_says_to_upgrade(tmp_path):
    done = _doctor(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", "--json")
    assert done.returncode == 1
    results = {r["check"]: r for r in json.loads(done.stdout)}
    assert results["database reachable"]["ok"] is True
    assert results["database migrated"]["ok"] is False
    assert "ticketbot db upgrade" in results["database migrated"]["fix"]


def test_an_unreachable_database_fails_with_the_fix_and_no_password():
    done = _doctor("postgresql+asyncpg://bot:s3cret-db-password@127.0.0.1:9/desk")
    assert done.returncode == 1
    assert "FAIL  database reachable" in done.stdout and "Check DATABASE_URL" in done.stdout
    assert "s3cret" not in done.stdout + done.stderr


def test_the_teams_webhook_secret_is_checked(sqlite_url):
    bad = _doctor(sqlite_url, "--json", TEAMS_WEBHOOK_SECRET="not base64!")
    [check] = [r for r in json.loads(bad.stdout) if r["check"] == "teams outgoing webhook secret"]
    assert bad.returncode == 1 and check["ok"] is False and "TEAMS_WEBHOOK_SECRET" in check["fix"]
    good = _doctor(sqlite_url, TEAMS_WEBHOOK_SECRET=base64.b64encode(b"a-security-token").decode())
    assert good.returncode == 0, good.stdout
    assert "ok    teams outgoing webhook secret" in good.stdout
