"""Small upstream providers on loopback, for what a real provider will not do on request.

``FakeProvider(oidc=True)`` is a minimal OpenID provider (discovery, JWKS, authorize, token,
userinfo) whose ID tokens can be told to lie (another ``iss``, ``aud`` or ``nonce``): the hostile
tests need a provider that misbehaves, which panva's oidc-provider (the honest one,
``test_oidc_provider_in_chromium.py``) never does.

``FakeProvider(oidc=False)`` is GitHub-shaped (``/login/oauth/authorize``,
``/login/oauth/access_token``, ``/user`` with a numeric ``id``, ``/user/emails``): GitHub itself
cannot be reached from this machine (no network beyond the package registries), so its shape
is reproduced here as its documentation describes it.

Both check what a real provider checks: the client's secret, the redirect URI and the PKCE
S256 verifier; the authorization step signs in ``next_user`` at once (no login page).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from jotauth import jose


@dataclass
class FakeUser:
    """Who the fake provider signs in."""

    sub: str
    email: str | None
    email_verified: bool = True
    name: str = "Fed User"


@dataclass
class _Grant:
    user: FakeUser
    redirect_uri: str
    challenge: str
    nonce: str | None


@dataclass
class FakeProvider:
    """A provider on 127.0.0.1; ``url`` is its issuer."""

    oidc: bool = True
    client_id: str = "jotauth-downstream"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    next_user: FakeUser = field(default_factory=lambda: FakeUser("u-1", "fed@example.org"))
    # Claims that override the honest ones in the next ID tokens (hostile tests).
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    send_iss: bool = True  # the RFC 9207 iss parameter on the redirect
    iss_override: str | None = None
    token_status: int = 200
    key: jose.Key = field(default_factory=lambda: jose.Key.generate("RS256"))
    # Signs the next ID tokens instead of the published key (a forged signature).
    sign_with: jose.Key | None = None
    grants: dict[str, _Grant] = field(default_factory=dict)
    url: str = ""

    def start(self) -> FakeProvider:
        """Listen on a free loopback port (in a daemon thread)."""
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                provider._get(self)

            def do_POST(self) -> None:
                provider._post(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening: the provider is down from now on."""
        self._server.shutdown()
        self._server.server_close()

    # --- where things are -------------------------------------------------------------------

    @property
    def authorize_path(self) -> str:
        return "/authorize" if self.oidc else "/login/oauth/authorize"

    def add_args(self, name: str, *extra: str) -> list[str]:
        """``jotauth providers add`` arguments for this provider."""
        common = ["--client-id", self.client_id, "--client-secret", self.client_secret]
        if self.oidc:
            return ["providers", "add", name, "--issuer", self.url, *common, *extra]
        return [
            "providers",
            "add",
            name,
            "--issuer",
            self.url,
            "--authorize-url",
            f"{self.url}/login/oauth/authorize",
            "--token-url",
            f"{self.url}/login/oauth/access_token",
            "--userinfo-url",
            f"{self.url}/user",
            "--emails-url",
            f"{self.url}/user/emails",
            "--scope",
            "read:user",
            "--scope",
            "user:email",
            *common,
            *extra,
        ]

    # --- HTTP -----------------------------------------------------------------------------

    def _get(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration" and self.oidc:
            _json(
                request,
                {
                    "issuer": self.url,
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token",
                    "userinfo_endpoint": f"{self.url}/userinfo",
                    "jwks_uri": f"{self.url}/jwks",
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                    "authorization_response_iss_parameter_supported": self.send_iss,
                },
            )
        elif parts.path == "/jwks" and self.oidc:
            _json(request, {"keys": [self.key.public_jwk()]})
        elif parts.path == self.authorize_path:
            self._authorize(request, query)
        elif parts.path in ("/userinfo", "/user", "/user/emails"):
            self._user_endpoint(request, parts.path)
        else:
            _json(request, {"error": "not_found"}, status=404)

    def _authorize(self, request: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        if query.get("client_id") != self.client_id or query.get("code_challenge_method") != "S256":
            _json(request, {"error": "invalid_request"}, status=400)
            return
        code = secrets.token_urlsafe(16)
        self.grants[code] = _Grant(
            self.next_user, query["redirect_uri"], query["code_challenge"], query.get("nonce")
        )
        back = {"code": code, "state": query.get("state", "")}
        if self.oidc and self.send_iss:
            back["iss"] = self.iss_override or self.url
        request.send_response(302)
        request.send_header("Location", f"{query['redirect_uri']}?{urlencode(back)}")
        request.end_headers()

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
        if urlsplit(request.path).path not in ("/token", "/login/oauth/access_token"):
            _json(request, {"error": "not_found"}, status=404)
            return
        if self.token_status != 200:
            _json(request, {"error": "server_error"}, status=self.token_status)
            return
        if not self._client_authenticated(request, form):
            _json(request, {"error": "invalid_client"}, status=401)
            return
        grant = self.grants.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or grant.redirect_uri != form.get("redirect_uri")
            or digest.rstrip(b"=").decode() != grant.challenge
        ):
            _json(request, {"error": "invalid_grant"}, status=400)
            return
        access = "at-" + secrets.token_urlsafe(16)
        self._tokens[access] = grant.user
        body: dict[str, Any] = {"access_token": access, "token_type": "bearer"}
        if self.oidc:
            now = int(time.time())
            claims: dict[str, Any] = {
                "iss": self.url,
                "sub": grant.user.sub,
                "aud": self.client_id,
                "exp": now + 300,
                "iat": now,
                "nonce": grant.nonce,
                "email": grant.user.email,
                "email_verified": grant.user.email_verified,
                "name": grant.user.name,
            }
            claims.update(self.id_token_overrides)
            body["id_token"] = jose.encode(
                {k: v for k, v in claims.items() if v is not None},
                self.sign_with or self.key,
                typ="JWT",
            )
        _json(request, body)

    def _client_authenticated(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            pair = base64.b64decode(header[6:]).decode()
            return pair == f"{self.client_id}:{self.client_secret}"
        return (
            form.get("client_id") == self.client_id
            and form.get("client_secret") == self.client_secret
        )

    def _user_endpoint(self, request: BaseHTTPRequestHandler, path: str) -> None:
        header = request.headers.get("Authorization", "")
        user = self._tokens.get(header.removeprefix("Bearer ").strip())
        if user is None:
            _json(request, {"message": "Bad credentials"}, status=401)
        elif path == "/userinfo":
            _json(request, {"sub": user.sub, "email": user.email, "name": user.name})
        elif path == "/user":
            # GitHub: a numeric id, the public email usually null.
            _json(request, {"id": int(user.sub), "login": "octo", "name": user.name, "email": None})
        else:
            _json(
                request,
                [
                    {"email": "old@example.net", "primary": False, "verified": True},
                    {"email": user.email, "primary": True, "verified": user.email_verified},
                ],
            )

    def __post_init__(self) -> None:
        self._tokens: dict[str, FakeUser] = {}


def _json(request: BaseHTTPRequestHandler, body: object, *, status: int = 200) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
