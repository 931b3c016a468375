"""The identity-provider recipes of docs/guides/identity-providers.md, run as written: for
Auth0, Keycloak, Entra ID, Okta, Cognito and Google, a verifier built by the recipe's
``TokenVerifier.from_issuer(...)``
(the issuer swapped for a local stand-in serving discovery + JWKS on loopback) guards a
FastAPI app served by uvicorn, and tokens shaped like that provider's (claims as its
documentation shows them, signed by PyJWT) get through or are refused over real HTTP."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from jotauth.guard import JWTAuthMiddleware
from jotauth.guard.fastapi import (
    CurrentUser,
    install_problem_handler,
    require_roles,
    require_scopes,
)
from jotauth.verify import TokenVerifier
from tests.integration.guard.guard_harness import served
from tests.support.idp import LocalIdp, running_idp
from tests.support.problems import assert_problem
from tests.support.tokens import bearer

RECIPES = Path(__file__).resolve().parents[3] / "docs" / "guides" / "identity-providers.md"
Claims = dict[str, Any]


@dataclass(frozen=True)
class Shape:
    """What one provider's tokens look like, and where it publishes its metadata and keys."""

    name: str  # the recipe's heading
    issuer_path: str
    jwks_path: str
    access_header: dict[str, Any]
    access: Callable[[str, str, int], Claims]  # (issuer, audience, now) -> claims
    id_header: dict[str, Any]
    id_token: Callable[[str, str, int], Claims]
    id_refusal: str  # the code an ID token presented as an access token gets
    scope: str | None  # a scope the access token holds (a route requires it)
    role: str | None  # a role the access token holds (a route requires it)
    audience_claim: str = "aud"
    metadata: Literal["openid", "oauth"] = "openid"
    jwks_alg: bool = True
    extra_refusals: dict[str, tuple[Claims, str]] = field(default_factory=dict)


def _uuid() -> str:
    return str(uuid.uuid4())


AUTH0_CLIENT = "Xb3s9DkLmN0pQrStUvWxYz012345"
AUTH0 = Shape(
    name="Auth0",
    issuer_path="/",
    jwks_path="/.well-known/jwks.json",
    access_header={"typ": "JWT"},
    access=lambda iss, aud, now: {
        "iss": iss, "sub": "auth0|64f1c2a9e4b0d2a1b3c4d5e6", "aud": [aud, iss + "userinfo"],
        "iat": now, "exp": now + 86400, "azp": AUTH0_CLIENT,
        "scope": "openid profile email read:lessons", "permissions": ["read:lessons"],
        "https://example.com/roles": ["admin"],
    },
    id_header={"typ": "JWT"},
    id_token=lambda iss, aud, now: {
        "iss": iss, "sub": "auth0|64f1c2a9e4b0d2a1b3c4d5e6", "aud": AUTH0_CLIENT, "iat": now,
        "exp": now + 36000, "nonce": "n-0S6_WzA2Mj", "sid": "c5yBKcl7kbfm2X1WRd9NUhmX",
        "name": "Ada Lovelace", "email": "ada@example.com", "email_verified": True,
    },
    id_refusal="bad_audience",
    scope="read:lessons",
    role="admin",
)  # fmt: skip

KEYCLOAK = Shape(
    name="Keycloak",
    issuer_path="/realms/demo",
    jwks_path="/realms/demo/protocol/openid-connect/certs",
    access_header={"typ": "JWT"},
    access=lambda iss, aud, now: {
        "exp": now + 300, "iat": now, "auth_time": now - 5, "jti": _uuid(), "iss": iss,
        "aud": [aud, "account"], "sub": "36fa0f91-f94d-4a0c-afed-6b7d952e47da",
        "typ": "Bearer", "azp": "lessons-spa", "sid": _uuid(), "acr": "1",
        "allowed-origins": ["https://app.example.com"],
        "realm_access": {"roles": ["offline_access", "default-roles-demo", "admin"]},
        "resource_access": {"account": {"roles": ["manage-account", "view-profile"]}},
        "scope": "openid email profile lessons:read", "email_verified": True,
        "name": "Ada Lovelace", "preferred_username": "ada", "email": "ada@example.com",
    },
    id_header={"typ": "JWT"},
    # One Keycloak client for the SPA and the API: the ID token's aud is the API's audience
    # too, and only its typ claim ("ID") tells it apart.
    id_token=lambda iss, aud, now: {
        "exp": now + 300, "iat": now, "auth_time": now - 5, "jti": _uuid(), "iss": iss,
        "aud": aud, "sub": "36fa0f91-f94d-4a0c-afed-6b7d952e47da", "typ": "ID",
        "azp": aud, "nonce": "n-0S6_WzA2Mj", "sid": _uuid(), "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
        "acr": "1", "email_verified": True, "preferred_username": "ada",
    },
    id_refusal="bad_claim",
    scope="lessons:read",
    role="admin",
)  # fmt: skip

TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
SPA_APP = "f2a0f6a4-3b1c-4a5e-9d8c-7b6a5f4e3d2c"
ENTRA = Shape(
    name="Entra ID",
    issuer_path=f"/{TENANT}/v2.0",
    jwks_path=f"/{TENANT}/discovery/v2.0/keys",
    access_header={"typ": "JWT", "x5t": "nOo3ZDrODXEK1jKWhXslHR_KXEg"},
    access=lambda iss, aud, now: {
        "aud": aud, "iss": iss, "iat": now, "nbf": now, "exp": now + 3900,
        "aio": "AXQAi/8TAAAAr1l5qmSYh0Sbm1Dz9x1bl7kRlwbQS7qvY7mMIwUWu", "azp": SPA_APP,
        "azpacr": "0", "name": "Ada Lovelace", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "preferred_username": "ada@contoso.com", "rh": "0.AR8AmIxAkkM2Rk-",
        "roles": ["Lessons.Admin"], "scp": "Lessons.Read User.Read",
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": TENANT,
        "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
    },
    id_header={"typ": "JWT", "x5t": "nOo3ZDrODXEK1jKWhXslHR_KXEg"},
    id_token=lambda iss, aud, now: {
        "aud": SPA_APP, "iss": iss, "iat": now, "nbf": now, "exp": now + 3600,
        "name": "Ada Lovelace", "nonce": "12345", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "preferred_username": "ada@contoso.com", "rh": "0.AR8AmIxAkkM2Rk-",
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": TENANT,
        "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
    },
    id_refusal="bad_audience",
    scope="Lessons.Read",
    role="Lessons.Admin",
    jwks_alg=False,  # Entra publishes its keys without alg
    extra_refusals={
        # A v1.0 token (accessTokenAcceptedVersion not 2) names another issuer.
        "v1_token": ({"iss": f"https://sts.windows.net/{TENANT}/", "ver": "1.0"}, "bad_issuer"),
    },
)  # fmt: skip

OKTA_CLIENT = "0oa1b2c3d4EXAMPLE5d7"
OKTA = Shape(
    name="Okta",
    issuer_path="/oauth2/default",
    jwks_path="/oauth2/default/v1/keys",
    access_header={"typ": None},
    access=lambda iss, aud, now: {
        "ver": 1, "jti": "AT.Bk2-dYRwNfbdn0bYzbKMpJYHBsSvRGGxrPy1oKgOG-Y", "iss": iss,
        "aud": aud, "iat": now, "exp": now + 3600, "cid": OKTA_CLIENT, "uid": "00u1b2c3d4EX",
        "scp": ["openid", "profile", "lessons:read"], "auth_time": now - 60,
        "sub": "ada@example.com", "groups": ["Everyone", "admin"],
    },
    id_header={"typ": None},
    id_token=lambda iss, aud, now: {
        "sub": "00u1b2c3d4EX", "name": "Ada Lovelace", "email": "ada@example.com", "ver": 1,
        "iss": iss, "aud": OKTA_CLIENT, "iat": now, "exp": now + 3600,
        "jti": "ID.radCQMOQUmyvcTBmmIL0J6BaS60apUEiC7-vI7pOmkw", "amr": ["pwd"],
        "idp": "00o1b2c3d4EX", "preferred_username": "ada@example.com", "auth_time": now - 60,
        "at_hash": "fPlsvVszI29LU2UhDyJ9vg",
    },
    id_refusal="missing_claim",  # no cid
    scope="lessons:read",
    role="admin",
    metadata="oauth",  # only RFC 8414's document: the fallback is exercised
)  # fmt: skip

COGNITO = Shape(
    name="Cognito",
    issuer_path="/eu-west-1_EXAMPLE",
    jwks_path="/eu-west-1_EXAMPLE/.well-known/jwks.json",
    access_header={"typ": None},
    access=lambda iss, aud, now: {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "cognito:groups": ["admin"],
        "iss": iss, "version": 2, "client_id": aud, "origin_jti": _uuid(), "event_id": _uuid(),
        "token_use": "access", "scope": "openid email lessons/read", "auth_time": now - 10,
        "exp": now + 3600, "iat": now, "jti": _uuid(), "username": "ada",
    },
    id_header={"typ": None},
    id_token=lambda iss, aud, now: {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "cognito:groups": ["admin"],
        "email_verified": True, "iss": iss, "cognito:username": "ada",
        "origin_jti": _uuid(), "aud": aud, "event_id": _uuid(), "token_use": "id",
        "auth_time": now - 10, "exp": now + 3600, "iat": now, "jti": _uuid(),
        "email": "ada@example.com",
    },
    id_refusal="missing_claim",  # no client_id (and token_use "id")
    scope="lessons/read",
    role="admin",
    audience_claim="client_id",
    extra_refusals={
        # An ID-token-shaped token that does carry client_id: token_use still tells.
        "token_use_id": ({"token_use": "id"}, "bad_claim"),
    },
)  # fmt: skip

GOOGLE_CLIENT = "1234567890-abc.apps.googleusercontent.com"
GOOGLE = Shape(
    name="Google",
    issuer_path="",
    jwks_path="/oauth2/v3/certs",
    access_header={"typ": "JWT"},
    access=lambda iss, aud, now: {
        "iss": iss, "azp": aud, "aud": aud, "sub": "110169484474386276334",
        "email": "ada@example.com", "email_verified": True, "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
        "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
        "hd": "example.com", "iat": now, "exp": now + 3600,
    },
    id_header={"typ": "JWT"},
    # Google's access tokens are opaque; what cannot pass is an ID token for another client.
    id_token=lambda iss, aud, now: {
        "iss": iss, "azp": "999-other.apps.googleusercontent.com",
        "aud": "999-other.apps.googleusercontent.com", "sub": "110169484474386276334",
        "email": "ada@example.com", "email_verified": True, "iat": now, "exp": now + 3600,
    },
    id_refusal="bad_audience",
    scope=None,
    role=None,
)  # fmt: skip

SHAPES = {shape.name: shape for shape in (AUTH0, KEYCLOAK, ENTRA, OKTA, COGNITO, GOOGLE)}


def recipe(name: str, issuer: str) -> TokenVerifier:
    """The docs' recipe for ``name``, run with the local issuer in place of the real one."""
    match = re.search(
        rf"^## {re.escape(name)}\n+```python\n(.*?)```", RECIPES.read_text(), re.M | re.S
    )
    assert match, f"no recipe for {name} in {RECIPES.name}"
    code = re.sub(r'from_issuer\(\s*"[^"]*"', f"from_issuer({issuer!r}", match.group(1), count=1)
    namespace: dict[str, Any] = {"TokenVerifier": TokenVerifier}
    exec(code, namespace)  # the docs' own text: a recipe that does not run fails here
    verifier = namespace["verifier"]
    assert isinstance(verifier, TokenVerifier)
    return verifier


def guarded_app(verifier: TokenVerifier, shape: Shape) -> FastAPI:
    app = FastAPI()
    install_problem_handler(app)
    app.add_middleware(JWTAuthMiddleware, verifier=verifier)

    @app.get("/api/me")
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {"sub": user.sub, "scope": sorted(user.scope), "roles": sorted(user.roles),
                "azp": user.azp}  # fmt: skip

    if shape.scope:

        @app.get("/api/lessons", dependencies=[Depends(require_scopes(shape.scope))])
        async def lessons() -> dict[str, bool]:
            return {"lessons": True}

    if shape.role:

        @app.get("/api/admin", dependencies=[Depends(require_roles(shape.role))])
        async def admin() -> dict[str, bool]:
            return {"admin": True}

    return app


@dataclass
class Provider:
    shape: Shape
    idp: LocalIdp
    verifier: TokenVerifier
    audience: str
    http: httpx.Client

    def access(self, **changes: Any) -> Claims:
        claims = self.shape.access(self.idp.issuer, self.audience, int(time.time()))
        return _changed(claims, changes)

    def get(self, path: str, token: str) -> httpx.Response:
        return self.http.get(path, headers=bearer(token))


def _changed(claims: Claims, changes: dict[str, Any]) -> Claims:
    out = {**claims, **changes}
    return {name: value for name, value in out.items() if value is not None}


@pytest.fixture(scope="module", params=sorted(SHAPES))
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    shape = SHAPES[request.param]
    with running_idp(
        issuer_path=shape.issuer_path,
        jwks_path=shape.jwks_path,
        metadata=shape.metadata,
        jwks_alg=shape.jwks_alg,
    ) as idp:
        verifier = recipe(shape.name, idp.issuer)
        (audience,) = verifier.policy.audiences
        assert idp.metadata_requests == 1  # discovery happens once, at construction
        with served(guarded_app(verifier, shape)) as app, httpx.Client(base_url=app.url) as http:
            yield Provider(shape, idp, verifier, audience, http)


def test_the_providers_access_token_gets_through_with_its_scopes_and_roles(
    provider: Provider,
) -> None:
    shape, idp = provider.shape, provider.idp
    claims = provider.access()
    token = idp.sign(claims, header=shape.access_header)
    # The independent producer's own verifier agrees the token is what it claims to be.
    public_key = jwt.PyJWK(idp.jwks()["keys"][0], algorithm="RS256").key
    jwt.decode(token, public_key, algorithms=["RS256"], issuer=idp.issuer,
               options={"verify_aud": False})  # fmt: skip

    me = provider.get("/api/me", token)
    assert me.status_code == 200, me.text
    assert me.json()["sub"] == claims["sub"]
    assert me.json()["azp"] == claims.get("azp")
    if shape.scope:
        assert shape.scope in me.json()["scope"]
        assert provider.get("/api/lessons", token).json() == {"lessons": True}
    if shape.role:
        assert shape.role in me.json()["roles"]
        assert provider.get("/api/admin", token).json() == {"admin": True}
    for _ in range(3):
        assert provider.get("/api/me", token).status_code == 200
    assert idp.jwks_requests == 1  # keys fetched once and cached


def test_the_providers_id_token_is_not_an_access_token(provider: Provider) -> None:
    shape, idp = provider.shape, provider.idp
    claims = shape.id_token(idp.issuer, provider.audience, int(time.time()))
    response = provider.get("/api/me", idp.sign(claims, header=shape.id_header))
    assert_problem(response, 401, shape.id_refusal)


def test_a_token_for_another_audience_is_refused(provider: Provider) -> None:
    shape = provider.shape
    name = shape.audience_claim
    claims = provider.access(**{name: "https://another-api.example.com"})
    response = provider.get("/api/me", provider.idp.sign(claims, header=shape.access_header))
    assert_problem(response, 401, "bad_audience")


@pytest.mark.parametrize("typ", ["id+jwt", "logout+jwt", "application/secevent+jwt"])
def test_a_typ_outside_the_configured_set_is_refused(provider: Provider, typ: str) -> None:
    token = provider.idp.sign(provider.access(), header={"typ": typ})
    assert_problem(provider.get("/api/me", token), 401, "bad_type")


@pytest.mark.parametrize("scp", [42, {"lessons:read": True}, ["lessons:read", 1], True])
def test_an_scp_of_the_wrong_type_is_refused(provider: Provider, scp: object) -> None:
    claims = provider.access(scp=scp, scope=None)
    token = provider.idp.sign(claims, header=provider.shape.access_header)
    body = assert_problem(provider.get("/api/me", token), 401, "bad_claim")
    assert "scp" in body["detail"]


def test_a_token_without_the_role_is_forbidden_on_the_role_route(provider: Provider) -> None:
    shape = provider.shape
    if shape.role is None:
        pytest.skip(f"{shape.name} tokens carry no roles")
    roles_path = provider.verifier.policy.roles_path
    claims = provider.access()
    holder = claims
    for name in roles_path[:-1]:
        holder = holder[name]
    holder[roles_path[-1]] = ["reader"]
    token = provider.idp.sign(claims, header=shape.access_header)
    assert provider.get("/api/me", token).status_code == 200
    assert_problem(provider.get("/api/admin", token), 403, "insufficient_scope")


def test_provider_specific_impostors_are_refused(provider: Provider) -> None:
    shape = provider.shape
    if not shape.extra_refusals:
        pytest.skip(f"nothing specific to {shape.name}")
    for label, (changes, code) in shape.extra_refusals.items():
        token = provider.idp.sign(provider.access(**changes), header=shape.access_header)
        response = provider.get("/api/me", token)
        assert response.status_code == 401, label
        assert_problem(response, 401, code)
