"""Settings from the environment and an optional `.env`, with the names each ecosystem already uses (SPEC §5)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///ticketbot.db"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.upper())


class Settings(BaseSettings):
    """Everything ticketbot reads from its environment. A platform whose settings are absent is off."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=_env("DATABASE_URL"))
    # PostgreSQL connections per process, fixed (storage/db.py says why); 32 serves 64 concurrent turns.
    database_pool_size: int = Field(32, ge=1, validation_alias=_env("TICKETBOT_DB_POOL_SIZE"))
    bot_name: str = Field("Ticketbot", validation_alias=_env("TICKETBOT_NAME"))

    microsoft_app_id: str = Field("", validation_alias=_env("MicrosoftAppId"))
    microsoft_app_password: SecretStr = Field(SecretStr(""), validation_alias=_env("MicrosoftAppPassword"))
    microsoft_app_type: str = Field("MultiTenant", validation_alias=_env("MicrosoftAppType"))
    microsoft_app_tenant_id: str = Field("", validation_alias=_env("MicrosoftAppTenantId"))
    teams_webhook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("TEAMS_WEBHOOK_SECRET"))

    slack_bot_token: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))

    webex_access_token: SecretStr = Field(SecretStr(""), validation_alias=_env("WEBEX_ACCESS_TOKEN"))
    webex_webhook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("WEBEX_WEBHOOK_SECRET"))
    webex_api_url: str = Field("https://webexapis.com/v1/", validation_alias=_env("WEBEX_API_URL"))

    hook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("TICKETBOT_HOOK_SECRET"))

    metrics_key: SecretStr = Field(SecretStr(""), validation_alias=_env("TICKETBOT_METRICS_KEY"))
    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("TICKETBOT_LOG_FORMAT"))
    shutdown_timeout: float = Field(30.0, gt=0, validation_alias=_env("TICKETBOT_SHUTDOWN_TIMEOUT"))
