"""`/tickets` through real HTTP, on SQLite and PostgreSQL: create, filters and paging, update with the version,
assign, notes, timeline, close, reopen, and the errors (400 naming the field, 404, 409)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEntry, Ticket


async def test_ticket_lifecycle(api_both):
    api = api_both
    created = await api.ok("POST", "/tickets", 201, json={"title": "Printer jammed", "priority": "p2"})
    assert (created["number"], created["status"], created["priority"], created["version"]) == (1, "New", "high", 1)
    assert created["requester"]["name"] == "Alice Admin"
    n = created["number"]

    updated = await api.ok("PATCH", f"/tickets/{n}", json={"version": 1, "status": "In Progress", "title": "Printer"})
    assert (updated["status"], updated["title"], updated["version"]) == ("In Progress", "Printer", 2)

    bob = next(m for m in (await api.ok("GET", "/members"))["items"] if m["name"] == "Bob Tech")
    assigned = await api.ok("POST", f"/tickets/{n}/assign", json={"members": [bob["id"]], "version": 2})
    assert [a["name"] for a in assigned["assignees"]] == ["Bob Tech"]

    noted = await api.ok("POST", f"/tickets/{n}/notes", 201, json={"text": "Toner replaced", "internal": True})
    assert noted["note"]["internal"] is True and noted["ticket"]["version"] == 4

    closed = await api.ok("POST", f"/tickets/{n}/close", json={"reason": "fixed"})
    assert (closed["status"], closed["closed"]) == ("Closed", True)
    reopened = await api.ok("POST", f"/tickets/{n}/reopen")
    assert (reopened["status"], reopened["closed"]) == ("New", False)
    unassigned = await api.ok("POST", f"/tickets/{n}/unassign", json={"members": [bob["id"]]})
    assert unassigned["assignees"] == []

    notes = await api.ok("GET", f"/tickets/{n}/notes")
    assert [x["text"] for x in notes["items"]] == ["Toner replaced", "fixed"]
    timeline = await api.ok("GET", f"/tickets/{n}/timeline")
    actions = [e["action"] for e in timeline["items"]]
    assert actions == ["created", "updated", "assigned", "note", "closed", "reopened", "unassigned"]
    detail = await api.ok("GET", f"/tickets/{n}")
    assert detail["version"] == 7 and len(detail["notes"]) == 2 and len(detail["history"]) == 7

    async with api.services.db.sessions() as session:
        audited = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert audited == [
        "tickets.create", "tickets.update", "tickets.assign", "tickets.note", "tickets.close", "tickets.reopen",
        "tickets.unassign",
    ]


async def test_a_stale_version_gets_409_and_changes_nothing(api_both):
    api = api_both
    await api.ok("POST", "/tickets", 201, json={"title": "Race"})
    await api.ok("PATCH", "/tickets/1", json={"version": 1, "priority": "high"})
    stale = await api.call("PATCH", "/tickets/1", json={"version": 1, "title": "Other"})
    assert stale.status == 409 and "changed since you saw it" in stale.body["error"]
    stale_close = await api.call("POST", "/tickets/1/close", json={"version": 1})
    assert stale_close.status == 409
    ticket = await api.ok("GET", "/tickets/1")
    assert (ticket["title"], ticket["status"], ticket["version"]) == ("Race", "New", 2)


async def test_filters_and_paging(api):
    bob = next(m for m in (await api.ok("GET", "/members"))["items"] if m["name"] == "Bob Tech")
    for i in range(5):
        await api.ok("POST", "/tickets", 201, json={"title": f"printer {i}" if i % 2 else f"laptop {i}"})
    await api.ok("POST", "/tickets", 201, key=api.keys["member"], json={"title": "Bob's monitor"})
    await api.ok("POST", "/tickets/2/assign", json={"members": [bob["id"]]})
    await api.ok("POST", "/tickets/4/close")

    first = await api.ok("GET", "/tickets", params={"limit": "4"})
    assert [t["number"] for t in first["items"]] == [6, 5, 4, 3]
    second = await api.ok("GET", "/tickets", params={"limit": "4", "cursor": first["next_cursor"]})
    assert [t["number"] for t in second["items"]] == [2, 1] and second["next_cursor"] is None

    def numbers(page):
        return [t["number"] for t in page["items"]]

    assert numbers(await api.ok("GET", "/tickets", params={"q": "printer"})) == [4, 2]
    assert numbers(await api.ok("GET", "/tickets", params={"assignee": str(bob["id"])})) == [2]
    assert numbers(await api.ok("GET", "/tickets", params={"requester": str(bob["id"])})) == [6]
    assert numbers(await api.ok("GET", "/tickets", params={"status": "closed"})) == [4]
    assert 4 not in numbers(await api.ok("GET", "/tickets", params={"open": "true"}))
    assert numbers(await api.ok("GET", "/tickets", params={"board": "service desk", "limit": "1"})) == [6]
    assert numbers(await api.ok("GET", "/tickets", params={"board": "nope"})) == []


async def test_bad_input_gets_400_naming_the_field_and_changes_nothing(api):
    cases = [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "bogus": 1}, "bogus"),
        ({"title": 5}, "title"),
        ({"title": "nul\u0000byte"}, "title"),
        ({"title": "ok", "requester": 0}, "requester"),
        ({}, "title"),
    ]
    for body, field in cases:
        answer = await api.call("POST", "/tickets", json=body)
        assert answer.status == 400, body
        assert answer.body["field"] == field and answer.body["error"].startswith(field)
    assert (await api.call("POST", "/tickets", data=b"{not json")).status == 400
    assert (await api.call("POST", "/tickets", json=[1, 2])).status == 400
    priority = await api.call("POST", "/tickets", json={"title": "ok", "priority": "whenever"})
    assert priority.status == 400 and "not a priority" in priority.body["error"]
    limit = await api.call("GET", "/tickets", params={"limit": "0"})
    assert limit.status == 400 and limit.body["field"] == "limit"
    cursor = await api.call("GET", "/tickets", params={"cursor": "abc"})
    assert cursor.status == 400 and cursor.body["field"] == "cursor"
    assert (await api.call("PATCH", "/tickets/1", json={"title": "no version"})).status in (400, 404)
    assert (await api.ok("GET", "/tickets"))["items"] == []
    async with api.services.db.sessions() as session:
        assert (await session.scalars(select(Ticket))).all() == []


async def test_unknown_tickets_and_members_get_404(api):
    assert (await api.call("GET", "/tickets/99")).status == 404
    assert (await api.call("GET", "/tickets/abc")).status == 404
    assert (await api.call("GET", "/tickets/99999999999")).status == 404
    assert (await api.call("PATCH", "/tickets/99", json={"version": 1, "title": "x"})).status == 404
    await api.ok("POST", "/tickets", 201, json={"title": "Seed"})
    missing = await api.call("POST", "/tickets/1/assign", json={"members": [999]})
    assert missing.status == 404 and "member 999" in missing.body["error"]
    board = await api.call("POST", "/tickets", json={"title": "x", "board": "Nope"})
    assert board.status == 404
