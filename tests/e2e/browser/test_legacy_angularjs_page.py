"""The AngularJS 1.8 page of the demo (/legacy/) with @jotauth/angularjs, in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.browser.browser_demo import USER, DemoServer

pytestmark = pytest.mark.browser


def test_the_angularjs_page_signs_in_and_lists_the_lessons(
    page: Page, demo_server: DemoServer, screenshots: Path
) -> None:
    problems: list[str] = []

    def record(message: ConsoleMessage) -> None:
        # A CSP violation or an AngularJS error would show up here; a 401 from the start-up
        # /me of a signed-out visitor is expected and not a problem.
        if message.type == "error" and "401" not in message.text:
            problems.append(message.text)

    page.on("console", record)
    page.goto(f"{demo_server.url}/legacy/")
    page.fill("input[name=email]", USER[0])
    page.fill("input[name=password]", USER[1])
    page.click("button[type=submit]")

    expect(page.locator("[data-test=legacy-lesson]").first).to_be_visible()
    expect(page.locator("[data-test=legacy-user]")).to_have_text(USER[0])
    page.screenshot(path=screenshots / "legacy-angularjs.png")
    assert problems == []

    page.click("[data-test=legacy-logout]")
    expect(page.locator("input[name=email]")).to_be_visible()
