"""`/keys` and `/audit` through real HTTP, and the audit entries of CLI-free API writes."""

from __future__ import annotations


async def test_keys_are_shown_once_and_act_as_their_member(api):
    bob = next(m for m in (await api.ok("GET", "/members"))["items"] if m["name"] == "Bob Tech")
    created = await api.ok("POST", "/keys", 201, json={"name": "bob's laptop", "member_id": bob["id"]})
    assert created["secret"].startswith("tbk_") and created["admin"] is False
    shown = await api.ok("GET", f"/keys/{created['id']}")
    assert "secret" not in shown and shown["prefix"] == created["secret"][:12]
    assert all("secret" not in k for k in (await api.ok("GET", "/keys"))["items"])
    assert (await api.ok("GET", "/me", key=created["secret"]))["name"] == "Bob Tech"
    refused = await api.call("POST", "/keys", json={"member_id": bob["id"], "admin": True})
    assert refused.status == 400 and "not an admin" in refused.body["error"]
    assert (await api.call("POST", "/keys", json={"member_id": 999})).status == 404
    assert (await api.call("GET", "/keys/999")).status == 404
    assert (await api.call("DELETE", "/keys/999")).status == 404


async def test_audit_lists_every_write_with_who_and_where(api):
    await api.ok("POST", "/boards", 201, json={"name": "Network"})
    await api.ok("POST", "/tickets", 201, key=api.keys["member"], json={"title": "VPN"})
    assert (await api.call("POST", "/tickets", json={"title": ""})).status == 400
    entries = (await api.ok("GET", "/audit"))["items"]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("tickets.create", "Bob Tech"),
        ("boards.create", "Alice Admin"),
    ]
    assert entries[0]["source"].startswith("api key 2 from 127.0.0.1")
    assert entries[1]["detail"]["body"] == {"name": "Network"}
    only = await api.ok("GET", "/audit", params={"action": "boards.create", "limit": "1"})
    assert [e["action"] for e in only["items"]] == ["boards.create"] and only["next_cursor"] is None
    first = await api.ok("GET", "/audit", params={"limit": "1"})
    older = await api.ok("GET", "/audit", params={"limit": "1", "cursor": first["next_cursor"]})
    assert older["items"][0]["action"] == "boards.create"
    assert (await api.call("GET", "/audit", key=api.keys["member"])).status == 403
