"""`ticketbot web token …`: access tokens for the web chat when it is opened to the network (shown once,
stored as a hash)."""

from __future__ import annotations

import typer

from bot.cli.common import JSON_OPTION, emit, group, run
from bot.desk.principal import CLI_ADMIN
from bot.desk.web_tokens import WebTokenService
from storage.models import WebToken

web_app = group("The web chat (/chat).")
token_app = group("Access tokens for the web chat (needed when TICKETBOT_WEB_CHAT=on).")
web_app.add_typer(token_app, name="token")


def token_dict(token: WebToken) -> dict[str, object]:
    """A token's public facts (never the token or its hash)."""
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }


@token_app.command("create")
def token_create(name: str) -> None:
    """Create a web-chat access token. The token is printed once, alone on the last line."""
    new = run(lambda s: WebTokenService(s.db).create(name, actor=CLI_ADMIN.name))
    typer.echo(f"created web token {new.row.id} '{new.row.name}'; store it now, it is not shown again.")
    typer.echo("Open the chat once as /chat?token=<token> (the browser keeps it in a cookie):")
    typer.echo(new.secret)


@token_app.command("list")
def token_list(as_json: bool = JSON_OPTION) -> None:
    """List web-chat tokens (never the tokens themselves)."""
    tokens = run(lambda s: WebTokenService(s.db).list(), migrate=False)
    text = "\n".join(
        f"{t.id}  {t.prefix}…  {t.name}  {'revoked' if t.revoked_at else 'active'}" for t in tokens
    ) or "no web tokens"
    emit(as_json, [token_dict(t) for t in tokens], text)


@token_app.command("revoke")
def token_revoke(token: str = typer.Argument(..., help="The token's id or prefix.")) -> None:
    """Revoke a web-chat token."""
    row = run(lambda s: WebTokenService(s.db).revoke(token, actor=CLI_ADMIN.name))
    typer.echo(f"revoked web token {row.id} '{row.name}'")
