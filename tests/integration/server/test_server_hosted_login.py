"""The hosted login page: no JavaScript, strict CSP, form CSRF, allowlisted redirects only."""

import base64
import hashlib
import re

import httpx
import pytest

from jotauth.settings import Settings
from tests.integration.server.server_harness import (
    APP_ORIGIN,
    BASE_URL,
    PASSWORD,
    Server,
    server_settings,
    start_server,
)


def form_token(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


async def test_login_page_renders_a_form_without_inline_script_under_a_strict_csp(
    sqlite_server: Server,
) -> None:
    page = await sqlite_server.client.get("/login", params={"return_to": f"{APP_ORIGIN}/x"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and f"form-action 'self' {APP_ORIGIN}" in csp
    # Passkeys add our own static script and its same-origin fetch, nothing inline.
    assert "script-src 'self'; connect-src 'self';" in csp and "unsafe" not in csp
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/passkeys.js" defer>']
    assert "</script>" in page.text and "<script src" in page.text.split("</script>")[0]
    assert '<form method="post" action="/login">' in page.text
    assert f'name="return_to" value="{APP_ORIGIN}/x"' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "__Host-jot_login_form" in page.headers["set-cookie"]
    css = await sqlite_server.client.get("/static/login.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


async def test_form_login_sets_the_cookies_and_redirects_to_an_allowed_return_to(
    server: Server,
) -> None:
    await server.add_user()
    page = await server.client.get("/login")
    response = await server.client.post(
        "/login",
        data={
            "email": "ada@example.org",
            "password": PASSWORD,
            "csrf_token": form_token(page),
            "return_to": f"{APP_ORIGIN}/lessons",
        },
        headers={"Origin": BASE_URL},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{APP_ORIGIN}/lessons"
    assert {"__Host-jot_access", "__Host-jot_refresh", "XSRF-TOKEN"} <= set(server.client.cookies)
    assert (await server.client.get("/api/auth/me")).status_code == 200


async def test_a_signed_in_browser_goes_straight_to_return_to(server: Server) -> None:
    await server.add_user()
    await server.login()
    page = await server.client.get("/login", params={"return_to": f"{APP_ORIGIN}/next"})
    assert page.status_code == 303 and page.headers["location"] == f"{APP_ORIGIN}/next"
    server.clock.advance(900 + 31)  # expired access cookie: the form again
    assert (await server.client.get("/login", params={"return_to": APP_ORIGIN})).status_code == 200


async def test_form_login_without_return_to_shows_a_signed_in_page(server: Server) -> None:
    await server.add_user()
    page = await server.client.get("/login")
    response = await server.client.post(
        "/login",
        data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": form_token(page)},
    )
    assert response.status_code == 200 and "You are signed in" in response.text


async def test_form_login_with_a_wrong_password_re_renders_the_form_with_a_401(
    server: Server,
) -> None:
    await server.add_user()
    page = await server.client.get("/login")
    response = await server.client.post(
        "/login",
        data={"email": "a&b@example.org", "password": "nope", "csrf_token": form_token(page)},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="jotauth"')
    assert "The email or password is incorrect." in response.text
    assert 'value="a&amp;b@example.org"' in response.text  # echoed escaped
    assert "__Host-jot_access" not in server.client.cookies


async def test_form_login_with_a_hostile_email_re_renders_the_form_escaped(
    sqlite_server: Server,
) -> None:
    page = await sqlite_server.client.get("/login")
    response = await sqlite_server.client.post(
        "/login",
        data={"email": "<script>@x.org", "password": "nope", "csrf_token": form_token(page)},
    )
    assert response.status_code == 422
    assert "<script>" not in response.text and "&lt;script&gt;@x.org" in response.text


async def test_form_login_without_the_form_token_is_refused(server: Server) -> None:
    await server.add_user()
    await server.client.get("/login")
    response = await server.client.post(
        "/login", data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "__Host-jot_access" not in server.client.cookies


async def test_form_login_from_a_foreign_origin_is_refused(sqlite_server: Server) -> None:
    page = await sqlite_server.client.get("/login")
    response = await sqlite_server.client.post(
        "/login",
        data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": form_token(page)},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "return_to",
    [
        "//evil.example/",
        "https:evil.example",
        "/\\evil.example",
        "https://app.example.test@evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "https://app.example.test/\r\nSet-Cookie: x=y",
        "http://app.example.test/",
    ],
)
async def test_open_redirect_attempts_are_400(sqlite_server: Server, return_to: str) -> None:
    page = await sqlite_server.client.get("/login", params={"return_to": return_to})
    assert page.status_code == 400
    assert page.json()["code"] == "invalid_return_to"
    login = await sqlite_server.client.post(
        "/login",
        data={"email": "a@example.org", "password": "x", "csrf_token": "", "return_to": return_to},
    )
    assert login.status_code == 400 and "location" not in login.headers
    logout = await sqlite_server.client.get("/logout", params={"return_to": return_to})
    assert logout.status_code == 400


async def test_hosted_logout_asks_then_ends_the_session_and_clears_cookies(server: Server) -> None:
    await server.add_user()
    await server.login()
    confirm = await server.client.get("/logout", params={"return_to": f"{APP_ORIGIN}/"})
    assert confirm.status_code == 200 and 'action="/logout"' in confirm.text
    assert (await server.client.get("/api/auth/me")).status_code == 200  # a GET ends nothing
    response = await server.client.post(
        "/logout", data={"csrf_token": form_token(confirm), "return_to": f"{APP_ORIGIN}/"}
    )
    assert response.status_code == 303 and response.headers["location"] == f"{APP_ORIGIN}/"
    assert not {"__Host-jot_access", "__Host-jot_refresh", "XSRF-TOKEN"} & set(
        server.client.cookies
    )


async def test_cookie_domain_sets_cookies_for_sibling_subdomains(sqlite_url: str) -> None:
    settings = server_settings(sqlite_url, cookie_domain="example.test")
    async for running in start_server(settings):
        await running.add_user()
        page = await running.client.get("/login")
        response = await running.client.post(
            "/login",
            data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": form_token(page)},
        )
        cookies = response.headers.get_list("set-cookie")
        names = sorted(c.split("=", 1)[0] for c in cookies)
        assert names == ["XSRF-TOKEN", "jot_access", "jot_refresh"]
        assert all("; Domain=example.test;" in c and "; Secure;" in c for c in cookies)


async def test_a_browser_gets_an_html_error_page_and_an_api_client_problem_json(
    sqlite_server: Server,
) -> None:
    browser = await sqlite_server.client.get(
        "/login",
        params={"return_to": "https://evil.example/"},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert browser.status_code == 400
    assert browser.headers["content-type"].startswith("text/html")
    assert "Redirect target not allowed" in browser.text and "<script" not in browser.text
    api = await sqlite_server.client.get(
        "/login", params={"return_to": "https://evil.example/"}, headers={"Accept": "*/*"}
    )
    assert api.status_code == 400 and api.json()["code"] == "invalid_return_to"


async def test_hosted_pages_send_a_same_origin_referrer_policy(sqlite_server: Server) -> None:
    # no-referrer made Chromium send Origin: null with the form POST (issue 11).
    for path in ("/login", "/logout"):
        page = await sqlite_server.client.get(path)
        assert page.headers["referrer-policy"] == "same-origin"


async def test_the_login_page_says_who_is_signed_in_already(server: Server) -> None:
    await server.add_user()
    assert "signed in as" not in (await server.client.get("/login")).text
    await server.login()
    page = await server.client.get("/login")
    assert page.status_code == 200
    assert "You are signed in as <strong>ada@example.org</strong>" in page.text
    assert '<form method="post" action="/login">' in page.text  # another account


async def test_branding_from_settings_is_shown_under_the_strict_csp(sqlite_url: str) -> None:
    settings = server_settings(
        sqlite_url,
        brand_name="Acme Sign-in",
        brand_logo_url="https://cdn.acme.test/logo.svg",
        brand_accent_color="#aa3300",
    )
    async for running in start_server(settings):
        page = await running.client.get("/login")
        assert "Acme Sign-in" in page.text and 'src="https://cdn.acme.test/logo.svg"' in page.text
        csp = page.headers["content-security-policy"]
        assert "img-src 'self' https://cdn.acme.test;" in csp
        style = re.search(r"<style>(.*?)</style>", page.text)
        assert style and "#aa3300" in style.group(1)
        digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
        assert f"style-src 'self' 'sha256-{digest}';" in csp  # the one inline rule, by hash


def test_a_logo_url_that_could_break_out_is_refused() -> None:
    for value in ("http://cdn.acme.test/l.png", "//evil.example/l.png", 'https://a.test/"x'):
        with pytest.raises(ValueError):
            Settings(brand_logo_url=value)


async def test_without_passkeys_the_login_page_has_no_script(sqlite_url: str) -> None:
    from tests.integration.server.server_harness import server_settings, start_server

    # An IP-address host cannot be a WebAuthn RP ID: passkeys are off, the page is script-free.
    async for ip_server in start_server(server_settings(sqlite_url, issuer="https://192.0.2.1")):
        page = await ip_server.client.get("/login")
        csp = page.headers["content-security-policy"]
        assert "script" not in csp and "<script" not in page.text
        assert 'autocomplete="username"' in page.text
        options = await ip_server.client.post("/api/auth/passkeys/login/options")
        assert options.status_code == 404 and options.json()["code"] == "passkeys_unavailable"


async def test_the_passkey_form_refuses_bad_input_on_the_page(sqlite_server: Server) -> None:
    page = await sqlite_server.client.get("/login")
    for credential in ("not json", "[]", '{"id": "x"}'):
        response = await sqlite_server.client.post(
            "/login/passkey",
            data={"credential": credential, "csrf_token": form_token(page)},
            headers={"Origin": BASE_URL, "Accept": "text/html"},
        )
        assert response.status_code == 400, response.text
        assert "The passkey response is not a valid WebAuthn credential." in response.text
        page = response  # the form again, with a fresh token
    forged = await sqlite_server.client.post(
        "/login/passkey",
        data={"credential": "{}", "csrf_token": "forged"},
        headers={"Origin": BASE_URL, "Accept": "text/html"},
    )
    assert forged.status_code == 403 and "__Host-jot_access" not in sqlite_server.client.cookies
    page = await sqlite_server.client.get("/login")
    cross_site = await sqlite_server.client.post(
        "/login/passkey",
        data={"credential": "{}", "csrf_token": form_token(page)},
        headers={"Origin": "https://evil.example.test", "Accept": "text/html"},
    )
    assert cross_site.status_code == 403
