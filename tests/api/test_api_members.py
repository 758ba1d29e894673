"""`/members` and `/members/{id}/identities` through real HTTP."""

from __future__ import annotations


async def test_members_crud_and_identities(api):
    carol = await api.ok("POST", "/members", 201, json={
        "name": "Carol", "email": "Carol@Example.com", "preferred_platform": "slack",
    })
    assert (carol["email"], carol["admin"], carol["preferred_platform"]) == ("carol@example.com", False, "slack")
    c = carol["id"]
    identity = await api.ok("POST", f"/members/{c}/identities", 201, json={"platform": "slack", "user_id": "U1"})
    assert (identity["platform"], identity["user_id"]) == ("slack", "U1")
    other = await api.call("POST", f"/members/{c}/identities", json={"platform": "slack", "user_id": "U2"})
    assert other.status == 409
    listed = await api.ok("GET", f"/members/{c}/identities")
    assert [i["user_id"] for i in listed["items"]] == ["U1"]

    promoted = await api.ok("PATCH", f"/members/{c}", json={"admin": True, "name": "Carol C"})
    assert (promoted["admin"], promoted["name"]) == (True, "Carol C")
    clash = await api.call("PATCH", f"/members/{c}", json={"email": "alice@example.com"})
    assert clash.status == 409
    assert (await api.call("POST", "/members", json={"name": "Dup", "email": "carol@example.com"})).status == 409
    bad = await api.call("POST", "/members", json={"name": "Eve", "preferred_platform": "myspace"})
    assert bad.status == 400 and bad.body["field"] == "preferred_platform"
    assert (await api.call("POST", "/members", json={"name": "Eve", "email": "nope"})).status == 400

    await api.ok("DELETE", f"/members/{c}/identities/{identity['id']}", 204)
    assert (await api.ok("GET", f"/members/{c}"))["identities"] == []
    assert (await api.call("DELETE", f"/members/{c}/identities/{identity['id']}")).status == 404
    page = await api.ok("GET", "/members", params={"limit": "2"})
    assert [m["name"] for m in page["items"]] == ["Alice Admin", "Bob Tech"] and page["next_cursor"]
    await api.ok("DELETE", f"/members/{c}", 204)
    assert (await api.call("GET", f"/members/{c}")).status == 404
    assert (await api.call("DELETE", f"/members/{c}")).status == 404
