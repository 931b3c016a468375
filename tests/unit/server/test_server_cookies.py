"""Cookie flags come from one policy and follow the cookie-prefix rules."""

import pytest
from starlette.responses import Response

from jotauth.server.cookies import CookieConfigError, CookiePolicy
from jotauth.settings import Settings


def _set_cookies(settings: Settings) -> list[str]:
    response = Response()
    CookiePolicy.from_settings(settings).set_session_cookies(
        response,
        access_token="a.b.c",
        access_max_age=900,
        refresh_token="r-token",
        refresh_max_age=3600,
        csrf_token="x-token",
    )
    return [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]


def _without_expires(header: str) -> str:
    return "; ".join(p for p in header.split("; ") if not p.startswith("Expires="))


def test_production_cookies_have_the_design_flags_exactly() -> None:
    headers = [_without_expires(h) for h in _set_cookies(Settings(secret_key="x" * 32))]
    assert headers == [
        "__Host-jot_access=a.b.c; Path=/; Max-Age=900; Secure; HttpOnly; SameSite=Lax",
        "__Host-jot_refresh=r-token; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict",
        "XSRF-TOKEN=x-token; Path=/; Max-Age=3600; Secure; SameSite=Lax",
    ]


def test_dev_cookies_drop_secure_and_the_host_prefix() -> None:
    headers = [_without_expires(h) for h in _set_cookies(Settings(dev=True))]
    assert headers[0] == "jot_access=a.b.c; Path=/; Max-Age=900; HttpOnly; SameSite=Lax"
    assert all("Secure" not in h for h in headers)


def test_refresh_cookie_without_prefix_may_be_scoped_to_the_auth_api() -> None:
    settings = Settings(refresh_cookie_name="jot_refresh", refresh_cookie_path="/api/auth")
    refresh = _without_expires(_set_cookies(settings)[1])
    assert refresh == (
        "jot_refresh=r-token; Path=/api/auth; Max-Age=3600; Secure; HttpOnly; SameSite=Strict"
    )


def test_cookie_domain_drops_the_host_prefix_and_sets_domain() -> None:
    headers = _set_cookies(Settings(cookie_domain="example.org"))
    assert headers[0].startswith("jot_access=a.b.c; ")
    assert all("; Domain=example.org" in h for h in headers)


def test_host_prefix_with_a_sub_path_is_refused() -> None:
    with pytest.raises(CookieConfigError):
        CookiePolicy.from_settings(Settings(refresh_cookie_path="/api/auth"))


@pytest.mark.parametrize(
    "settings",
    [
        Settings(csrf_cookie_name="__Host-XSRF", cookie_domain="example.com"),
        Settings(csrf_cookie_name="__Host-XSRF", dev=True),
        Settings(csrf_cookie_name="__Secure-XSRF", dev=True),
        Settings(access_cookie_name="__Secure-jot_access", dev=True),
    ],
)
def test_prefix_rules_apply_to_all_three_cookies(settings: Settings) -> None:
    with pytest.raises(CookieConfigError, match="prefix"):
        CookiePolicy.from_settings(settings)


def test_clearing_expires_every_cookie_with_its_own_path() -> None:
    settings = Settings(refresh_cookie_name="jot_refresh", refresh_cookie_path="/api/auth")
    response = Response()
    CookiePolicy.from_settings(settings).clear_all(response)
    headers = [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]
    assert [h.split(";")[0] for h in headers] == [
        "__Host-jot_access=",
        "jot_refresh=",
        "XSRF-TOKEN=",
    ]
    assert all("Max-Age=0" in h and "Expires=Thu, 01 Jan 1970" in h for h in headers)
    assert "Path=/api/auth" in headers[1]


def test_cookie_values_outside_the_cookie_octet_set_are_a_bug() -> None:
    response = Response()
    with pytest.raises(ValueError):
        CookiePolicy.from_settings(Settings()).set_session_cookies(
            response,
            access_token="a;b",
            access_max_age=1,
            refresh_token="r",
            refresh_max_age=1,
            csrf_token="x",
        )
