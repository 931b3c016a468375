"""An OpenID Connect authorization-code flow with PKCE, as a public client runs it: the
authorize URL a browser test opens, and the code's redemption at ``/oauth2/token`` with the
ID token verified by PyJWT (an independent implementation) against the server's JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import subprocess
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt


class AuthServer(Protocol):
    """What the flow needs of a running ``jotauth serve``."""

    url: str

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]: ...


def add_first_party_public_client(server: AuthServer, redirect_uri: str) -> dict[str, str]:
    """A first-party public client (no consent page) redirecting to ``redirect_uri``."""
    done = server.cli(
        "clients", "add", "Own app", "--redirect-uri", redirect_uri, "--public", "--first-party"
    )
    assert done.returncode == 0, done.stderr
    return {"client_id": json.loads(done.stdout)["client_id"], "redirect_uri": redirect_uri}


@dataclass
class CodeFlow:
    """One authorization request of ``client`` at ``server`` (state ``st``, a fresh nonce)."""

    server: AuthServer
    client: dict[str, str]
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def authorize_url(self) -> str:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.client["client_id"],
            "redirect_uri": self.client["redirect_uri"],
            "scope": "openid",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            "state": "st",
            "nonce": self.nonce,
        }
        return f"{self.server.url}/oauth2/authorize?{urlencode(query)}"

    def redeem(self, callback_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The token answer for the code in ``callback_url`` and its ID token's claims."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
        assert params["state"] == "st"
        tokens = httpx.post(
            f"{self.server.url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": self.client["redirect_uri"],
                "client_id": self.client["client_id"],
                "code_verifier": self.verifier,
            },
        )
        assert tokens.status_code == 200, tokens.text
        answer = tokens.json()
        keys = jwt.PyJWKClient(f"{self.server.url}/.well-known/jwks.json")
        claims = jwt.decode(
            answer["id_token"],
            keys.get_signing_key_from_jwt(answer["id_token"]).key,
            algorithms=["RS256"],
            audience=self.client["client_id"],
            issuer=self.server.url,
        )
        assert claims["nonce"] == self.nonce
        return answer, claims
