"""Keys on every route: missing, malformed, unknown and revoked keys get 401; a member key gets 403 on admin routes."""

from __future__ import annotations

import pytest

from bot.api.app import ROUTES


async def test_me_names_the_keys_owner(api):
    me = await api.ok("GET", "/me")
    assert (me["name"], me["admin"], me["member"]["email"]) == ("Alice Admin", True, "alice@example.com")
    assert me["key"]["name"] == "alice's script" and "secret" not in me["key"]
    member = await api.ok("GET", "/me", key=api.keys["member"])
    assert (member["name"], member["admin"], member["key"]["name"]) == ("Bob Tech", False, "bob@example.com")
    service = await api.ok("GET", "/me", key=api.keys["service"])
    assert (service["name"], service["admin"], service["member"]) == ("key nightly export", True, None)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Bearer tbk_unknown", "Bearer not-a-key", "tbk_x"],
)
async def test_missing_or_wrong_keys_get_401(api, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = await api.call("GET", "/me", key=None, headers=headers)
    assert answer.status == 401
    assert "API key" in answer.body["error"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


async def test_every_route_refuses_a_missing_key_before_anything_else(api):
    for route in ROUTES:
        path = route.path.replace("{", "").replace("}", "")
        for name in route.path_ids:
            path = path.replace(name, "1")
        answer = await api.call(route.method, path, key=None, json={})
        assert answer.status == 401, (route.method, route.path, answer.body)


async def test_a_revoked_key_stops_working_at_once(api):
    created = await api.ok("POST", "/keys", 201, json={"name": "temp", "member_id": 1})
    assert (await api.call("GET", "/me", key=created["secret"])).status == 200
    await api.ok("DELETE", f"/keys/{created['id']}", 204)
    assert (await api.call("GET", "/me", key=created["secret"])).status == 401
    keys = await api.ok("GET", "/keys")
    assert next(k for k in keys["items"] if k["id"] == created["id"])["revoked_at"] is not None


async def test_a_key_cannot_revoke_itself(api):
    me = await api.ok("GET", "/me")
    answer = await api.call("DELETE", f"/keys/{me['key']['id']}")
    assert answer.status == 409
    assert (await api.call("GET", "/me")).status == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/keys", None),
        ("POST", "/keys", {"name": "x"}),
        ("GET", "/audit", None),
        ("POST", "/boards", {"name": "Network"}),
        ("PATCH", "/boards/1", {"name": "Renamed"}),
        ("DELETE", "/boards/1", None),
        ("POST", "/members", {"name": "Eve"}),
        ("DELETE", "/members/1", None),
        ("POST", "/categories", {"path": "Hardware"}),
    ],
)
async def test_a_member_key_on_an_admin_route_gets_403_and_changes_nothing(api, method, path, body):
    answer = await api.call(method, path, key=api.keys["member"], json=body)
    assert answer.status == 403
    assert answer.body["error"].startswith("Only admins can")
    boards = await api.ok("GET", "/boards")
    assert [b["name"] for b in boards["items"]] == ["Service Desk"]
    assert len((await api.ok("GET", "/members"))["items"]) == 2


async def test_an_admin_key_of_a_demoted_member_loses_admin_rights(api):
    alice = (await api.ok("GET", "/me"))["member"]
    await api.ok("PATCH", f"/members/{alice['id']}", key=api.keys["service"], json={"admin": False})
    assert (await api.call("GET", "/keys")).status == 403
    assert (await api.ok("GET", "/me"))["admin"] is False


async def test_member_keys_work_tickets_but_read_only_boards(api):
    ticket = await api.ok("POST", "/tickets", 201, key=api.keys["member"], json={"title": "VPN drops"})
    assert ticket["requester"]["name"] == "Bob Tech"
    assert (await api.call("GET", "/boards", key=api.keys["member"])).status == 200
