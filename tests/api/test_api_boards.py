"""`/boards`, `/boards/{id}/statuses` and `/categories` through real HTTP."""

from __future__ import annotations


async def test_boards_crud(api):
    board = await api.ok("POST", "/boards", 201, json={
        "name": "Network", "statuses": ["Open", "Done"], "closed": ["Done"], "default_priority": "high",
    })
    assert [(s["name"], s["closed"]) for s in board["statuses"]] == [("Open", False), ("Done", True)]
    assert (await api.ok("GET", f"/boards/{board['id']}"))["default_priority"] == "high"
    renamed = await api.ok("PATCH", f"/boards/{board['id']}", json={"name": "Networks", "keywords": ["VPN"]})
    assert (renamed["name"], renamed["keywords"]) == ("Networks", ["vpn"])
    page = await api.ok("GET", "/boards", params={"limit": "1"})
    assert [b["name"] for b in page["items"]] == ["Service Desk"]
    rest = await api.ok("GET", "/boards", params={"cursor": page["next_cursor"]})
    assert [b["name"] for b in rest["items"]] == ["Networks"] and rest["next_cursor"] is None

    clash = await api.call("POST", "/boards", json={"name": "networks"})
    assert clash.status == 409
    bad = await api.call("POST", "/boards", json={"name": "X", "statuses": ["Only"], "closed": []})
    assert bad.status == 400 and "open and one closed" in bad.body["error"]

    await api.ok("POST", "/tickets", 201, json={"title": "Switch down", "board": "Networks"})
    busy = await api.call("DELETE", f"/boards/{board['id']}")
    assert busy.status == 409 and "still has tickets" in busy.body["error"]
    empty = await api.ok("POST", "/boards", 201, json={"name": "Empty"})
    await api.ok("DELETE", f"/boards/{empty['id']}", 204)
    assert (await api.call("GET", f"/boards/{empty['id']}")).status == 404


async def test_statuses(api):
    board = await api.ok("POST", "/boards", 201, json={"name": "Net", "statuses": ["Open", "Done"], "closed": ["Done"]})
    b = board["id"]
    waiting = await api.ok("POST", f"/boards/{b}/statuses", 201, json={"name": "Waiting", "position": 1})
    names = [s["name"] for s in (await api.ok("GET", f"/boards/{b}/statuses"))["items"]]
    assert names == ["Open", "Waiting", "Done"]
    renamed = await api.ok("PATCH", f"/boards/{b}/statuses/{waiting['id']}", json={"name": "On hold"})
    assert renamed["name"] == "On hold"
    done = next(s for s in board["statuses"] if s["name"] == "Done")
    last_closed = await api.call("PATCH", f"/boards/{b}/statuses/{done['id']}", json={"closed": False})
    assert last_closed.status == 400
    assert (await api.call("POST", f"/boards/{b}/statuses", json={"name": "open"})).status == 409
    await api.ok("POST", "/tickets", 201, json={"title": "x", "board": "Net"})
    opened = next(s for s in board["statuses"] if s["name"] == "Open")
    assert (await api.call("DELETE", f"/boards/{b}/statuses/{opened['id']}")).status == 409
    await api.ok("DELETE", f"/boards/{b}/statuses/{waiting['id']}", 204)
    assert [s["name"] for s in (await api.ok("GET", f"/boards/{b}"))["statuses"]] == ["Open", "Done"]
    assert (await api.call("DELETE", f"/boards/{b}/statuses/{waiting['id']}")).status == 404
    assert (await api.call("GET", "/boards/999/statuses")).status == 404


async def test_categories(api):
    printers = await api.ok("POST", "/categories", 201, json={"path": "Hardware/Printers", "board_id": 1})
    categories = (await api.ok("GET", "/categories", params={"board_id": "1"}))["items"]
    hardware = next(c for c in categories if c["name"] == "Hardware")
    assert printers["parent_id"] == hardware["id"] and printers["board_id"] == 1
    ticket = await api.ok("POST", "/tickets", 201, json={"title": "Jam", "category": "hardware/printers"})
    assert ticket["category"] == "Printers"
    assert (await api.ok("GET", f"/categories/{printers['id']}"))["name"] == "Printers"
    await api.ok("DELETE", f"/categories/{hardware['id']}", 204)
    assert (await api.ok("GET", "/categories"))["items"] == []
    assert (await api.ok("GET", "/tickets/1"))["category"] is None
    assert (await api.call("POST", "/categories", json={"path": "X", "board_id": 99})).status == 404
    assert (await api.call("POST", "/categories", json={"path": " / "})).status == 400
