"""JWTAuthMiddleware over real HTTP: tokens good and bad, where they come from, paths,
CORS preflight, CSRF, and what happens when the keys cannot be fetched."""

import time

import httpx
import pytest

from jotauth.http.csrf import csrf_key, session_csrf_token
from jotauth.jose import Key
from tests.integration.guard.guard_apps import ACCESS_COOKIE, guarded_test_app
from tests.integration.guard.guard_harness import (
    APP_ORIGIN,
    CSRF_SECRET,
    ServedApp,
    raw_request,
    served,
)
from tests.support.ports import free_port
from tests.support.problems import BARE_CHALLENGE, challenge
from tests.support.tokens import bearer, forge, hs256_with_public_key


def get(server: ServedApp, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(server.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def assert_invalid_token(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert challenge(response).startswith('Bearer realm="jotauth", error="invalid_token"')
    assert "error_description=" in challenge(response)


# --- valid tokens ----------------------------------------------------------------------------


def test_valid_bearer_token_reaches_the_route_with_claims_in_user_and_state(guarded, mint):
    response = get(guarded, "/api/whoami", headers=bearer(mint.token(sub="alice")))
    assert response.status_code == 200
    assert response.json() == {
        "sub": "alice",
        "state_sub": "alice",
        "request_user_sub": "alice",
        "scope": ["lessons:read"],
    }


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(guarded, mint, scheme):
    response = get(guarded, "/api/whoami", headers={"Authorization": f"{scheme} {mint.token()}"})
    assert response.status_code == 200


def test_valid_access_cookie_authenticates_a_safe_request(guarded, mint):
    response = get(guarded, "/api/whoami", headers={"Cookie": f"{ACCESS_COOKIE}={mint.token()}"})
    assert response.status_code == 200


def test_bearer_header_wins_over_cookie_in_the_default_order(guarded, mint):
    headers = {**bearer(mint.token(sub="header")), "Cookie": f"{ACCESS_COOKIE}={mint.token()}"}
    assert get(guarded, "/api/whoami", headers=headers).json()["sub"] == "header"


def test_an_invalid_bearer_header_is_not_rescued_by_a_valid_cookie(guarded, mint):
    headers = {**bearer("not.a.jwt"), "Cookie": f"{ACCESS_COOKIE}={mint.token()}"}
    assert get(guarded, "/api/whoami", headers=headers).status_code == 401


# --- invalid tokens --------------------------------------------------------------------------


def test_expired_token_is_401_expired(guarded, mint):
    now = int(time.time())
    token = mint.token(iat=now - 600, exp=now - 120)  # beyond the 30 s leeway
    assert_invalid_token(get(guarded, "/api/whoami", headers=bearer(token)), "expired")


def test_not_yet_valid_token_is_401(guarded, mint):
    token = mint.token(nbf=int(time.time()) + 600)
    assert_invalid_token(get(guarded, "/api/whoami", headers=bearer(token)), "not_yet_valid")


def test_token_of_another_issuer_is_401_bad_issuer(guarded, mint):
    token = mint.token(iss="https://evil.example")
    assert_invalid_token(get(guarded, "/api/whoami", headers=bearer(token)), "bad_issuer")


def test_token_for_another_audience_is_401_bad_audience(guarded, mint):
    token = mint.token(aud="another-api")
    assert_invalid_token(get(guarded, "/api/whoami", headers=bearer(token)), "bad_audience")


def test_tampered_payload_is_401_bad_signature(guarded, mint):
    header, _, signature = mint.token().split(".")
    forged_payload = forge({}, mint.claims(sub="admin", roles=["admin"])).split(".")[1]
    token = f"{header}.{forged_payload}.{signature}"
    assert_invalid_token(get(guarded, "/api/whoami", headers=bearer(token)), "bad_signature")


def test_token_signed_by_an_unpublished_key_is_401_unknown_kid(guarded, mint):
    stranger = Key.generate("RS256", kid="not-published")
    token = mint.token(key=stranger)
    assert_invalid_token(get(guarded, "/api/whoami", headers=bearer(token)), "unknown_kid")


def test_unsecured_alg_none_token_is_rejected(guarded, mint):
    token = forge({"alg": "none", "typ": "at+jwt"}, mint.claims(roles=["admin"]))
    response = get(guarded, "/api/whoami", headers=bearer(token.rstrip(".") + "."))
    assert response.status_code == 401
    assert response.json()["code"] in {"alg_none", "unsupported_alg"}


def test_hs256_token_keyed_with_the_rsa_public_key_is_rejected(guarded, mint):
    token = hs256_with_public_key(mint.key, mint.claims(roles=["admin"]))
    response = get(guarded, "/api/whoami", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] in {"unsupported_alg", "alg_mismatch"}


def test_token_with_a_header_supplied_key_is_rejected(guarded, mint):
    attacker = Key.generate("RS256", kid="guard-test-key")
    token = forge(
        {"alg": "RS256", "kid": "guard-test-key", "jwk": attacker.public_jwk()}, mint.claims()
    )
    assert_invalid_token(get(guarded, "/api/whoami", headers=bearer(token)), "header_key_forbidden")


def test_garbage_token_is_401_never_500(guarded):
    for token in ["x", "a.b.c", "eyJ.eyJ.", "...", "a" * 9000]:
        response = get(guarded, "/api/whoami", headers=bearer(token))
        assert response.status_code == 401, token


# --- missing token, wrong place, malformed header ---------------------------------------------


def test_missing_token_is_401_with_a_bare_challenge(guarded):
    response = get(guarded, "/api/whoami")
    assert response.status_code == 401
    assert challenge(response) == BARE_CHALLENGE
    assert response.json()["code"] == "missing_token"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "placement",
    ["query", "no_scheme", "token_scheme", "basic_scheme", "other_cookie", "custom_header"],
)
def test_token_in_the_wrong_place_counts_as_no_token(guarded, mint, placement):
    token = mint.token()
    params, headers = {}, {}
    if placement == "query":
        params = {"access_token": token}  # RFC 6750 §2.3 is deliberately not supported
    elif placement == "no_scheme":
        headers = {"Authorization": token}
    elif placement == "token_scheme":
        headers = {"Authorization": f"Token {token}"}
    elif placement == "basic_scheme":
        headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    elif placement == "other_cookie":
        headers = {"Cookie": f"access_token={token}"}
    else:
        headers = {"X-Access-Token": token}
    response = get(guarded, "/api/whoami", params=params, headers=headers)
    assert response.status_code == 401
    assert challenge(response) == BARE_CHALLENGE


@pytest.mark.parametrize(
    "value",
    [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer a,b",
        "Bearer a;b",
        "Bearer  \u00e9t\u00e9",
        "Bearer=x",
    ],
)
def test_malformed_bearer_header_is_400_malformed_authorization(guarded, value):
    status, body = raw_request(guarded.port, "GET /api/whoami HTTP/1.1", {"Authorization": value})
    assert status == 400, (value, body)
    assert b'"code":"malformed_authorization"' in body


def test_two_authorization_headers_are_400_invalid_request(guarded, mint):
    token = mint.token()
    response = httpx.get(
        guarded.url + "/api/whoami",
        headers=[("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")],
    )
    assert response.status_code == 400
    assert 'error="invalid_request"' in challenge(response)


# --- paths -----------------------------------------------------------------------------------


def test_prefix_does_not_protect_a_longer_segment(guarded):
    assert get(guarded, "/apix").status_code == 200
    assert get(guarded, "/open").status_code == 200


def test_excluded_prefix_is_public_and_sees_no_user(guarded, mint):
    response = get(guarded, "/api/public/ping", headers=bearer(mint.token()))
    assert response.json() == {"public": True, "user": None}


@pytest.mark.parametrize(
    "target",
    [
        "/api",
        "/api/",
        "/API/whoami",
        "/Api/whoami",
        "//api/whoami",
        "/./api/whoami",
        "/open/../api/whoami",
        "/api/../open",
        "/api%2Fwhoami",
        "/%2Fapi/whoami",
        "/%2fAPI%2fwhoami",
        "/%61pi/whoami",
        "/%2561pi/whoami",
        "/api\\whoami",
        "//api/public/ping",
        "/api/public/../whoami",
        "/api/public/%2e%2e/whoami",
        "/API/public/ping",
    ],
)
def test_paths_that_could_be_read_as_protected_ones_are_protected(guarded, target):
    status, _ = raw_request(guarded.port, f"GET {target} HTTP/1.1")
    assert status == 401, target


# --- CORS preflight --------------------------------------------------------------------------


def test_cors_preflight_passes_untouched(guarded):
    response = httpx.options(
        guarded.url + "/api/items",
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_options_without_preflight_headers_is_protected(guarded):
    assert httpx.options(guarded.url + "/api/items").status_code == 401


def test_options_with_request_method_but_no_origin_is_no_preflight_and_is_protected(guarded):
    # Fetch standard §3.2.2: a preflight always carries Origin. Without it, the OPTIONS
    # route of the app must not be reached unauthenticated.
    response = httpx.options(
        guarded.url + "/api/items", headers={"Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_authenticated_options_reaches_the_options_route_with_the_user(guarded, mint):
    response = httpx.options(
        guarded.url + "/api/items",
        headers={**bearer(mint.token()), "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert response.json() == {"options_handler": True, "user": "user-1"}


# --- CSRF --------------------------------------------------------------------------------------


def xsrf_for(session_id: str) -> str:
    return session_csrf_token(csrf_key(CSRF_SECRET), session_id)


def post_with_cookie(
    guarded: ServedApp, token: str, *, cookie_xsrf: str | None, header_xsrf: str | None, **extra
) -> httpx.Response:
    cookie = f"{ACCESS_COOKIE}={token}"
    if cookie_xsrf is not None:
        cookie += f"; XSRF-TOKEN={cookie_xsrf}"
    headers = {"Cookie": cookie, **extra}
    if header_xsrf is not None:
        headers["X-XSRF-TOKEN"] = header_xsrf
    return httpx.post(guarded.url + "/api/items", headers=headers)


def assert_csrf_failed(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "csrf_failed"


def test_cookie_post_with_the_session_bound_xsrf_token_is_allowed(guarded, mint):
    xsrf = xsrf_for("session-1")
    response = post_with_cookie(
        guarded, mint.token(sid="session-1"), cookie_xsrf=xsrf, header_xsrf=xsrf
    )
    assert response.status_code == 201


def test_cookie_post_without_the_xsrf_header_is_403(guarded, mint):
    xsrf = xsrf_for("session-1")
    assert_csrf_failed(
        post_with_cookie(guarded, mint.token(sid="session-1"), cookie_xsrf=xsrf, header_xsrf=None)
    )


def test_cookie_post_without_the_xsrf_cookie_is_403(guarded, mint):
    xsrf = xsrf_for("session-1")
    assert_csrf_failed(
        post_with_cookie(guarded, mint.token(sid="session-1"), cookie_xsrf=None, header_xsrf=xsrf)
    )


def test_cookie_post_with_a_header_that_differs_from_the_cookie_is_403(guarded, mint):
    xsrf = xsrf_for("session-1")
    response = post_with_cookie(
        guarded, mint.token(sid="session-1"), cookie_xsrf=xsrf, header_xsrf=xsrf[:-1] + "A"
    )
    assert_csrf_failed(response)


def test_cookie_post_with_another_sessions_xsrf_token_is_403(guarded, mint):
    # Cookie tossing: a sibling subdomain plants its own session's token in both places.
    other = xsrf_for("attacker-session")
    response = post_with_cookie(
        guarded, mint.token(sid="session-1"), cookie_xsrf=other, header_xsrf=other
    )
    assert_csrf_failed(response)
    assert "another session" in response.json()["detail"]


def test_cookie_post_from_a_cross_site_context_is_403(guarded, mint):
    xsrf = xsrf_for("session-1")
    token = mint.token(sid="session-1")
    assert_csrf_failed(
        post_with_cookie(
            guarded, token, cookie_xsrf=xsrf, header_xsrf=xsrf, **{"Sec-Fetch-Site": "cross-site"}
        )
    )
    assert_csrf_failed(
        post_with_cookie(
            guarded, token, cookie_xsrf=xsrf, header_xsrf=xsrf, Origin="https://evil.example"
        )
    )
    assert_csrf_failed(
        post_with_cookie(guarded, token, cookie_xsrf=xsrf, header_xsrf=xsrf, Origin="null")
    )


def test_cookie_post_from_an_allowed_origin_is_accepted(guarded, mint):
    xsrf = xsrf_for("session-1")
    response = post_with_cookie(
        guarded,
        mint.token(sid="session-1"),
        cookie_xsrf=xsrf,
        header_xsrf=xsrf,
        Origin=APP_ORIGIN,
        **{"Sec-Fetch-Site": "same-site"},
    )
    assert response.status_code == 201


def test_bearer_post_needs_no_csrf_token(guarded, mint):
    response = httpx.post(guarded.url + "/api/items", headers=bearer(mint.token()))
    assert response.status_code == 201


def test_without_a_secret_the_guard_checks_double_submit_and_origin(jwks_url, mint):
    from jotauth.guard import CsrfPolicy

    app = guarded_test_app(jwks_url, csrf=CsrfPolicy(allowed_origins=(APP_ORIGIN,)))
    with served(app) as server:
        token = mint.token(sid="any-session")
        ok = post_with_cookie(server, token, cookie_xsrf="random-value", header_xsrf="random-value")
        assert ok.status_code == 201
        assert_csrf_failed(post_with_cookie(server, token, cookie_xsrf="a", header_xsrf="b"))
        assert_csrf_failed(
            post_with_cookie(
                server, token, cookie_xsrf="v", header_xsrf="v", Origin="https://evil.example"
            )
        )


# --- key availability ----------------------------------------------------------------------------


def test_jwks_unreachable_is_503_never_401(mint):
    dead = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"
    with served(guarded_test_app(dead)) as server:
        response = get(server, "/api/whoami", headers=bearer(mint.token()))
    assert response.status_code == 503
    assert response.json()["code"] == "keys_unavailable"
    assert response.headers["retry-after"]
    assert "www-authenticate" not in response.headers


def test_token_from_a_newly_published_key_is_accepted_after_one_refetch(jwks, guarded, mint):
    endpoint = jwks
    rotated = Key.generate("RS256", kid="rotated-key")
    endpoint.keys.append(rotated)
    fetches = endpoint.requests
    response = get(guarded, "/api/whoami", headers=bearer(mint.token(key=rotated)))
    assert response.status_code == 200
    assert endpoint.requests == fetches + 1
