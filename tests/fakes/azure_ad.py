"""A local Azure AD for the bot's own outbound token: the authority msal discovers, and its token endpoint.

botbuilder gets the bot's token with msal from `TO_CHANNEL_FROM_BOT_LOGIN_URL`. msal takes only https
authorities and, for a host it does not know, asks Microsoft's instance discovery first unless the authority
is an AD FS one (`/adfs`), so this server speaks TLS with a throwaway certificate for 127.0.0.1 and serves
`/adfs`. Point `REQUESTS_CA_BUNDLE` (what msal's `requests` session trusts) at `ca_file`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.tls import make_certificate
from tests.http import LocalServer

ACCESS_TOKEN = "bot-token-from-the-local-azure-ad"


@web.middleware
async def _no_keep_alive(request: web.Request, handler: Any) -> web.StreamResponse:
    """Close each connection after its answer: msal keeps its `requests` session, and a kept-alive TLS
    connection would outlive the server."""
    response = await handler(request)
    response.force_close()
    return response


class AzureAd(LocalServer):
    """The fake authority. `async with AzureAd(tmp_path) as aad:`; `aad.authority` is the login URL."""

    def __init__(self, directory: Path) -> None:
        certificate = make_certificate(directory)
        self.certificate = certificate  # another local HTTPS fake can serve it too: clients then trust one file
        self.ca_file = certificate.cert_file
        tls = certificate.server_context()
        self.token_requests: list[dict[str, Any]] = []
        app = web.Application(middlewares=[_no_keep_alive])
        app.router.add_get("/adfs/.well-known/openid-configuration", self._metadata)
        app.router.add_post("/adfs/oauth2/token", self._token)
        super().__init__(app, tls=tls)

    @property
    def authority(self) -> str:
        """What `TO_CHANNEL_FROM_BOT_LOGIN_URL` should be."""
        return self.url + "/adfs"

    async def _metadata(self, _request: web.Request) -> web.Response:
        base = self.authority
        return web.json_response({
            "issuer": base,
            "authorization_endpoint": base + "/oauth2/authorize",
            "token_endpoint": base + "/oauth2/token",
        })

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        return web.json_response({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600})
