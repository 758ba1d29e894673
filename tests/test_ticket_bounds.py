"""Crafted ticket numbers and search words: a number no ticket can have is "no such ticket", and search
matches its words literally (LIKE wildcards are plain characters), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.desk.errors import NotFound
from bot.desk.principal import CLI_ADMIN
from bot.facts import TICKET_NUMBER_MAX

HUGE = 10**5000  # past the 4,300 digits Python will turn into text


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (TICKET_NUMBER_MAX + 1, f"#{TICKET_NUMBER_MAX + 1}"),
        (2**63, f"#{2**63}"),
        (2**64 + 5, f"#{2**64 + 5}"),
        (HUGE, "a number of over 40 digits"),
        (0, "#0"),
        (-1, "#-1"),
    ],
    ids=["2^31", "2^63", "2^64", "5000-digits", "zero", "negative"],
)
async def test_out_of_range_numbers_are_not_found(services, number, shown):
    await services.tickets.create(CLI_ADMIN, title="The only ticket")
    with pytest.raises(NotFound) as caught:
        await services.tickets.get(number)
    assert "There is no ticket" in str(caught.value) and shown in str(caught.value)
    with pytest.raises(NotFound):
        await services.tickets.close(CLI_ADMIN, number, "gone")
    with pytest.raises(NotFound):
        await services.tickets.add_note(CLI_ADMIN, number, "hello")
    assert (await services.tickets.get(1)).status.name == "New"


async def test_the_largest_number_is_an_ordinary_miss(services):
    with pytest.raises(NotFound, match=f"There is no ticket #{TICKET_NUMBER_MAX}."):
        await services.tickets.get(TICKET_NUMBER_MAX)


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("100%", ["Disk 100% full"]),
        ("%", ["Disk 100% full"]),
        ("_", ["snake_case name"]),
        ("e_c", ["snake_case name"]),
        ("\\", ["back\\slash"]),
        ("%%%", []),
        ("1000", ["1000 printers"]),
    ],
)
async def test_search_matches_words_literally(services, words, found):
    for title in ("1000 printers", "Disk 100% full", "snake_case name", "back\\slash", "Plain"):
        await services.tickets.create(CLI_ADMIN, title=title)
    assert [t.title for t in await services.tickets.list(words=words)] == found


def test_the_cli_search_is_literal(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "ticketbot")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "WEBEX_", "TEAMS_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str) -> str:
        done = subprocess.run([script, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("tickets", "create", "1000 printers")
    run("tickets", "create", "Disk 100% full")
    listed = json.loads(run("tickets", "list", "--search", "100%", "--json"))
    assert [t["title"] for t in listed] == ["Disk 100% full"]
