"""The mail adapter's settings, checked once: the Graph app registration, the mailbox and the processed folder.

Mail is on when `GRAPH_TENANT_ID`, `GRAPH_CLIENT_ID`, `GRAPH_CLIENT_SECRET` and `GRAPH_MAILBOX` are all set.
The authority is `GRAPH_AUTHORITY` (the login host) plus the tenant; the token scope is the `.default` scope of
the Graph host of `GRAPH_API_URL` (`https://graph.microsoft.com/.default` by default, the national cloud's Graph
host where `GRAPH_API_URL` names one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from bot.settings import Settings

PLATFORM = "mail"
REQUIRED = ("GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET", "GRAPH_MAILBOX")


@dataclass(frozen=True)
class MailConfig:
    """Everything the mail adapter reads from the settings."""

    tenant_id: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    mailbox: str = ""
    api_url: str = "https://graph.microsoft.com/v1.0/"
    authority_host: str = "https://login.microsoftonline.com"
    poll_seconds: float = 60.0
    processed_folder: str = "archive"

    @property
    def authority(self) -> str:
        """The msal authority: the login host and the tenant."""
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id}"

    @property
    def scope(self) -> str:
        """The client-credentials scope: every application permission granted on the Graph host."""
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}/.default"

    @property
    def mailbox_path(self) -> str:
        """The mailbox's path under the API URL (`users/helpdesk@example.com`)."""
        return f"users/{quote(self.mailbox, safe='@')}"


def mail_config(settings: Settings) -> MailConfig | None:
    """The mail settings, or None when any required one is missing (mail is off)."""
    values = (
        settings.graph_tenant_id.strip(),
        settings.graph_client_id.strip(),
        settings.graph_client_secret.get_secret_value(),
        settings.graph_mailbox.strip().lower(),
    )
    if not all(values):
        return None
    tenant, client, secret, mailbox = values
    api_url = settings.graph_api_url.strip()
    return MailConfig(
        tenant_id=tenant,
        client_id=client,
        client_secret=secret,
        mailbox=mailbox,
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        authority_host=settings.graph_authority.strip(),
        poll_seconds=settings.graph_poll_seconds,
        processed_folder=settings.graph_processed_folder.strip() or "archive",
    )
