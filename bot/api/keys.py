"""`/me`, `/keys` and `/audit`: who the caller is, the API keys (admins), the audit log (admins)."""

from __future__ import annotations

from bot.api.paging import page_by_id
from bot.api.routing import Call, Route
from bot.api.schemas import AuditOut, AuditQuery, KeyCreate, KeyCreated, KeyOut, Me, MemberOut, Page, PageQuery
from bot.desk.errors import Conflict


async def me(call: Call) -> Me:
    """The calling key and the member it acts as."""
    key, principal = call.caller.key, call.caller.principal
    member = await call.desk.members.get(key.member_id) if key.member_id else None
    return Me(
        name=principal.name,
        admin=principal.is_admin,
        member=MemberOut.of(member) if member else None,
        key=KeyOut.of(key),
    )


async def list_keys(call: Call[None, PageQuery]) -> Page[KeyOut]:
    """A page of keys, revoked ones too."""
    return page_by_id(await call.desk.keys.list(), call.query, KeyOut.of)


async def get_key(call: Call) -> KeyOut:
    """One key's public facts."""
    return KeyOut.of(await call.desk.keys.get(call.ids["key_id"]))


async def create_key(call: Call[KeyCreate, None]) -> KeyCreated:
    """Make a key; its secret is in this answer only."""
    member = await call.desk.members.get(call.body.member_id) if call.body.member_id else None
    new = await call.desk.keys.create(call.body.name, member=member, admin=call.body.admin)
    return KeyCreated(**KeyOut.of(new.row).model_dump(), secret=new.secret)


async def revoke_key(call: Call) -> None:
    """Revoke a key at once (not the one making this call: that would lock the caller out mid-request)."""
    key_id = call.ids["key_id"]
    if key_id == call.caller.key.id:
        raise Conflict("This is the key you are calling with; revoke it with another key or `ticketbot keys revoke`.")
    await call.desk.keys.get(key_id)
    await call.desk.keys.revoke(str(key_id))


async def audit(call: Call[None, AuditQuery]) -> Page[AuditOut]:
    """The audit log, newest first."""
    q = call.query
    rows = await call.desk.audit.list(limit=q.limit + 1, before=int(q.cursor) if q.cursor else None, action=q.action)
    items = rows[: q.limit]
    return Page[AuditOut](
        items=[AuditOut.of(r) for r in items], next_cursor=str(items[-1].id) if len(rows) > q.limit else None
    )


K = "/keys/{key_id}"
ROUTES = (
    Route("GET", "/me", "me", "Show who the key acts as", me, Me),
    Route("GET", "/keys", "keys.list", "List API keys", list_keys, Page[KeyOut], query=PageQuery, admin=True),
    Route("POST", "/keys", "keys.create", "Create an API key", create_key, KeyCreated, KeyCreate, status=201,
          admin=True, errors=(404,)),
    Route("GET", K, "keys.get", "Show an API key", get_key, KeyOut, admin=True),
    Route("DELETE", K, "keys.revoke", "Revoke an API key", revoke_key, status=204, admin=True, errors=(409,)),
    Route("GET", "/audit", "audit.list", "List the audit log", audit, Page[AuditOut], query=AuditQuery, admin=True),
)
