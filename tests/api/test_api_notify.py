"""`/recipients`, `/rules`, `/forwards`, `/outbox` and `/deliveries` through real HTTP, and a ticket created
through the API notifying exactly as one created in chat."""

from __future__ import annotations

from sqlalchemy import select, update

from storage.models import Delivery
from tests.chat_helpers import Chat, button_data, buttons, texts


async def _room(api, conversation: str, name: str) -> dict:
    return await api.ok("POST", "/recipients", 201, json={"platform": "slack", "conversation": conversation,
                                                         "name": name})


async def _deliveries(api, ticket_number: int) -> list[tuple[int | None, str]]:
    ticket = await api.services.tickets.get(ticket_number)
    async with api.services.db.sessions() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.ticket_id == ticket.id))).all()
    return sorted((d.recipient_id, d.platform) for d in rows)


async def test_recipients(api):
    room = await _room(api, "C01", "Ops room")
    assert room == {"id": room["id"], "name": "Ops room", "kind": "room", "platform": "slack", "conversation": "C01",
                    "member_id": None}
    assert await api.ok("GET", f"/recipients/{room['id']}") == room
    second = await _room(api, "C02", "Desk room")
    page = await api.ok("GET", "/recipients", params={"limit": "1"})
    assert page["items"] == [room]
    assert (await api.ok("GET", "/recipients", params={"cursor": page["next_cursor"]}))["items"] == [second]

    again = await api.call("POST", "/recipients", json={"platform": "slack", "conversation": "C01", "name": "x"})
    assert again.status == 409 and "recipient already" in again.body["error"]
    bad = await api.call("POST", "/recipients", json={"platform": "fax", "conversation": "C9", "name": "x"})
    assert bad.status == 400 and bad.body["field"] == "platform"
    assert (await api.call("GET", "/recipients/999")).status == 404
    assert len((await api.ok("GET", "/recipients"))["items"]) == 2


async def test_rules(api):
    room = await _room(api, "C01", "Ops room")
    rule = await api.ok("POST", "/rules", 201, json={"board": "service desk", "recipient_id": room["id"],
                                                     "min_priority": "high", "on_update": True})
    assert (rule["board"], rule["recipient"], rule["enabled"]) == ("Service Desk", "Ops room", True)
    assert (rule["priorities"], rule["events"]) == (["high", "critical"], ["created", "updated"])
    off = await api.ok("PATCH", f"/rules/{rule['id']}", json={"enabled": False})
    assert off == {**rule, "enabled": False}
    assert (await api.ok("GET", "/rules"))["items"] == [off]

    twice = await api.call("POST", "/rules", json={"board": "Service Desk", "recipient_id": room["id"]})
    assert twice.status == 409
    priority = await api.call("POST", "/rules", json={"board": "Service Desk", "recipient_id": room["id"],
                                                      "min_priority": "whenever"})
    assert priority.status == 400 and priority.body["field"] == "min_priority"
    assert (await api.call("POST", "/rules", json={"board": "Nowhere", "recipient_id": room["id"]})).status == 404
    assert (await api.call("POST", "/rules", json={"board": "Service Desk", "recipient_id": 999})).status == 404
    missing = await api.call("PATCH", f"/rules/{rule['id']}", json={})
    assert missing.status == 400 and missing.body["field"] == "enabled"
    await api.ok("DELETE", f"/rules/{rule['id']}", 204)
    assert (await api.call("GET", f"/rules/{rule['id']}")).status == 404
    assert (await api.call("DELETE", f"/rules/{rule['id']}")).status == 404


async def test_forwards(api):
    a, b, c = [(await _room(api, f"C0{n}", f"Room {n}"))["id"] for n in (1, 2, 3)]
    ab = await api.ok("POST", "/forwards", 201, json={"from": a, "to": b, "start": "2026-03-01T09:00",
                                                      "keep_copy": True})
    assert ab == {"id": ab["id"], "from": a, "to": b, "keep_copy": True, "enabled": True,
                  "start": ab["start"], "end": None}
    assert ab["start"].startswith("2026-03-01T09:00")
    bc = await api.ok("POST", "/forwards", 201, json={"from": b, "to": c})

    cycle = await api.call("POST", "/forwards", json={"from": c, "to": a})
    assert cycle.status == 409 and "cycle" in cycle.body["error"]
    itself = await api.call("POST", "/forwards", json={"from": a, "to": a})
    assert itself.status == 400 and itself.body["field"] == "to"
    backwards = await api.call("POST", "/forwards", json={"from": a, "to": c, "start": "2026-03-02",
                                                          "end": "2026-03-01"})
    assert backwards.status == 400 and backwards.body["field"] == "end"
    unnamed = await api.call("POST", "/forwards", json={"source": a, "to": c})
    assert unnamed.status == 400 and unnamed.body["field"] in ("from", "source")
    assert (await api.call("POST", "/forwards", json={"from": a, "to": 999})).status == 404
    assert [f["id"] for f in (await api.ok("GET", "/forwards"))["items"]] == [ab["id"], bc["id"]]

    await api.ok("DELETE", f"/forwards/{bc['id']}", 204)
    assert (await api.call("GET", f"/forwards/{bc['id']}")).status == 404
    assert (await api.ok("POST", "/forwards", 201, json={"from": c, "to": a}))["from"] == c


async def test_deliveries_and_retrying_the_dead(api):
    room = await _room(api, "C01", "Ops room")
    await api.ok("POST", "/rules", 201, json={"board": "Service Desk", "recipient_id": room["id"]})
    for title in ("Printer jammed", "VPN down", "Mouse broken"):
        await api.ok("POST", "/tickets", 201, json={"title": title})
    ids = [d["id"] for d in (await api.ok("GET", "/deliveries"))["items"] if d["recipient_id"] == room["id"]]
    assert len(ids) == 3
    async with api.services.db.transaction() as session:
        await session.execute(update(Delivery).where(Delivery.id.in_(ids[:2]))
                              .values(state="dead", last_error="403 not_in_channel"))

    dead = await api.ok("GET", "/deliveries", params={"state": "dead", "limit": "1"})
    assert [(d["id"], d["error"]) for d in dead["items"]] == [(ids[0], "403 not_in_channel")]
    rest = await api.ok("GET", "/deliveries", params={"state": "dead", "cursor": dead["next_cursor"]})
    assert [d["id"] for d in rest["items"]] == [ids[1]] and rest["next_cursor"] is None
    status = await api.ok("GET", "/outbox")
    assert status["counts"]["dead"] == 2 and [d["id"] for d in status["dead"]] == ids[:2]
    bad_state = await api.call("GET", "/deliveries", params={"state": "lost"})
    assert bad_state.status == 400 and bad_state.body["field"] == "state"

    one = await api.ok("POST", f"/deliveries/{ids[0]}/retry")
    assert (one["id"], one["state"], one["attempts"]) == (ids[0], "pending", 0)
    not_dead = await api.call("POST", f"/deliveries/{ids[0]}/retry")
    assert not_dead.status == 400 and "not dead" in not_dead.body["error"]
    assert (await api.call("POST", "/deliveries/99999/retry")).status == 404
    assert (await api.call("GET", "/deliveries/99999")).status == 404
    assert await api.ok("POST", "/deliveries/retry") == {"revived": 1}
    assert (await api.ok("GET", f"/deliveries/{ids[1]}"))["state"] != "dead"
    assert await api.ok("POST", "/deliveries/retry") == {"revived": 0}


async def test_notification_routes_need_an_admin_key(api):
    for method, path in (("GET", "/recipients"), ("POST", "/rules"), ("GET", "/forwards"), ("GET", "/outbox"),
                         ("GET", "/deliveries"), ("POST", "/deliveries/retry")):
        assert (await api.call(method, path, key=api.keys["member"], json={})).status == 403, path
        assert (await api.call(method, path, key=None)).status == 401, path
    assert (await api.ok("GET", "/recipients"))["items"] == []


async def test_writes_are_audited(api):
    room = await _room(api, "C01", "Ops room")
    entries = (await api.ok("GET", "/audit", params={"action": "recipients.create"}))["items"]
    assert [e["detail"]["body"]["conversation"] for e in entries] == ["C01"]
    await api.ok("POST", "/forwards", 201, json={"from": room["id"], "to": (await _room(api, "C02", "B"))["id"]})
    forward = (await api.ok("GET", "/audit", params={"action": "forwards.create"}))["items"]
    assert len(forward) == 1


async def test_a_ticket_created_through_the_api_notifies_as_one_created_in_chat(api_both):
    api = api_both
    room = await _room(api, "C01", "Ops room")
    await api.ok("POST", "/rules", 201, json={"board": "Service Desk", "recipient_id": room["id"]})

    through_api = await api.ok("POST", "/tickets", 201, json={"title": "Printer jammed"})
    carol = Chat(api.services, name="Carol")
    confirm = await carol.say("new printer jam on floor 2")
    create = buttons(confirm)[0]
    reply = await carol.press(create, **button_data(confirm, create))
    chat_tickets = [t for t in await api.services.tickets.list() if t.number != through_api["number"]]
    assert len(chat_tickets) == 1, texts(reply)

    from_api = await _deliveries(api, through_api["number"])
    from_chat = await _deliveries(api, chat_tickets[0].number)
    assert (room["id"], "slack") in from_api
    assert from_api == from_chat
