"""`ticketbot mail check`: the mail settings verified end to end, one line per check.

1. token — msal gets an application token from the authority;
2. permissions — the token's `roles` claim holds `Mail.ReadWrite` and `Mail.Send` (application permissions);
3. mailbox — the mailbox's inbox answers (an application access policy that leaves the mailbox out answers 403);
4. folder — the processed-mail folder exists in the mailbox.
A later check is not run when an earlier one it needs failed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from adapters.mail.graph import GraphClient, GraphError
from adapters.mail.token import TokenError

PERMISSIONS = ("Mail.ReadWrite", "Mail.Send")


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """`ok    token: …` or `FAIL  token: …`."""
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def _claims(token: str) -> dict[str, Any]:
    """The token's claims, read without verifying it (Graph verifies it; this only reports what it grants)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


async def run_checks(graph: GraphClient) -> list[Check]:
    """Every check, in order."""
    config = graph.config
    try:
        token = await graph.tokens.token()
    except TokenError as exc:
        return [Check("token", False, str(exc))]
    checks = [Check("token", True, f"acquired for client {config.client_id} from {config.authority}")]
    roles = _claims(token).get("roles") or []
    missing = [p for p in PERMISSIONS if p not in roles]
    if missing:
        detail = f"missing application permission(s) {', '.join(missing)} (granted: {', '.join(roles) or 'none'})"
        checks.append(Check("permissions", False, detail))
    else:
        checks.append(Check("permissions", True, ", ".join(PERMISSIONS) + " granted"))
    try:
        inbox = await graph.request("GET", f"{config.mailbox_path}/mailFolders/inbox") or {}
    except GraphError as exc:
        checks.append(Check("mailbox", False, f"{config.mailbox}: {exc}"))
        return checks
    unread = inbox.get("unreadItemCount", "?")
    checks.append(Check("mailbox", True, f"{config.mailbox} inbox reachable ({unread} unread)"))
    try:
        folder = await graph.request("GET", f"{config.mailbox_path}/mailFolders/{config.processed_folder}") or {}
    except GraphError as exc:
        checks.append(Check("folder", False, f"processed folder {config.processed_folder!r}: {exc}"))
        return checks
    name = folder.get("displayName") or config.processed_folder
    checks.append(Check("folder", True, f"processed mail goes to {name!r}"))
    return checks
