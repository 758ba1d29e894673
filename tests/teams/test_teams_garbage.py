"""A Teams turn leaves no reference cycles behind: what it built is freed as the turn ends, not by the garbage
collector's full collections, which paused every turn in flight for 10-50 ms under load while turns left about
100 objects each in cycles (botbuilder's send chain, a session kept in its own `info`, a recursive walk of the
forwards). A card press is checked with the card tests (`test_teams_cards.py`)."""

from __future__ import annotations

from tests.teams.helpers import left_in_cycles, variant


async def test_teams_turns_that_create_and_show_a_ticket_leave_nothing_in_cycles(teams):
    activity = teams.sample("message.personal.msteams-docs.json")
    # Once each first: what a statement's first run on a new engine compiles and caches is built once, not per turn.
    assert (await teams.post(variant(activity, id="first-create", text="Title: Printer 0 jams")))[0] == 200
    assert (await teams.post(variant(activity, id="first-show", text="show 1")))[0] == 200
    with left_in_cycles() as left:
        for n in range(1, 6):
            assert (await teams.post(variant(activity, id=f"create-{n}", text=f"Title: Printer {n} jams")))[0] == 200
            assert (await teams.post(variant(activity, id=f"show-{n}", text="show 1")))[0] == 200
    assert len(teams.connector.activities()) == 12
    assert left == []
