"""With `MicrosoftAppId` set, only activities with a valid Bot Framework token get in; every failure is a 401
that changes nothing. Replies then carry the bot's own Azure AD token."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import Conversation, SeenEvent
from tests.fakes.azure_ad import ACCESS_TOKEN, AzureAd
from tests.fakes.bot_framework_keys import SigningKeys, new_key
from tests.teams.helpers import TeamsApp, serve_teams

APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
INSTALL = "conversationUpdate.bot-added-to-team.sentry.json"


@pytest.fixture
async def keys():
    async with SigningKeys() as issuer:
        yield issuer


@pytest.fixture
async def aad(tmp_path, monkeypatch):
    async with AzureAd(tmp_path) as authority:
        # msal's requests session trusts the local authority's throwaway certificate.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(authority.ca_file))
        yield authority


def secured_settings(keys: SigningKeys, aad: AzureAd, **overrides: str) -> dict[str, str]:
    return {
        "microsoft_app_id": APP_ID,
        "microsoft_app_password": "s3cret",
        "to_bot_from_channel_openid_metadata_url": keys.metadata_url,
        "to_channel_from_bot_login_url": aad.authority,
        **overrides,
    }


@pytest.fixture
async def secured(sqlite_url, connector, keys, aad):
    async with serve_teams(sqlite_url, connector, **secured_settings(keys, aad)) as app:
        yield app


async def assert_nothing_happened(app: TeamsApp) -> None:
    assert app.connector.requests == []
    async with app.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert await session.scalar(select(func.count()).select_from(SeenEvent)) == 0


async def test_a_valid_token_gets_in_and_replies_carry_the_bots_token(secured, keys, aad):
    activity = secured.sample(INSTALL)
    token = keys.token(app_id=APP_ID, service_url=activity["serviceUrl"])
    assert await secured.post(activity, headers={"Authorization": f"Bearer {token}"}) == (200, None)
    [welcome] = secured.connector.activities()
    assert welcome.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    [asked] = aad.token_requests
    assert (asked["client_id"], asked["client_secret"]) == (APP_ID, "s3cret")
    assert asked["scope"] == "https://api.botframework.com/.default"
    assert await secured.services.conversations.get("teams", activity["conversation"]["id"]) is not None
    assert keys.fetches == 1


async def test_no_authorization_is_401(secured):
    status, body = await secured.post(secured.sample(INSTALL))
    assert status == 401 and "token" in body["error"]
    await assert_nothing_happened(secured)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."],
)
async def test_malformed_tokens_are_401(secured, header):
    status, body = await secured.post(secured.sample(INSTALL), headers={"Authorization": header})
    assert status == 401 and body == {"error": "The Bot Framework token is not valid."}
    await assert_nothing_happened(secured)


@pytest.mark.parametrize(
    "forgery",
    [
        {"key": new_key()},
        {"app_id": "11111111-2222-3333-4444-555555555555"},
        {"service_url": "https://smba.trafficmanager.net/evil/"},
        {"issuer": "https://sts.windows.net/evil/"},
        {"lifetime": -3600},
    ],
    ids=["other-signing-key", "other-bot", "other-service-url", "other-issuer", "expired"],
)
async def test_forged_tokens_are_401(secured, keys, forgery):
    activity = secured.sample(INSTALL)
    claims = {"app_id": APP_ID, "service_url": activity["serviceUrl"], **forgery}
    token = keys.token(**claims)
    status, _ = await secured.post(activity, headers={"Authorization": f"Bearer {token}"})
    assert status == 401
    await assert_nothing_happened(secured)


async def test_unreachable_signing_keys_are_401_not_500(sqlite_url, connector, keys, aad):
    unreachable = secured_settings(keys, aad, to_bot_from_channel_openid_metadata_url="http://127.0.0.1:9/openid")
    async with serve_teams(sqlite_url, connector, **unreachable) as app:
        activity = app.sample(INSTALL)
        token = keys.token(app_id=APP_ID, service_url=activity["serviceUrl"])
        status, body = await app.post(activity, headers={"Authorization": f"Bearer {token}"})
        assert status == 401 and "not valid" in body["error"]
        await assert_nothing_happened(app)


DEEP = b"[" * 10_000 + b"]" * 10_000
HUGE_NUMBER = b'{"type": "message", "id": ' + b"9" * 5000 + b"}"


@pytest.mark.parametrize("body", [DEEP, HUGE_NUMBER, b"{oops", b'{"serviceUrl": ' + b"[" * 5000 + b"}"],
                         ids=["deep", "huge-number", "not-json", "deep-serviceUrl"])
async def test_the_token_is_checked_before_the_body(secured, body):
    status, answer = await secured.post(None, data=body, headers={"Authorization": "Bearer not-a-jwt"})
    assert status == 401 and answer == {"error": "The Bot Framework token is not valid."}
    await assert_nothing_happened(secured)


@pytest.mark.parametrize(
    "body", [DEEP, HUGE_NUMBER, b"{oops", b"\xff\xfe"], ids=["deep", "huge-number", "not-json", "not-utf8"]
)
async def test_bad_bodies_from_a_token_holder_are_400(secured, keys, body):
    token = keys.token(app_id=APP_ID, service_url=secured.connector.service_url)
    status, answer = await secured.post(None, data=body, headers={"Authorization": f"Bearer {token}"})
    assert status == 400 and answer["error"].startswith("The body")
    await assert_nothing_happened(secured)


async def test_a_token_holders_activity_without_a_service_url_is_400(secured, keys):
    activity = secured.sample(INSTALL)
    token = keys.token(app_id=APP_ID, service_url=activity.pop("serviceUrl"))
    status, answer = await secured.post(activity, headers={"Authorization": f"Bearer {token}"})
    assert status == 400 and "serviceUrl" in answer["error"]
    await assert_nothing_happened(secured)
