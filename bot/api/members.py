"""`/members` and their `/identities`: anyone with a key reads them, admins change them."""

from __future__ import annotations

from bot.api.paging import page_by_id
from bot.api.routing import Call, Route
from bot.api.schemas import IdentityCreate, IdentityOut, MemberCreate, MemberOut, MemberUpdate, Page, PageQuery
from bot.desk.errors import Invalid


async def list_members(call: Call[None, PageQuery]) -> Page[MemberOut]:
    """A page of members, with identities."""
    return page_by_id(await call.desk.members.list(), call.query, MemberOut.of)


async def get_member(call: Call) -> MemberOut:
    """One member."""
    return MemberOut.of(await call.desk.members.get(call.ids["member_id"]))


async def create_member(call: Call[MemberCreate, None]) -> MemberOut:
    """Add a member."""
    b = call.body
    member = await call.desk.members.add(
        b.name, b.email, is_admin=b.admin, preferred_platform=b.preferred_platform
    )
    return MemberOut.of(await call.desk.members.get(member.id))


async def update_member(call: Call[MemberUpdate, None]) -> MemberOut:
    """Change a member."""
    b = call.body
    member = await call.desk.members.update(
        call.ids["member_id"], name=b.name, email=b.email, is_admin=b.admin, preferred_platform=b.preferred_platform
    )
    return MemberOut.of(member)


async def delete_member(call: Call) -> None:
    """Remove a member (their identities stay, unlinked; their keys go)."""
    await call.desk.members.delete(call.ids["member_id"])


async def list_identities(call: Call) -> Page[IdentityOut]:
    """The member's identities (one per platform, so one page)."""
    member = await call.desk.members.get(call.ids["member_id"])
    return Page[IdentityOut](items=[IdentityOut.of(i) for i in member.identities])


async def link_identity(call: Call[IdentityCreate, None]) -> IdentityOut:
    """Link a platform identity to the member (it needs an email)."""
    member = await call.desk.members.get(call.ids["member_id"])
    if not member.email:
        raise Invalid(f"{member.name} has no email; give them one first.")
    b = call.body
    return IdentityOut.of(await call.desk.members.link(member.email, b.platform, b.user_id, name=b.name))


async def unlink_identity(call: Call) -> None:
    """Detach a platform identity from the member."""
    await call.desk.members.unlink(call.ids["member_id"], call.ids["identity_id"])


M = "/members/{member_id}"
ROUTES = (
    Route("GET", "/members", "members.list", "List members", list_members, Page[MemberOut], query=PageQuery),
    Route("POST", "/members", "members.create", "Add a member", create_member, MemberOut, MemberCreate,
          status=201, admin=True, errors=(409,)),
    Route("GET", M, "members.get", "Show a member", get_member, MemberOut),
    Route("PATCH", M, "members.update", "Change a member", update_member, MemberOut, MemberUpdate, admin=True,
          errors=(409,)),
    Route("DELETE", M, "members.delete", "Remove a member", delete_member, status=204, admin=True),
    Route("GET", M + "/identities", "identities.list", "List a member's identities", list_identities,
          Page[IdentityOut]),
    Route("POST", M + "/identities", "identities.create", "Link an identity", link_identity, IdentityOut,
          IdentityCreate, status=201, admin=True, errors=(409,)),
    Route("DELETE", M + "/identities/{identity_id}", "identities.delete", "Unlink an identity", unlink_identity,
          status=204, admin=True),
)
