"""Who performs a change, as the ticket domain sees it (resolved from a chat identity, the CLI or an API key)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.desk.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    """The author of a change. `member_id` is None for a requester who is not (yet) a desk member."""

    name: str
    member_id: int | None = None
    identity_id: int | None = None
    is_admin: bool = False

    @property
    def is_member(self) -> bool:
        """Whether this is a desk member (members may do everything on tickets)."""
        return self.member_id is not None


CLI_ADMIN = Principal(name="admin (cli)", is_admin=True)


def require_admin(principal: Principal, what: str) -> None:
    """Refuse with `Forbidden` unless the principal is an admin (SPEC §3: admin commands need the admin flag)."""
    if not principal.is_admin:
        raise Forbidden(f"Only admins can {what}.")
