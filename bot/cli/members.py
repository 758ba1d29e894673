"""`ticketbot members …`: the people of the desk and their chat identities."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.api.schemas import MemberOut
from bot.cli.common import JSON_OPTION, emit, group, run

if TYPE_CHECKING:
    from bot.services import Services

members_app = group("Members of the desk and their chat identities.")


@members_app.command("add")
def members_add(
    name: str,
    email: str = typer.Option("", help="Email; identities with this email are linked to the member."),
    admin: bool = typer.Option(False, "--admin", help="May run admin commands in chat."),
    platform: str = typer.Option("", help="Preferred platform for direct messages: teams, slack or webex."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a member of the desk."""

    async def work(s: Services):
        member = await s.members.add(name, email or None, is_admin=admin, preferred_platform=platform or None)
        return (await s.members.list(), member)

    members, member = run(work, audit="members.create")
    added = next(m for m in members if m.id == member.id)
    emit(as_json, MemberOut.of(added), f"added member {added.name} (id {added.id})")


@members_app.command("list")
def members_list(as_json: bool = JSON_OPTION) -> None:
    """List members and their linked platforms."""
    members = run(lambda s: s.members.list(), migrate=False)
    lines = []
    for m in members:
        linked = ", ".join(i.platform for i in m.identities) or "no chat identity"
        lines.append(f"{m.id}  {m.name}  <{m.email or '-'}>{'  admin' if m.is_admin else ''}  [{linked}]")
    emit(as_json, [MemberOut.of(m) for m in members], "\n".join(lines) or "no members yet")


@members_app.command("link")
def members_link(
    email: str,
    platform: str = typer.Argument(..., help="teams, slack or webex."),
    user_id: str = typer.Argument(..., help="The platform's user id (AAD object id, Slack U..., Webex person id)."),
) -> None:
    """Link a platform identity to the member with this email."""
    identity = run(lambda s: s.members.link(email, platform, user_id), audit="identities.create")
    typer.echo(f"linked {platform} user {identity.user_id} to {email}")
