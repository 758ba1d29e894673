"""A local Microsoft identity platform token endpoint, served over HTTPS (msal accepts only https authorities).

It answers msal's tenant discovery (`/{tenant}/v2.0/.well-known/openid-configuration`) and the client
credentials grant (`/{tenant}/oauth2/v2.0/token`), checking the client id, secret and scope. The access token is
a JWT-shaped string (unsigned: only the `roles` claim is read, by `mail check`) carrying the application
permissions given to the stub. Every token request is recorded, so tests see msal's cache at work.
"""

from __future__ import annotations

import base64
import json
import ssl
from typing import Any

from aiohttp import web

from tests.http import LocalServer

TENANT = "00000000-0000-4000-8000-000000000001"
CLIENT_ID = "11111111-1111-4111-8111-111111111111"
CLIENT_SECRET = "local-client-secret"


def _error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class LoginStub(LocalServer):
    """The fake authority. `authority_host` is what `GRAPH_AUTHORITY` should say."""

    def __init__(self, ssl_context: ssl.SSLContext, *, roles: tuple[str, ...] = ("Mail.ReadWrite", "Mail.Send")):
        self.roles = roles
        self.token_requests: list[dict[str, str]] = []
        self.discoveries = 0
        self.scopes: list[str] = []
        self.issued: list[str] = []
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        super().__init__(app, tls=ssl_context)

    @property
    def authority_host(self) -> str:
        return self.url

    async def _discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if tenant != TENANT:
            return _error(400, "invalid_tenant", "AADSTS90002: no such tenant")
        self.discoveries += 1
        base = f"{self.url}/{tenant}"
        return web.json_response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{base}/v2.0",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != CLIENT_ID:
            return _error(400, "unauthorized_client", "AADSTS700016: unknown app")
        if form.get("client_secret") != CLIENT_SECRET:
            return _error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        self.scopes.append(form.get("scope", ""))
        claims = {"roles": list(self.roles), "n": len(self.issued)}
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.sig"
        self.issued.append(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": token})
