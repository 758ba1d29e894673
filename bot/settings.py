"""Settings from the environment and an optional `.env`, with the names each ecosystem already uses (SPEC §5)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    bot_name: str = Field("Ticketbot", validation_alias=_env("TICKETBOT_NAME"))

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

    slack_bot_token: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))

    webex_access_token: SecretStr = Field(SecretStr(""), validation_alias=_env("WEBEX_ACCESS_TOKEN"))
    webex_webhook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("WEBEX_WEBHOOK_SECRET"))
    webex_api_url: str = Field("https://webexapis.com/v1/", validation_alias=_env("WEBEX_API_URL"))

    hook_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("TICKETBOT_HOOK_SECRET"))

    @property
    def teams_service_url_host_list(self) -> tuple[str, ...]:
        """`TEAMS_SERVICE_URL_HOSTS` as lowercase host names (comma-separated; `*.domain` for its subdomains)."""
        return tuple(h.strip().lower() for h in self.teams_service_url_hosts.split(",") if h.strip())
