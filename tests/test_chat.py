"""`ticketbot chat`: the terminal chat, driven through stdin like a newcomer would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("ticketbot")


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)


def test_create_assign_and_close_a_ticket_in_the_terminal(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"}
    assert _run(env, "members", "add", "Alice Admin", "--email", "alice@example.com", "--admin").returncode == 0
    conversation = "\n".join(
        [
            "the printer on floor 3 is jammed again",
            "/1",  # Create: keep the title, add a description, choose priority 3 (high), keep the board
            "",
            "paper stuck in tray 2",
            "3",
            "",
            "assign 1 to me",
            "/2",  # Status: choose 2 (In Progress)
            "2",
            "close 1 cleared the tray",
            "quit",
        ]
    )
    done = _run(env, "chat", "--as", "alice@example.com", stdin=conversation + "\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "New ticket" in out and "[1] Create  [2] Cancel" in out
    assert "Created ticket #1." in out
    assert "Assigned #1 to Alice Admin." in out
    assert "Status set to In Progress." in out
    assert "Closed #1." in out
    assert "Traceback" not in out + done.stderr

    tickets = json.loads(_run(env, "tickets", "list", "--json").stdout)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert (ticket["title"], ticket["description"], ticket["priority"], ticket["status"]) == (
        "the printer on floor 3 is jammed again",
        "paper stuck in tray 2",
        "high",
        "Closed",
    )
    assert [a["email"] for a in ticket["assignees"]] == ["alice@example.com"]
    assert ticket["requester"]["name"] == "Alice Admin"


def test_a_guest_is_told_what_they_may_not_do(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"}
    done = _run(env, "chat", stdin="Title: My mouse\nassign 1 to me\nfollow\nhepl\n")
    assert done.returncode == 0, done.stderr
    assert "Created ticket #1." in done.stdout
    assert "Only desk members can assign ticket #1." in done.stdout
    assert "Only admins can make a channel follow a board." in done.stdout
    assert "Did you mean `help`?" in done.stdout


def test_chat_as_an_unknown_email_fails_with_one_line(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"}
    done = _run(env, "chat", "--as", "ghost@example.com")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: No member matches 'ghost@example.com'."
