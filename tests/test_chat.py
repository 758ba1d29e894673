"""`ticketbot chat`: the terminal chat, driven through stdin like a newcomer would use it (a pipe; the
pseudo-terminal cases are in tests/test_chat_tty.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("ticketbot")


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"}


@pytest.fixture(scope="module")
def desk_with_alice(tmp_path_factory) -> Path:
    """A database with the admin Alice, made once: each test starts from a copy (a process start is ~2 s)."""
    folder = tmp_path_factory.mktemp("desk")
    added = _run(_env(folder), "members", "add", "Alice Admin", "--email", "alice@example.com", "--admin")
    assert added.returncode == 0, added.stderr
    return folder / "chat.db"


@pytest.fixture
def env(tmp_path, desk_with_alice) -> dict[str, str]:
    shutil.copy(desk_with_alice, tmp_path / "chat.db")
    return _env(tmp_path)


def _chat(env: dict[str, str], *lines: str, as_email: str = "alice@example.com") -> str:
    done = _run(env, "chat", *(("--as", as_email) if as_email else ()), stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


def _tickets(env: dict[str, str]) -> list[dict]:
    return json.loads(_run(env, "tickets", "list", "--json").stdout)


def test_create_assign_and_close_a_ticket_in_the_terminal(env):
    out = _chat(
        env,
        "the printer on floor 3 is jammed again",
        "edit",  # walk the fields: keep the title, add a description, choose priority 3 (high), keep the board
        "",
        "paper stuck in tray 2",
        "3",
        "",
        "1",  # Create, with the values now shown
        "assign 1 to me",
        "/2",  # Status: choose 2 (In Progress)
        "2",
        "close 1 cleared the tray",
        "quit",
    )
    assert "New ticket" in out and "[1] Create  [2] Cancel  [3] Edit" in out
    assert "Created ticket #1." in out
    assert "Assigned #1 to Alice Admin." in out
    assert "Status set to In Progress." in out
    assert "Closed #1." in out

    tickets = _tickets(env)
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


def test_a_bare_number_presses_the_button_of_the_card_just_shown(env):
    out = _chat(env, "the scanner in room 12 is broken", "1", "assign 1 to me", "quit")
    assert "Created ticket #1." in out
    assert "Assigned #1 to Alice Admin." in out
    [ticket] = _tickets(env)
    assert ticket["title"] == "the scanner in room 12 is broken"
    assert ticket["description"] == ""  # Create did not walk the fields


def test_a_bare_number_with_no_buttons_showing_or_a_question_open_is_text(env):
    out = _chat(
        env,
        "the scanner in room 12 is broken",
        "cancel",  # the draft is dropped: the form with its buttons is no longer what is showing
        "new",
        "Laptop fan is loud",
        "it whirs all day",
        "2",  # the priority question (low, medium, high, critical): the second choice, answered as text
        "quit",
    )
    assert "There is no such button" not in out
    assert "Draft discarded" in out
    assert "Created ticket #1." in out
    [ticket] = _tickets(env)
    assert (ticket["title"], ticket["description"], ticket["priority"]) == (
        "Laptop fan is loud", "it whirs all day", "medium"
    )


def test_cancel_on_the_create_form_discards_it_at_once(env):
    out = _chat(env, "the scanner in room 12 is broken", "/2", "show 1", "quit")
    assert "Draft discarded" in out
    assert "Title [" not in out  # no field was asked
    assert "#1" in out and "Created ticket" not in out
    assert _tickets(env) == []


def test_cancel_at_a_field_prompt_cancels_the_edit_not_the_value(env):
    out = _chat(env, "the scanner in room 12 is broken", "edit", "cancel", "1", "quit")
    assert "Edit cancelled; the form is unchanged." in out
    assert "Created ticket #1." in out
    [ticket] = _tickets(env)
    assert ticket["title"] == "the scanner in room 12 is broken"


def test_edit_then_create_uses_the_edited_values(env):
    out = _chat(env, "scanner broken", "3", "Scanner in room 12 is broken", "", "critical", "", "1", "quit")
    assert "Edited. Press Create" in out
    [ticket] = _tickets(env)
    assert (ticket["title"], ticket["priority"]) == ("Scanner in room 12 is broken", "critical")


def test_a_trailing_backslash_continues_the_message(env):
    out = _chat(env, "Title: VPN drops\\", "Priority: p2\\", "Description: since Monday, every hour", "quit")
    assert out.count("Created ticket") == 1
    [ticket] = _tickets(env)
    assert (ticket["title"], ticket["priority"], ticket["description"]) == (
        "VPN drops", "high", "since Monday, every hour"
    )


def test_the_greeting_says_how_to_press_write_several_lines_and_quit(tmp_path):
    out = _chat(_env(tmp_path), "quit", as_email="")
    greeting = out.split("you> ")[0]
    assert "typing its number" in greeting
    assert "End a line with \\" in greeting
    assert "`quit`" in greeting


def test_a_dialog_left_open_is_recalled_on_start(env):
    _chat(env, "new", "quit")
    out = _chat(env, "Projector flickers", "skip", "3", "quit")
    greeting = out.split("you> ")[0]
    assert "You left off in the middle of the new ticket; next question:" in greeting
    assert "What is the problem, in one line?" in greeting
    [ticket] = _tickets(env)
    assert (ticket["title"], ticket["priority"]) == ("Projector flickers", "high")


def test_a_draft_left_open_is_recalled_on_start_and_created_by_yes(env):
    _chat(env, "the scanner in room 12 is broken", "quit")
    out = _chat(env, "yes", "quit")
    assert 'You have a draft waiting: "the scanner in room 12 is broken"' in out.split("you> ")[0]
    assert "Created ticket #1." in out
    assert len(_tickets(env)) == 1


def test_a_guest_is_told_what_they_may_not_do(tmp_path):
    env = _env(tmp_path)
    out = _chat(env, "Title: My mouse", "assign 1 to me", "follow", "hepl", as_email="")
    assert "Created ticket #1." in out
    assert "Only desk members can assign ticket #1." in out
    assert "Only admins can make a channel follow a board." in out
    assert "Did you mean `help`?" in out


def test_chat_as_an_unknown_email_fails_with_one_line(tmp_path):
    done = _run(_env(tmp_path), "chat", "--as", "ghost@example.com")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: No member matches 'ghost@example.com'."
