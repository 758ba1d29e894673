"""Settings from the environment and an optional `.env`, with the names each ecosystem already uses (SPEC §5)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///ticketbot.db"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.upper())


class Settings(BaseSettings):
    """Everything ticketbot reads from its environment. A platform whose settings are absent is off."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=_env("DATABASE_URL"))
    bot_name: str = Field("Ticketbot", validation_alias=_env("TICKETBOT_NAME"))
    timezone: str = Field("UTC", validation_alias=_env("TICKETBOT_TIMEZONE"))

    microsoft_app_id: str = Field("", validation_alias=_env("MicrosoftAppId"))
    microsoft_app_password: SecretStr = Field(SecretStr(""), validation_alias=_env("MicrosoftAppPassword"))
    microsoft_app_type: str = Field("MultiTenant", validation_alias=_env("MicrosoftAppType"))
    microsoft_app_tenant_id: str = Field("", validation_alias=_env("MicrosoftAppTenantId"))
    teams_webhook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("TEAMS_WEBHOOK_SECRET"))
    # The pages `serve` answers at /privacy and /terms: the Teams app package links to them.
    privacy_text: str = Field("", validation_alias=_env("TICKETBOT_PRIVACY_TEXT"))
    terms_text: str = Field("", validation_alias=_env("TICKETBOT_TERMS_TEXT"))

    slack_bot_token: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))

    webex_access_token: SecretStr = Field(SecretStr(""), validation_alias=_env("WEBEX_ACCESS_TOKEN"))
    webex_webhook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("WEBEX_WEBHOOK_SECRET"))
    webex_api_url: str = Field("https://webexapis.com/v1/", validation_alias=_env("WEBEX_API_URL"))

    hook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("TICKETBOT_HOOK_SECRET"))

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
