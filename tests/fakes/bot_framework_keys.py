"""A local stand-in for the Bot Framework token issuer: OpenID metadata, the signing keys (JWKS), and tokens.

botbuilder validates a channel's JWT against the keys listed at the OpenID metadata URL
(the `TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL` setting); tests point that at `metadata_url` and sign tokens
with `token()`. A token signed with any other key is a forgery with the right shape.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.http import LocalServer

CHANNEL_ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    """A fresh RSA signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class SigningKeys(LocalServer):
    """The fake issuer. Use as `async with SigningKeys() as keys:`."""

    def __init__(self, *, kid: str = "ticketbot-test-key", endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.kid = kid
        self.key = new_key()
        self.endorsements = list(endorsements)
        self.fetches = 0
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        super().__init__(app)

    @property
    def metadata_url(self) -> str:
        """Where botbuilder should read the OpenID metadata."""
        return self.url + "/v1/.well-known/openidconfiguration"

    def token(self, *, app_id: str, service_url: str, key: rsa.RSAPrivateKey | None = None,
              issuer: str = CHANNEL_ISSUER, lifetime: int = 3600, **claims: Any) -> str:
        """A channel token for the bot `app_id`, signed with this issuer's key unless another `key` is given."""
        now = int(time.time())
        payload = {"iss": issuer, "aud": app_id, "serviceurl": service_url, "nbf": now - 60, "iat": now - 60,
                   "exp": now + lifetime, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    async def _metadata(self, _request: web.Request) -> web.Response:
        self.fetches += 1
        return web.json_response({"issuer": CHANNEL_ISSUER, "jwks_uri": self.url + "/v1/.well-known/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"]})

    async def _keys(self, _request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "endorsements": self.endorsements})
        return web.json_response({"keys": [jwk]})
