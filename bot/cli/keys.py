"""`ticketbot keys …`: admin API keys (shown once, stored as a hash)."""

from __future__ import annotations

import typer

from bot.cli.common import JSON_OPTION, emit, group, run
from bot.desk.keys import KeyService
from bot.desk.principal import CLI_ADMIN
from bot.desk.serialize import key_dict

keys_app = group("Admin API keys.")


@keys_app.command("create")
def keys_create(name: str) -> None:
    """Create an admin API key. The key is printed once, alone on the last line."""
    new = run(lambda s: KeyService(s.db).create(name, actor=CLI_ADMIN.name))
    typer.echo(f"created key {new.row.id} '{new.row.name}'; store it now, it is not shown again:")
    typer.echo(new.secret)


@keys_app.command("list")
def keys_list(as_json: bool = JSON_OPTION) -> None:
    """List API keys (never the keys themselves)."""
    keys = run(lambda s: KeyService(s.db).list(), migrate=False)
    text = "\n".join(
        f"{k.id}  {k.prefix}…  {k.name}  {'revoked' if k.revoked_at else 'active'}" for k in keys
    ) or "no keys"
    emit(as_json, [key_dict(k) for k in keys], text)


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="The key's id or prefix.")) -> None:
    """Revoke an API key."""
    row = run(lambda s: KeyService(s.db).revoke(key, actor=CLI_ADMIN.name))
    typer.echo(f"revoked key {row.id} '{row.name}'")
