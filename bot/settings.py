"""Settings from the environment and an optional `.env`, with the names each ecosystem already uses (SPEC §5)."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.facts import SEND_RATES

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///ticketbot.db"
# Where a Teams activity may send the bot's replies when no Bot Framework token binds its serviceUrl (local
# mode): this machine, and the Bot Connector's public hosts (Teams: smba.trafficmanager.net; the Bot
# Framework's other channels: *.botframework.com).
DEFAULT_TEAMS_SERVICE_URL_HOSTS = "127.0.0.1,::1,localhost,smba.trafficmanager.net,*.botframework.com"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.upper())


class Settings(BaseSettings):
    """Everything ticketbot reads from its environment. A platform whose settings are absent is off."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=_env("DATABASE_URL"))
    # PostgreSQL connections per process, fixed (storage/db.py says why); 32 serves 64 concurrent turns.
    database_pool_size: int = Field(32, ge=1, validation_alias=_env("TICKETBOT_DB_POOL_SIZE"))
    bot_name: str = Field("Ticketbot", validation_alias=_env("TICKETBOT_NAME"))
    timezone: str = Field("UTC", validation_alias=_env("TICKETBOT_TIMEZONE"))

    microsoft_app_id: str = Field("", validation_alias=_env("MicrosoftAppId"))
    microsoft_app_password: SecretStr = Field(SecretStr(""), validation_alias=_env("MicrosoftAppPassword"))
    microsoft_app_type: str = Field("MultiTenant", validation_alias=_env("MicrosoftAppType"))
    microsoft_app_tenant_id: str = Field("", validation_alias=_env("MicrosoftAppTenantId"))
    teams_webhook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("TEAMS_WEBHOOK_SECRET"))
    # Where botbuilder reads the Bot Framework's signing keys (OpenID metadata), and where the bot gets its
    # own outbound token (Azure AD's token authority): botbuilder's configuration names; empty means the
    # public cloud's. Tests and staging point them at local servers.
    to_bot_from_channel_openid_metadata_url: str = Field(
        "", validation_alias=_env("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL")
    )
    to_channel_from_bot_login_url: str = Field("", validation_alias=_env("TO_CHANNEL_FROM_BOT_LOGIN_URL"))
    teams_service_url_hosts: str = Field(
        DEFAULT_TEAMS_SERVICE_URL_HOSTS, validation_alias=_env("TEAMS_SERVICE_URL_HOSTS")
    )
    # The pages `serve` answers at /privacy and /terms: the Teams app package links to them.
    privacy_text: str = Field("", validation_alias=_env("TICKETBOT_PRIVACY_TEXT"))
    terms_text: str = Field("", validation_alias=_env("TICKETBOT_TERMS_TEXT"))

    slack_bot_token: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    slack_app_token: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_APP_TOKEN"))
    slack_client_id: str = Field("", validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_CLIENT_SECRET"))
    slack_state_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_STATE_SECRET"))

    webex_access_token: SecretStr = Field(SecretStr(""), validation_alias=_env("WEBEX_ACCESS_TOKEN"))
    webex_webhook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("WEBEX_WEBHOOK_SECRET"))
    webex_api_url: str = Field("https://webexapis.com/v1/", validation_alias=_env("WEBEX_API_URL"))

    graph_tenant_id: str = Field("", validation_alias=_env("GRAPH_TENANT_ID"))
    graph_client_id: str = Field("", validation_alias=_env("GRAPH_CLIENT_ID"))
    graph_client_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("GRAPH_CLIENT_SECRET"))
    graph_mailbox: str = Field("", validation_alias=_env("GRAPH_MAILBOX"))
    graph_api_url: str = Field("https://graph.microsoft.com/v1.0/", validation_alias=_env("GRAPH_API_URL"))
    graph_authority: str = Field("https://login.microsoftonline.com", validation_alias=_env("GRAPH_AUTHORITY"))
    graph_poll_seconds: float = Field(60.0, gt=0, validation_alias=_env("GRAPH_POLL_SECONDS"))
    graph_processed_folder: str = Field("archive", validation_alias=_env("GRAPH_PROCESSED_FOLDER"))

    hook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("TICKETBOT_HOOK_SECRET"))

    # "off": the web chat (`/chat`) answers loopback callers only; "on": anyone with a `ticketbot web token`.
    web_chat: Literal["off", "on"] = Field("off", validation_alias=_env("TICKETBOT_WEB_CHAT"))

    @field_validator("web_chat", mode="before")
    @classmethod
    def _web_chat_word(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"TICKETBOT_TIMEZONE must be an IANA time zone such as Europe/Berlin, not {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The desk's time zone, in which history and notes show their times."""
        return ZoneInfo(self.timezone)
    # The outbox worker (bot.notify.outbox): whether `serve` runs it, how long a claim lasts before a crashed
    # worker's rows are sent again, the first retry delay (doubled per attempt), and how long sent rows and
    # seen inbound events are kept.
    outbox_worker: bool = Field(True, validation_alias=_env("TICKETBOT_OUTBOX_WORKER"))
    outbox_lease_seconds: float = Field(60.0, gt=0, validation_alias=_env("TICKETBOT_OUTBOX_LEASE_SECONDS"))
    outbox_backoff_seconds: float = Field(2.0, gt=0, validation_alias=_env("TICKETBOT_OUTBOX_BACKOFF_SECONDS"))
    outbox_poll_seconds: float = Field(0.5, gt=0, validation_alias=_env("TICKETBOT_OUTBOX_POLL_SECONDS"))
    outbox_retention_days: float = Field(14.0, gt=0, validation_alias=_env("TICKETBOT_OUTBOX_RETENTION_DAYS"))
    # The pace the worker sends at per platform account (messages per second, JSON such as {"teams": 50}; a platform
    # left out is paced by its 429s alone): by default the platforms' published per-account limits.
    outbox_send_rates: dict[str, float] = Field(
        default_factory=lambda: dict(SEND_RATES), validation_alias=_env("TICKETBOT_OUTBOX_SEND_RATES")
    )
    @property
    def teams_service_url_host_list(self) -> tuple[str, ...]:
        """`TEAMS_SERVICE_URL_HOSTS` as lowercase host names (comma-separated; `*.domain` for its subdomains)."""
        return tuple(h.strip().lower() for h in self.teams_service_url_hosts.split(",") if h.strip())
    # `/metrics` (bot.metrics): behind a bearer key on the bot's port, or on a listener of its own (port 0: none).
    metrics_key: SecretStr = Field(SecretStr(""), validation_alias=_env("TICKETBOT_METRICS_KEY"))
    metrics_host: str = Field("127.0.0.1", validation_alias=_env("TICKETBOT_METRICS_HOST"))
    metrics_port: int = Field(0, ge=0, le=65535, validation_alias=_env("TICKETBOT_METRICS_PORT"))
    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("TICKETBOT_LOG_FORMAT"))
    shutdown_timeout: float = Field(30.0, gt=0, validation_alias=_env("TICKETBOT_SHUTDOWN_TIMEOUT"))
