"""The Angular demo in real Chromium against the real auth server and lessons API.

Each test starts from a fresh browser profile. The demo runs with a 10-second access-token
lifetime and no leeway, so expiry and refresh happen within a test.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, expect

from tests.e2e.browser.browser_demo import (
    ACCESS_TOKEN_TTL,
    ADMIN,
    USER,
    DemoServer,
    ForeignOrigin,
    SignIn,
)

pytestmark = pytest.mark.browser


def _auth_cookies(context: BrowserContext) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies()}


def test_signing_in_shows_the_lessons_and_the_session_time(
    page: Page, sign_in: SignIn, demo_server: DemoServer, screenshots: Path
) -> None:
    page.goto(f"{demo_server.url}/")
    page.wait_for_url("**/signin?returnUrl=%2Flessons")
    page.screenshot(path=screenshots / "signin.png")

    sign_in.submit(page, USER)

    page.wait_for_url("**/lessons")
    expect(page.locator("[data-test=lesson]").first).to_be_visible()
    expect(page.locator("[data-test=user-email]")).to_have_text(USER[0])
    expect(page.locator("[data-test=session-remaining]")).to_contain_text(re.compile(r"\d+ d"))
    page.screenshot(path=screenshots / "lessons.png")


def test_a_wrong_password_is_reported_on_the_login_page(
    page: Page, sign_in: SignIn, demo_server: DemoServer, screenshots: Path
) -> None:
    page.goto(f"{demo_server.url}/signin")
    sign_in.submit(page, (USER[0], "not-the-password-at-all"))

    expect(page.locator("[data-test=login-error]")).to_have_text("Wrong email or password.")
    assert "/signin" in page.url
    page.screenshot(path=screenshots / "signin-wrong-password.png")


def test_repeated_failures_are_throttled_with_the_time_to_wait(
    page: Page, sign_in: SignIn, demo_server: DemoServer, screenshots: Path
) -> None:
    page.goto(f"{demo_server.url}/signin")
    error = page.locator("[data-test=login-error]")
    for _ in range(3):  # the test server allows 3 failures per account
        sign_in.submit(page, ("someone@example.com", "guessing-passwords"))
        expect(error).to_have_text("Wrong email or password.")
        page.locator("button[type=submit]:enabled").wait_for()

    sign_in.submit(page, ("someone@example.com", "guessing-passwords"))

    # The login window is 5 minutes: the wait reads in minutes, and the button stays
    # disabled while it lasts (no pointless attempts that only extend it).
    expect(error).to_have_text(re.compile(r"Too many attempts\. Try again in [1-5] minutes?\."))
    expect(page.locator("[data-test=sign-in]")).to_be_disabled()
    page.fill("input[name=password]", "another-guess")
    expect(page.locator("[data-test=sign-in]")).to_be_disabled()
    page.screenshot(path=screenshots / "signin-throttled.png")


def test_the_access_token_is_out_of_reach_of_page_javascript(
    page: Page, context: BrowserContext, sign_in: SignIn
) -> None:
    sign_in(page)
    cookies = _auth_cookies(context)
    access, refresh = cookies["jot_access"], cookies["jot_refresh"]
    assert access.count(".") == 2  # a JWS compact token really is in the cookie jar

    visible = page.evaluate(
        """() => JSON.stringify({
            cookie: document.cookie,
            local: Object.entries(localStorage),
            session: Object.entries(sessionStorage),
        })"""
    )

    assert access not in visible
    assert refresh not in visible
    assert "jot_access" not in visible and "jot_refresh" not in visible
    assert "XSRF-TOKEN=" in visible  # the one cookie meant for JavaScript


def test_a_reload_keeps_the_session(page: Page, sign_in: SignIn) -> None:
    sign_in(page)

    page.reload()

    expect(page.locator("[data-test=lesson]").first).to_be_visible()
    expect(page.locator("[data-test=user-email]")).to_have_text(USER[0])
    assert page.url.endswith("/lessons")


def test_an_expired_access_token_is_refreshed_without_a_visible_error(
    page: Page, sign_in: SignIn
) -> None:
    sign_in(page)
    refreshes: list[int] = []
    failures: list[str] = []

    def watch(response: Response) -> None:
        if response.url.endswith("/api/auth/refresh"):
            refreshes.append(response.status)
        elif "/api/" in response.url and response.status >= 400 and response.status != 401:
            failures.append(f"{response.status} {response.url}")

    page.on("response", watch)
    time.sleep(ACCESS_TOKEN_TTL + 1)

    page.click("a[href='/sessions']")

    expect(page.locator("[data-test=session]").first).to_be_visible()
    page.click("a[href='/lessons']")
    expect(page.locator("[data-test=lesson]").first).to_be_visible()
    assert refreshes and all(status in (200, 204) for status in refreshes)
    assert failures == []
    expect(page.locator("[role=alert]")).to_have_count(0)
    assert page.url.endswith("/lessons")


def test_the_admin_page_is_for_admins_only(
    browser: Browser, page: Page, sign_in: SignIn, demo_server: DemoServer, screenshots: Path
) -> None:
    sign_in(page, USER)
    expect(page.locator("a[href='/admin']")).to_have_count(0)

    page.goto(f"{demo_server.url}/admin")

    page.wait_for_url("**/forbidden")
    expect(page.locator("[data-test=forbidden]")).to_be_visible()
    page.screenshot(path=screenshots / "forbidden.png")
    status = page.evaluate("() => fetch('/api/admin/stats').then((r) => r.status)")
    assert status == 403  # the API refuses too: the guard is only UI

    admin_context = browser.new_context(viewport={"width": 1100, "height": 640})
    try:
        admin_page = admin_context.new_page()
        sign_in(admin_page, ADMIN)
        admin_page.click("a[href='/admin']")
        stats = admin_page.locator("[data-test=admin-stats]")
        expect(stats.locator("dd").last).to_have_text(f"you ({ADMIN[0]})")
        # Labels a person reads, never the raw user id the API returns.
        assert not re.search(r"[0-9a-f]{16,}", stats.inner_text()), stats.inner_text()
        admin_page.screenshot(path=screenshots / "admin.png")
    finally:
        admin_context.close()


def test_an_admin_adds_a_lesson_and_a_reader_is_told_why_not(
    browser: Browser, page: Page, sign_in: SignIn
) -> None:
    sign_in(page, ADMIN)  # scope lessons:write; the POST carries the XSRF header via Angular
    page.fill("input[name=title]", "Key rotation without downtime")
    page.click("form.inline button[type=submit]")

    expect(page.locator("[data-test=add-result]")).to_have_text("Lesson added.")
    expect(page.locator("[data-test=lesson]").last).to_contain_text("Key rotation without downtime")

    reader_context = browser.new_context()
    try:
        reader = reader_context.new_page()
        sign_in(reader, USER)
        reader.fill("input[name=title]", "Not allowed to add this")
        reader.click("form.inline button[type=submit]")
        expect(reader.locator("[data-test=add-result]")).to_contain_text("lessons:write")
        expect(reader.get_by_text("Not allowed to add this", exact=True)).to_have_count(0)
    finally:
        reader_context.close()


def test_logging_out_in_one_tab_logs_out_the_other(
    context: BrowserContext, sign_in: SignIn, demo_server: DemoServer
) -> None:
    first = context.new_page()
    sign_in(first)
    second = context.new_page()
    second.goto(f"{demo_server.url}/sessions")
    expect(second.locator("[data-test=session]").first).to_be_visible()

    first.click("[data-test=logout]")

    first.wait_for_url("**/signin**")
    second.wait_for_url("**/signin**")  # told over BroadcastChannel, no reload needed
    second.reload()
    second.wait_for_url("**/signin**")
    assert "jot_refresh" not in _auth_cookies(context)


def test_a_page_on_another_origin_cannot_change_anything(
    page: Page,
    context: BrowserContext,
    sign_in: SignIn,
    demo_server: DemoServer,
    foreign_origin: ForeignOrigin,
) -> None:
    sign_in(page, ADMIN)  # may add lessons (scope lessons:write)
    lessons_before = page.locator("[data-test=lesson]").count()
    api = demo_server.url
    # Same site (127.0.0.1), another origin (port): SameSite=Lax cookies DO go along, so
    # only the double-submit token and CORS stand in the way (OWASP CSRF cheat sheet).
    foreign_origin.serve(
        f"""<!doctype html><title>evil</title>
        <form id="form" method="post" action="{api}/api/lessons" target="sink1"
              enctype="text/plain">
          <input name='{{"title":"forged by form","x":"' value='"}}'>
        </form>
        <form id="logout" method="post" action="{api}/api/auth/logout-all" target="sink2"></form>
        <iframe name="sink1"></iframe><iframe name="sink2"></iframe>
        <script>
          window.results = {{}};
          async function attempt(name, url, init) {{
            try {{
              const response = await fetch(url, {{credentials: 'include', ...init}});
              window.results[name] = response.type === 'opaque' ? 'opaque' : response.status;
            }} catch (error) {{
              window.results[name] = 'blocked';
            }}
          }}
          const xsrf = (document.cookie.match(/XSRF-TOKEN=([^;]+)/) || [])[1] || '';
          window.done = Promise.all([
            attempt('simple', '{api}/api/lessons', {{method: 'POST', mode: 'no-cors',
              headers: {{'Content-Type': 'text/plain'}}, body: '{{"title":"forged by fetch"}}'}}),
            attempt('json', '{api}/api/lessons', {{method: 'POST',
              headers: {{'Content-Type': 'application/json'}}, body: '{{"title":"forged json"}}'}}),
            attempt('with-token', '{api}/api/lessons', {{method: 'POST',
              headers: {{'Content-Type': 'application/json', 'X-XSRF-TOKEN': xsrf}},
              body: '{{"title":"forged with token"}}'}}),
            attempt('logout-all', '{api}/api/auth/logout-all', {{method: 'POST', mode: 'no-cors'}}),
            attempt('read', '{api}/api/auth/me', {{}}),
          ]);
          document.getElementById('form').submit();
          document.getElementById('logout').submit();
        </script>"""
    )
    evil = context.new_page()
    forged: list[tuple[str, int]] = []
    evil.on(
        "response",
        lambda response: (
            forged.append((response.url, response.status))
            if response.request.method == "POST" and response.url.startswith(api)
            else None
        ),
    )
    evil.goto(foreign_origin.url)
    results = evil.evaluate("() => window.done.then(() => window.results)")
    evil.wait_for_timeout(1000)  # let the two form posts land

    # A CORS preflight stops anything with a JSON body or a custom header before it is sent;
    # the simple requests (two forms, two no-cors fetches) do reach the server, with the
    # cookies but without the XSRF header, and are refused.
    assert results["json"] == "blocked"
    assert results["with-token"] == "blocked"
    assert results["read"] == "blocked"  # no CORS: the other origin cannot read the user
    assert len(forged) == 4, forged
    assert all(400 <= status < 500 for _, status in forged), forged
    page.reload()
    expect(page.locator("[data-test=lesson]").first).to_be_visible()  # still signed in
    assert page.locator("[data-test=lesson]").count() == lessons_before
    expect(page.get_by_text("forged")).to_have_count(0)


def test_log_out_everywhere_ends_the_session_of_another_browser(
    browser: Browser, page: Page, sign_in: SignIn, demo_server: DemoServer, screenshots: Path
) -> None:
    other_context = browser.new_context()
    try:
        other = other_context.new_page()
        sign_in(other)
        sign_in(page)
        page.click("a[href='/sessions']")
        expect(page.locator("[data-test=session].current")).to_have_count(1)
        assert page.locator("[data-test=session]").count() >= 2  # this browser and the other
        page.screenshot(path=screenshots / "sessions.png")

        page.click("[data-test=logout-all]")

        page.wait_for_url("**/signin**")
        expect(page.locator("[data-test=notice]")).to_have_text(
            "You were signed out on every device, this one included."
        )
        page.screenshot(path=screenshots / "signed-out-everywhere.png")
        # The other browser's access token stays valid until it expires (stateless by
        # design); its next refresh is refused and it lands on the login page.
        time.sleep(ACCESS_TOKEN_TTL + 1)
        other.reload()
        other.wait_for_url("**/signin**")
        expect(other.locator("input[name=email]")).to_be_visible()
    finally:
        other_context.close()


def test_body_delivery_sends_a_bearer_token_kept_in_memory_only(
    page: Page, context: BrowserContext, sign_in: SignIn
) -> None:
    bearer = _watch_bearer_headers(page)

    sign_in(page, query="?delivery=body")

    expect(page.locator("[data-test=delivery]")).to_have_text("body")
    assert bearer and bearer[-1].startswith("Bearer ")
    assert "jot_access" not in _auth_cookies(context)  # no access cookie in body delivery
    stored = page.evaluate("() => JSON.stringify([localStorage, sessionStorage])")
    assert bearer[-1].removeprefix("Bearer ") not in stored  # memory storage (the default)
    expect(page.locator("[data-test=token-remaining]")).to_be_visible()


def test_body_delivery_survives_a_reload_through_the_refresh_cookie(
    page: Page, sign_in: SignIn
) -> None:
    bearer = _watch_bearer_headers(page)
    sign_in(page, query="?delivery=body")

    page.reload()

    expect(page.locator("[data-test=lesson]").first).to_be_visible()
    assert bearer[-1].startswith("Bearer ")


def _watch_bearer_headers(page: Page) -> list[str]:
    """The Authorization headers of the page's lessons requests, as they are sent."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if request.url.endswith("/api/lessons"):
            seen.append(request.headers.get("authorization", ""))

    page.on("request", record)
    return seen


def test_body_delivery_renews_the_token_before_it_expires(page: Page, sign_in: SignIn) -> None:
    sign_in(page, query="?delivery=body")
    statuses: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda response: (
            statuses.append((response.url, response.status)) if "/api/" in response.url else None
        ),
    )

    time.sleep(ACCESS_TOKEN_TTL + 2)
    page.click("a[href='/sessions']")

    expect(page.locator("[data-test=session]").first).to_be_visible()
    refreshes = [status for url, status in statuses if url.endswith("/api/auth/refresh")]
    assert refreshes and all(status == 200 for status in refreshes)
    # Renewed ahead of time by the client's timer: no request ever met an expired token.
    assert [entry for entry in statuses if entry[1] == 401] == []


def test_one_other_session_can_be_revoked_from_the_sessions_page(
    browser: Browser, page: Page, sign_in: SignIn
) -> None:
    other_context = browser.new_context()
    try:
        sign_in(other_context.new_page(), ADMIN)
        sign_in(page, ADMIN)
        page.click("a[href='/sessions']")
        rows = page.locator("[data-test=session]")
        expect(rows.first).to_be_visible()
        before = rows.count()
        assert before >= 2

        page.locator("[data-test=session]:not(.current) button").first.click()

        expect(rows).to_have_count(before - 1)
        expect(page.locator("[data-test=session].current")).to_have_count(1)  # still signed in
        expect(page.locator("[role=alert]")).to_have_count(0)
    finally:
        other_context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_fits_the_screen_with_readable_devices_and_durations(
    browser: Browser, sign_in: SignIn, demo_server: DemoServer, screenshots: Path, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, ADMIN)
        expect(page.locator("[data-test=duration]").first).to_have_text(
            re.compile(r"· \d+ min( \d+ s)? long")
        )
        for path in ("/lessons", "/sessions", "/admin"):
            page.goto(f"{demo_server.url}{path}")
            page.locator("main section").first.wait_for()
            # Nothing to scroll sideways, and the user's email and "Sign out" stay on screen.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            for item in ("[data-test=user-email]", "[data-test=logout]"):
                box = page.locator(item).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            if path == "/sessions":
                # Chromium's own user agent, as a person would name it.
                device = page.locator("[data-test=session].current [data-test=device]")
                expect(device).to_have_text(re.compile(r"^Chrom(e|ium)( Headless)? \d+ on Linux$"))
            page.screenshot(
                path=screenshots / f"demo{path.replace('/', '-')}-{width}.png", full_page=True
            )
    finally:
        context.close()


def test_signing_out_says_so_on_the_sign_in_page(page: Page, sign_in: SignIn) -> None:
    sign_in(page)
    page.click("[data-test=logout]")
    page.wait_for_url("**/signin**")
    expect(page.locator("[data-test=notice]")).to_have_text("You signed out.")
    sign_in(page)
    expect(page.locator("[data-test=notice]")).to_have_count(0)
