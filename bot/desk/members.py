"""Members and their platform identities: adding, linking by email, looking up by identity, email or name."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import FromClause, Join, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk.errors import Conflict, Invalid, NotFound
from bot.desk.principal import Principal
from bot.facts import PLATFORMS
from bot.seam import Actor
from storage.db import Database, first_row
from storage.models import Identity, Member, table_of


def _email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise Invalid(f"'{email}' is not an email address.")
    return email


_I, _M = table_of(Identity).c, table_of(Member).c
SPEAKER = "members.speaker"
"""The lookup of a speaker's identity and member, by (platform, user id): `bot.chat.opening` reads it ahead."""
SPEAKER_COLUMNS = (_I.id, _I.name, _I.email, _I.member_id, _M.name.label("member_name"), _M.is_admin)
_SPEAKER_MATCH = and_(_I.platform == bindparam("platform"), _I.user_id == bindparam("user_id"))
_ITS_MEMBER = _M.id == _I.member_id


def speaker_joined(onto: FromClause) -> Join:
    """`onto` LEFT JOIN the identity `SPEAKER` looks up and its member (binds `platform`, `user_id`)."""
    return onto.outerjoin(table_of(Identity), _SPEAKER_MATCH).outerjoin(table_of(Member), _ITS_MEMBER)


_SPEAKER = (
    select(*SPEAKER_COLUMNS)
    .select_from(table_of(Identity).outerjoin(table_of(Member), _ITS_MEMBER))
    .where(_SPEAKER_MATCH)
)
"""Built once, and the tables' columns rather than objects: every turn reads its speaker."""
_MEMBER_WITH_EMAIL = select(_M.id).where(_M.email == bindparam("email"))
"""Built once: every turn of a guest with an email asks whether a member has that email now."""


class MemberService:
    """Reads and changes members and identities."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, name: str, email: str | None = None, *, is_admin: bool = False, preferred_platform: str | None = None
    ) -> Member:
        """Add a member. The email, when given, is unique."""
        name = " ".join(name.split())
        if not name:
            raise Invalid("A member needs a name.")
        if preferred_platform is not None and preferred_platform not in PLATFORMS:
            raise Invalid(f"'{preferred_platform}' is not a platform. Use one of: {', '.join(PLATFORMS)}.")
        member = Member(name=name, email=_email(email), is_admin=is_admin, preferred_platform=preferred_platform)
        try:
            async with self.db.transaction() as session:
                session.add(member)
                await session.flush()
                if member.email:
                    await self._adopt_identities(session, member)
        except IntegrityError as exc:
            raise Conflict(f"A member with the email {member.email} exists already.") from exc
        return member

    @staticmethod
    async def _adopt_identities(session, member: Member) -> None:
        """Link the unlinked identities that carry the new member's email (one per platform)."""
        orphans = await session.scalars(
            select(Identity).where(Identity.member_id.is_(None), func.lower(Identity.email) == member.email)
        )
        taken: set[str] = set()
        for identity in orphans.all():
            if identity.platform not in taken:
                identity.member_id = member.id
                taken.add(identity.platform)

    async def list(self) -> Sequence[Member]:
        """Every member, by name, with identities."""
        async with self.db.sessions() as session:
            members = (await session.scalars(select(Member).order_by(Member.name))).all()
            for member in members:
                await session.refresh(member, ["identities"])
            return members

    async def by_email(self, email: str) -> Member | None:
        """The member with this email (case-insensitive), if any."""
        async with self.db.sessions() as session:
            return await session.scalar(select(Member).where(Member.email == email.strip().lower()))

    async def by_identity(self, platform: str, user_id: str) -> Member | None:
        """The member linked to this platform identity, if any."""
        async with self.db.sessions() as session:
            return await session.scalar(
                select(Member).join(Identity).where(Identity.platform == platform, Identity.user_id == user_id)
            )

    async def find(self, query: str) -> Sequence[Member]:
        """Members whose email is `query`, or whose name is `query` (exact first, then containing it)."""
        query = " ".join(query.split()).lstrip("@").lower()
        if not query:
            return []
        async with self.db.sessions() as session:
            exact = (
                await session.scalars(
                    select(Member).where(or_(Member.email == query, func.lower(Member.name) == query)).order_by(Member.name)
                )
            ).all()
            if exact:
                return exact
            return (
                await session.scalars(
                    select(Member)
                    .where(or_(func.lower(Member.name).contains(query, autoescape=True), Member.email.startswith(query + "@")))
                    .order_by(Member.name)
                    .limit(10)
                )
            ).all()

    async def resolve(self, who: str) -> Member:
        """Exactly one member for an email or a name, or a clear error naming the candidates."""
        found = await self.find(who)
        if not found:
            raise NotFound(f"No member matches '{who}'.")
        if len(found) > 1:
            raise Invalid(f"'{who}' matches several members: {', '.join(m.name for m in found)}. Be more precise.")
        return found[0]

    async def link(self, email: str, platform: str, user_id: str, *, name: str = "") -> Identity:
        """Link a platform identity to the member with this email (at most one identity per platform)."""
        if platform not in PLATFORMS:
            raise Invalid(f"'{platform}' is not a platform. Use one of: {', '.join(PLATFORMS)}.")
        if not user_id.strip():
            raise Invalid("A platform user id is needed.")
        async with self.db.transaction() as session:
            member = await session.scalar(select(Member).where(Member.email == _email(email)))
            if member is None:
                raise NotFound(f"No member has the email {email}.")
            other = await session.scalar(
                select(Identity).where(Identity.member_id == member.id, Identity.platform == platform)
            )
            if other is not None and other.user_id != user_id:
                raise Conflict(f"{member.name} is already linked to another {platform} identity ({other.user_id}).")
            identity = await session.scalar(
                select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)
            )
            if identity is None:
                identity = Identity(platform=platform, user_id=user_id, name=name or member.name, email=member.email)
                session.add(identity)
            elif identity.member_id not in (None, member.id):
                raise Conflict(f"That {platform} identity is already linked to another member.")
            identity.member_id = member.id
            await session.flush()
        return identity

    async def principal_for(self, actor: Actor) -> Principal:
        """Record an unknown identity, link it by email when a member has that email, and say who it is."""
        return (await self.arriving(actor))[0]

    async def arriving(self, actor: Actor) -> tuple[Principal, bool]:
        """`principal_for`, and whether the identity was linked to its member just now (by its email).

        A known identity with nothing new to record costs one read and no write (most turns): linked to a member,
        or a guest whose identity has no email a member could be found by (a second read says whether one has
        that email now).
        """
        async with self.db.sessions() as session:
            where = {"platform": actor.platform, "user_id": actor.user_id}
            known = await first_row(session, SPEAKER, (actor.platform, actor.user_id), _SPEAKER, where)
            if known is not None:
                unchanged = (not actor.name or known.name == actor.name) and (known.email is not None or not actor.email)
                if unchanged and known.member_name is not None:  # linked to a member
                    principal = Principal(
                        name=known.member_name, member_id=known.member_id, identity_id=known.id, is_admin=known.is_admin
                    )
                    return principal, False
                if unchanged and known.member_id is None and (
                    known.email is None or await session.scalar(_MEMBER_WITH_EMAIL, {"email": known.email}) is None
                ):
                    return Principal(name=known.name or actor.user_id, identity_id=known.id), False
        async with self.db.transaction() as session:
            identity = await session.scalar(
                select(Identity).where(Identity.platform == actor.platform, Identity.user_id == actor.user_id)
            )
            if identity is None:
                identity = Identity(
                    platform=actor.platform, user_id=actor.user_id, name=actor.name, email=_safe_email(actor.email)
                )
                session.add(identity)
            elif actor.name and identity.name != actor.name:
                identity.name = actor.name
            if identity.email is None and actor.email:
                identity.email = _safe_email(actor.email)
            member = await session.get(Member, identity.member_id) if identity.member_id else None
            linked_now = False
            if member is None and identity.email:
                candidate = await session.scalar(select(Member).where(Member.email == identity.email))
                taken = candidate and await session.scalar(
                    select(Identity.id).where(Identity.member_id == candidate.id, Identity.platform == actor.platform)
                )
                if candidate is not None and not taken:
                    identity.member_id = candidate.id
                    member, linked_now = candidate, True
            await session.flush()
            if member is None:
                return Principal(name=identity.name or actor.user_id, identity_id=identity.id), False
            principal = Principal(name=member.name, member_id=member.id, identity_id=identity.id, is_admin=member.is_admin)
            return principal, linked_now

    async def get(self, member_id: int) -> Member:
        """The member with this id, with identities."""
        async with self.db.sessions() as session:
            member = await self._one(session, member_id)
            await session.refresh(member, ["identities"])
            return member

    async def named(self, member_id: int) -> Member:
        """The member with this id, without identities: for a change that needs only who they are (an assignment).
        Loading the identities is a statement more, and SQLAlchemy's partial refresh of a member leaves its state
        in a reference cycle, for the garbage collector."""
        async with self.db.sessions() as session:
            return await self._one(session, member_id)

    @staticmethod
    async def _one(session: AsyncSession, member_id: int) -> Member:
        member = await session.get(Member, member_id)
        if member is None:
            raise NotFound(f"There is no member {member_id}.")
        return member

    async def update(
        self,
        member_id: int,
        *,
        name: str | None = None,
        email: str | None = None,
        is_admin: bool | None = None,
        preferred_platform: str | None = None,
    ) -> Member:
        """Change a member's name, email (an empty one removes it), admin flag or preferred platform."""
        try:
            async with self.db.transaction() as session:
                member = await session.get(Member, member_id)
                if member is None:
                    raise NotFound(f"There is no member {member_id}.")
                if name is not None:
                    member.name = " ".join(name.split())
                    if not member.name:
                        raise Invalid("A member needs a name.")
                if email is not None:
                    new_email = _email(email)
                    if new_email and await session.scalar(
                        select(Member.id).where(Member.email == new_email, Member.id != member_id)
                    ):
                        raise Conflict(f"A member with the email {new_email} exists already.")
                    member.email = new_email
                if is_admin is not None:
                    member.is_admin = is_admin
                if preferred_platform is not None:
                    if preferred_platform not in PLATFORMS:
                        raise Invalid(f"'{preferred_platform}' is not a platform. Use one of: {', '.join(PLATFORMS)}.")
                    member.preferred_platform = preferred_platform
        except IntegrityError as exc:
            raise Conflict("A member with that email exists already.") from exc
        return await self.get(member_id)

    async def delete(self, member_id: int) -> None:
        """Remove a member: their identities stay (unlinked), their tickets keep the requester's name."""
        async with self.db.transaction() as session:
            member = await session.get(Member, member_id)
            if member is None:
                raise NotFound(f"There is no member {member_id}.")
            await session.refresh(member, ["identities"])
            for identity in member.identities:
                identity.member_id = None
            await session.delete(member)

    async def unlink(self, member_id: int, identity_id: int) -> None:
        """Detach one platform identity from a member (the identity is kept, unlinked)."""
        async with self.db.transaction() as session:
            identity = await session.get(Identity, identity_id)
            if identity is None or identity.member_id != member_id:
                raise NotFound(f"Member {member_id} has no identity {identity_id}.")
            identity.member_id = None


def _safe_email(email: str | None) -> str | None:
    try:
        return _email(email)
    except Invalid:
        return None
