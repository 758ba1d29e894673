"""With `MicrosoftAppId` set, only activities with a valid Bot Framework token get in; every failure is a 401
that changes nothing. Replies then carry the bot's own Azure AD token."""

from __future__ import annotations

import pytest
from botframework.connector.auth import ChannelValidation, MicrosoftAppCredentials
from sqlalchemy import func, select

from storage.models import Conversation, SeenEvent
from tests.fakes.bot_framework_keys import SigningKeys, new_key
from tests.teams.helpers import TeamsApp, serve_teams

APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
INSTALL = "conversationUpdate.bot-added-to-team.sentry.json"


@pytest.fixture
async def keys(monkeypatch):
    async with SigningKeys() as issuer:
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", issuer.metadata_url)
        yield issuer


@pytest.fixture
async def secured(sqlite_url, connector, keys, monkeypatch):
    # Azure AD is not reachable from the tests: the bot's outbound token is a fixed string.
    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", lambda self, force_refresh=False: "bot-token")
    async with serve_teams(sqlite_url, connector, microsoft_app_id=APP_ID, microsoft_app_password="s3cret") as app:
        yield app


async def assert_nothing_happened(app: TeamsApp) -> None:
    assert app.connector.requests == []
    async with app.services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert await session.scalar(select(func.count()).select_from(SeenEvent)) == 0


async def test_a_valid_token_gets_in_and_replies_carry_the_bots_token(secured, keys):
    activity = secured.sample(INSTALL)
    token = keys.token(app_id=APP_ID, service_url=activity["serviceUrl"])
    assert await secured.post(activity, headers={"Authorization": f"Bearer {token}"}) == (200, None)
    [welcome] = secured.connector.activities()
    assert welcome.headers["Authorization"] == "Bearer bot-token"
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


async def test_unreachable_signing_keys_are_401_not_500(secured, keys, monkeypatch):
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", "http://127.0.0.1:9/openid-unreachable")
    activity = secured.sample(INSTALL)
    token = keys.token(app_id=APP_ID, service_url=activity["serviceUrl"])
    status, body = await secured.post(activity, headers={"Authorization": f"Bearer {token}"})
    assert status == 401 and "not valid" in body["error"]
    await assert_nothing_happened(secured)


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
