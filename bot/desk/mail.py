"""The desk's side of the mail channel: sender exclusions, assignment rules, feed cursors and mail threads.

Exclusions and rules are set from the CLI (`ticketbot mail exclude|rules`) and read by the mail adapter through
`bot.seam.MailDesk`; the inbox's Graph delta link is kept through `bot.seam.CursorStore`. A pattern is an address
(`ann@example.com`) or a domain (`example.com`, also written `@example.com`); a domain also covers its
subdomains. The most specific pattern wins: the address, then the longest domain.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from bot.desk.errors import Conflict, Invalid, NotFound
from bot.desk.principal import Principal
from bot.desk.tickets import TicketService
from bot.seam import SenderRule
from storage.db import Database
from storage.models import Board, Cursor, MailExclusion, MailRule, Member, Ticket, utcnow

RULE_PRINCIPAL = Principal(name="mail rule", is_admin=True)
"""Who an assignment rule's change is recorded as in the ticket's history."""


def sender_pattern(text: str) -> str:
    """A pattern in its stored form (lowercase, a domain without `@`); raises Invalid for anything else."""
    pattern = text.strip().lower().removeprefix("@")
    local, at, domain = pattern.rpartition("@")
    if (at and not local) or "." not in domain or domain.startswith(".") or any(c.isspace() for c in pattern):
        raise Invalid(f"'{text.strip()}' is neither an email address nor a domain.")
    return pattern


def _candidates(address: str) -> list[str]:
    """The patterns that cover an address, most specific first: it, its domain, the domain's parents."""
    address = address.strip().lower()
    domain = address.rpartition("@")[2]
    parts = domain.split(".")
    return [address, *(".".join(parts[i:]) for i in range(len(parts) - 1))]


class CursorService:
    """`bot.seam.CursorStore` over the `cursors` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, name: str) -> str | None:
        """The stored position, or None when the feed was never read."""
        async with self.db.sessions() as session:
            row = await session.get(Cursor, name)
            return row.value if row else None

    async def put(self, name: str, value: str) -> None:
        """Store the position (replacing the previous one)."""
        async with self.db.transaction() as session:
            row = await session.get(Cursor, name)
            if row is None:
                session.add(Cursor(name=name, value=value))
            else:
                row.value = value
                row.updated_at = utcnow()


class MailService:
    """Exclusions and assignment rules for mail senders (CLI), and `bot.seam.MailDesk` for the mail adapter."""

    def __init__(self, db: Database, tickets: TicketService) -> None:
        self.db = db
        self.tickets = tickets

    async def add_exclusion(self, pattern: str) -> MailExclusion:
        """Never make tickets of mail from this address or domain."""
        row = MailExclusion(pattern=sender_pattern(pattern))
        try:
            async with self.db.transaction() as session:
                session.add(row)
        except IntegrityError:
            raise Conflict(f"{row.pattern} is excluded already.") from None
        return row

    async def exclusions(self) -> Sequence[MailExclusion]:
        """Every exclusion, by pattern."""
        async with self.db.sessions() as session:
            return (await session.scalars(select(MailExclusion).order_by(MailExclusion.pattern))).all()

    async def delete_exclusion(self, pattern: str) -> None:
        """Drop an exclusion."""
        await self._delete(MailExclusion, sender_pattern(pattern), "excluded")

    async def add_rule(self, pattern: str, *, board: str | None = None, assignee: str | None = None) -> MailRule:
        """Send mail from this address or domain to a board and/or assign it to a member (by email)."""
        if not board and not assignee:
            raise Invalid("A rule needs a board, an assignee or both.")
        key = sender_pattern(pattern)
        try:
            async with self.db.transaction() as session:
                board_row = await self.tickets.board_named(session, board) if board else None
                member = None
                if assignee:
                    member = await session.scalar(select(Member).where(Member.email == assignee.strip().lower()))
                    if member is None:
                        raise NotFound(f"No member has the email {assignee.strip()}.")
                rule = MailRule(pattern=key, board=board_row, assignee=member)
                session.add(rule)
        except IntegrityError:
            raise Conflict(f"There is a rule for {key} already; delete it first.") from None
        return rule

    async def rules(self) -> Sequence[MailRule]:
        """Every assignment rule, by pattern."""
        async with self.db.sessions() as session:
            return (await session.scalars(select(MailRule).order_by(MailRule.pattern))).all()

    async def delete_rule(self, pattern: str) -> None:
        """Drop an assignment rule."""
        await self._delete(MailRule, sender_pattern(pattern), "covered by a rule")

    async def _delete(self, model: type[MailExclusion] | type[MailRule], pattern: str, what: str) -> None:
        async with self.db.transaction() as session:
            result = await session.execute(delete(model).where(model.pattern == pattern))
            if not getattr(result, "rowcount", 0):
                raise NotFound(f"{pattern} is not {what}.")

    async def excluded(self, address: str) -> bool:
        """Whether an exclusion covers this sender."""
        async with self.db.sessions() as session:
            found = await session.scalar(
                select(func.count()).select_from(MailExclusion).where(MailExclusion.pattern.in_(_candidates(address)))
            )
            return bool(found)

    async def route(self, address: str) -> SenderRule:
        """Where this sender's new tickets go: the most specific rule's board (else the default board) and
        assignee. A board is always named, so the core opens the ticket at once instead of asking for one."""
        candidates = _candidates(address)
        async with self.db.sessions() as session:
            rows = (await session.scalars(select(MailRule).where(MailRule.pattern.in_(candidates)))).all()
            rule = min(rows, key=lambda r: candidates.index(r.pattern)) if rows else None
            board: Board | None = rule.board if rule is not None else None
            if board is None:
                board = await self.tickets.default_board(session)
            assignee: Member | None = rule.assignee if rule is not None else None
            return SenderRule(board=board.name, assignee=assignee.email if assignee else None)

    async def ticket_of(self, platform: str, conversation_id: str) -> int | None:
        """The newest ticket opened in this conversation (a mail thread), if any."""
        async with self.db.sessions() as session:
            return await session.scalar(
                select(Ticket.number)
                .where(Ticket.origin_platform == platform, Ticket.origin_conversation == conversation_id)
                .order_by(Ticket.number.desc())
                .limit(1)
            )

    async def assign_by_rule(self, number: int, assignee: str) -> None:
        """Assign the ticket to the member with this email, recorded as the mail rule's change."""
        async with self.db.sessions() as session:
            member = await session.scalar(select(Member).where(Member.email == assignee.strip().lower()))
        if member is None:
            raise NotFound(f"No member has the email {assignee}.")
        await self.tickets.assign(RULE_PRINCIPAL, number, [member])
