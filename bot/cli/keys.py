"""`ticketbot keys …`: API keys (shown once, stored as a hash), each acting as its member.

`keys create --member EMAIL [--admin] [NAME]` makes a key that acts as that member (an admin key only for an
admin member); `keys create NAME` alone makes a service key, which acts as an admin named after the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.api.schemas import KeyOut
from bot.cli.common import JSON_OPTION, emit, fail, group, run
from bot.desk.keys import KeyService

if TYPE_CHECKING:
    from bot.services import Services

keys_app = group("API keys.")


@keys_app.command("create")
def keys_create(
    name: str = typer.Argument("", help="What the key is for, e.g. the script (the member's email when empty)."),
    member: str = typer.Option("", "--member", help="Email or name of the member the key acts as."),
    admin: bool = typer.Option(False, "--admin", help="The key may use admin routes (the member must be an admin)."),
) -> None:
    """Create an API key. The key is printed once, alone on the last line."""
    if not (name or member):
        raise fail("name the key, or give its owner with --member EMAIL")

    async def work(s: Services):
        owner = await s.members.resolve(member) if member else None
        return await KeyService(s.db).create(name, member=owner, admin=admin)

    new = run(work, audit="keys.create")
    kind = "admin" if new.row.is_admin else "member"
    typer.echo(f"created {kind} key {new.row.id} '{new.row.name}'; store it now, it is not shown again:")
    typer.echo(new.secret)


@keys_app.command("list")
def keys_list(as_json: bool = JSON_OPTION) -> None:
    """List API keys (never the keys themselves)."""
    keys = run(lambda s: KeyService(s.db).list(), migrate=False)
    text = "\n".join(
        f"{k.id}  {k.prefix}…  {k.name}  {'admin' if k.is_admin else 'member'}  "
        f"{'revoked' if k.revoked_at else 'active'}"
        for k in keys
    ) or "no keys"
    emit(as_json, [KeyOut.of(k) for k in keys], text)


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="The key's id or prefix.")) -> None:
    """Revoke an API key."""
    row = run(lambda s: KeyService(s.db).revoke(key), audit="keys.revoke")
    typer.echo(f"revoked key {row.id} '{row.name}'")
