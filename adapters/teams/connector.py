"""Bot Connector clients kept for the life of the app, all sending over one aiohttp session.

botbuilder's stock connector factory builds a new `ConnectorClient` (with new credentials and a `requests`
session carrying a retry policy) on every turn, and sends each request with `requests` in a worker thread on
a new connection. Here each (app id, service URL, audience) gets one client, created on first use, whose
msrest pipeline sends through a shared aiohttp session with keep-alive connections. No retries happen here:
the caller sees a 429 or 5xx at once (the outbox retries with backoff). The clients serialise an activity's
card content as the JSON it already is (`WireSerializer`).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import aiohttp
from botframework.connector import models
from botframework.connector.about import __version__ as SDK_VERSION
from botframework.connector.aio import ConnectorClient
from botframework.connector.aio.operations_async import AttachmentsOperations, ConversationsOperations
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConstants,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
)
from msrest.exceptions import HttpOperationError
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline, Request, Response
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Deserializer, Model, Serializer
from msrest.universal_http import ClientRequest
from msrest.universal_http.async_abc import AsyncClientResponse

from adapters.teams.wire import Unhandled, model_from_json, model_json
from bot.web import SharedSession

USER_AGENT = f"Microsoft-BotFramework/3.1 (BotBuilder Python/{SDK_VERSION}) ticketbot"
CONNECTOR_FAILURES = (HttpOperationError, aiohttp.ClientError, TimeoutError)
"""What a Bot Connector call raises when the service refused it or could not be reached."""


class WireSerializer(Serializer):
    """msrest's serializer, minus the work it does on an activity our code built: `Serializer.body` first
    rebuilds the model (a full deserialisation of it), then validates it recursively, then serialises it,
    walking an attachment's card key by key. For an `Activity` model this serialises it once, and an
    attachment whose `content` is a plain dict (the Adaptive Cards we render are wire JSON already) keeps that
    dict as it is: measured on the 2-core machine, 1.25 ms → under 0.2 ms for a ticket-card reply, the same
    JSON. The rest of the activity is written by `adapters.teams.wire` (msrest's JSON without its generic walk:
    0.15 → 0.03 ms). Anything else (an SDK model as content, other bodies) goes through msrest as usual."""

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if data_type != "Activity" or not isinstance(data, Model):
            return super().body(data, data_type, **kwargs)
        attachments = getattr(data, "attachments", None) or []
        wire = [a.content if isinstance(a.content, dict) else None for a in attachments]
        try:
            for attachment, content in zip(attachments, wire, strict=True):
                if content is not None:
                    attachment.content = None
            body = self._activity_json(data, data_type, **kwargs)
        finally:
            for attachment, content in zip(attachments, wire, strict=True):
                if content is not None:
                    attachment.content = content
        for serialised, content in zip(body.get("attachments", ()), wire, strict=True):
            if content is not None:
                serialised["content"] = content
        return body

    def _activity_json(self, data: Model, data_type: str, **kwargs: Any) -> Any:
        if not kwargs:
            try:
                return model_json(data, self.dependencies)
            except (Unhandled, AttributeError):  # a value msrest writes differently, or refuses: msrest decides
                pass
        return self._serialize(data, data_type, **kwargs)


class WireDeserializer(Deserializer):
    """msrest's deserializer, reading a Bot Connector answer (the `ResourceResponse` of each reply, a roster entry)
    with `adapters.teams.wire` where that reads it as msrest does, and with msrest otherwise."""

    def _deserialize(self, target_obj: Any, data: Any) -> Any:
        model = self.dependencies.get(target_obj) if isinstance(target_obj, str) else None
        if self.additional_properties_detection and isinstance(model, type) and issubclass(model, Model):
            try:
                return model_from_json(model, data, self.dependencies)
            except Exception:  # Unhandled, or data msrest refuses: msrest decides
                pass
        return super()._deserialize(target_obj, data)


class WireConnectorClient(ConnectorClient):
    """A `ConnectorClient` whose operations serialise with `WireSerializer` and deserialise with
    `WireDeserializer`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        classes = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
        self._serialize = WireSerializer(classes)
        self._deserialize = WireDeserializer(classes)
        self.attachments = AttachmentsOperations(self._client, self.config, self._serialize, self._deserialize)
        self.conversations = ConversationsOperations(self._client, self.config, self._serialize, self._deserialize)


class _ReadResponse(AsyncClientResponse):
    """An msrest response over an aiohttp response whose body has been read."""

    def __init__(self, request: ClientRequest, response: aiohttp.ClientResponse, body: bytes) -> None:
        super().__init__(request, response)
        self.status_code = response.status
        self.headers = dict(response.headers)
        self.reason = response.reason
        self._body = body

    def body(self) -> bytes:
        return self._body


class AiohttpSender(AsyncHTTPSender):
    """The end of an msrest pipeline: sends the request over the shared aiohttp session."""

    def __init__(self, session: SharedSession) -> None:
        self._session = session

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        # The session belongs to the app, not to one client.
        return None

    async def send(self, request: Request, **config: Any) -> Response:
        http = request.http_request
        session = self._session.get()
        async with session.request(http.method, http.url, headers=dict(http.headers), data=http.data) as resp:
            body = await resp.read()
        return Response(request, _ReadResponse(http, resp, body))


class BearerTokenPolicy(AsyncHTTPPolicy):
    """Adds the bot's Azure AD token to each request. msal is blocking (it may call Azure AD), so it runs in a
    thread; it caches the token, so most calls return at once."""

    def __init__(self, credentials: AppCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request, **kwargs: Any) -> Response:
        app_id = self._credentials.microsoft_app_id
        if app_id and app_id != AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
            token = await asyncio.to_thread(self._credentials.get_access_token)
            request.http_request.headers["Authorization"] = f"Bearer {token}"
        assert self.next is not None, "a credentials policy is never the end of a pipeline"
        return await self.next.send(request, **kwargs)


def _pipeline(credentials: AppCredentials, session: SharedSession, config: Any) -> AsyncPipeline:
    return AsyncPipeline(
        [config.user_agent_policy, BearerTokenPolicy(credentials), RawDeserializer()], AiohttpSender(session)
    )


class ConnectorPool:
    """One `ConnectorClient` per (app id, service URL, audience), created on first use and kept."""

    def __init__(
        self,
        credentials_factory: ServiceClientCredentialsFactory,
        session: SharedSession,
        *,
        login_endpoint: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
        scope: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
    ) -> None:
        self._credentials_factory = credentials_factory
        self._session = session
        self._login_endpoint = login_endpoint
        self._scope = scope
        self._clients: dict[tuple[str | None, str, str], ConnectorClient] = {}

    def factory(self, app_id: str | None) -> ConnectorFactory:
        """A connector factory (what botbuilder asks for per turn) that hands out this pool's clients."""
        return PooledConnectorFactory(self, app_id)

    async def client(self, app_id: str | None, service_url: str, audience: str | None = None) -> ConnectorClient:
        """The client for this bot and service URL, created on first use."""
        scope = audience or self._scope
        key = (app_id, service_url, scope)
        client = self._clients.get(key)
        if client is None:
            credentials = await self._credentials_factory.create_credentials(app_id, scope, self._login_endpoint, True)
            client = WireConnectorClient(
                credentials, base_url=service_url, pipeline_type=partial(_pipeline, credentials, self._session)
            )
            client.config.add_user_agent(USER_AGENT)
            self._clients[key] = client
        return client


def refusal(exc: HttpOperationError) -> tuple[int | None, str | None]:
    """The HTTP status and Retry-After header of a refused request (msrest keeps the aiohttp response)."""
    response = exc.response
    if not isinstance(response, aiohttp.ClientResponse):
        return None, None
    return response.status, response.headers.get("Retry-After")


class PooledConnectorFactory(ConnectorFactory):
    """A `ConnectorFactory` for one app id whose clients come from a `ConnectorPool`."""

    def __init__(self, pool: ConnectorPool, app_id: str | None) -> None:
        self._pool = pool
        self._app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return await self._pool.client(self._app_id, service_url, audience)
