"""The hosted account pages over HTTP: hostile input gets readable pages, never a change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.integration.server.server_harness import Server, server_settings, start_server
from tests.integration.server.test_server_hosted_login import form_token
from tests.support.smtp import SmtpServer, smtp_server

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def pages(sqlite_url: str, smtp: SmtpServer) -> AsyncIterator[Server]:
    settings = server_settings(
        sqlite_url, smtp_url=smtp.url, mail_from="jotauth <noreply@auth.example.test>"
    )
    async for running in start_server(settings):
        yield running


@pytest.mark.parametrize("token", ["", "short", "x" * 100, "not base64 url!!" * 2])
async def test_a_link_that_cannot_work_shows_a_400_page(pages: Server, token: str) -> None:
    for page in ("/reset", "/verify"):
        response = await pages.client.get(page, params={"token": token}, headers=HTML)
        assert response.status_code == 400
        assert "Link invalid or expired" in response.text
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_forgot_without_the_form_token_changes_nothing(pages: Server) -> None:
    await pages.add_user()
    response = await pages.client.post(
        "/forgot", data={"email": "ada@example.org", "csrf_token": "forged"}, headers=HTML
    )
    assert response.status_code == 403 and "expired" in response.text
    await pages.context.accounts.quiet_work.idle()
    assert (await pages.context.outbox.counts())["pending"] == 0


async def test_a_cross_site_form_post_is_refused(pages: Server) -> None:
    await pages.add_user()
    page = await pages.client.get("/forgot", headers=HTML)
    response = await pages.client.post(
        "/forgot",
        data={"email": "ada@example.org", "csrf_token": form_token(page)},
        headers={**HTML, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    await pages.context.accounts.quiet_work.idle()
    assert (await pages.context.outbox.counts())["pending"] == 0


async def test_the_forgot_form_answers_alike_for_every_address(pages: Server) -> None:
    await pages.add_user()
    texts = []
    for email in ("ada@example.org", "nobody@example.org"):
        page = await pages.client.get("/forgot", headers=HTML)
        response = await pages.client.post(
            "/forgot", data={"email": email, "csrf_token": form_token(page)}, headers=HTML
        )
        assert response.status_code == 200
        texts.append(response.text)
    assert texts[0] == texts[1]
    await pages.context.accounts.quiet_work.idle()
    assert sum((await pages.context.outbox.counts()).values()) == 1


async def test_the_dev_mailbox_exists_only_in_dev_without_smtp(pages: Server) -> None:
    assert (await pages.client.get("/dev/mailbox", headers=HTML)).status_code == 404
    assert (await pages.client.get("/dev/mailbox.json")).status_code == 404


async def test_the_dev_mailbox_shows_the_mails_in_dev(sqlite_url: str) -> None:
    settings = server_settings(sqlite_url, dev=True, issuer="http://127.0.0.1:8000")
    async for server in start_server(settings):
        await server.add_user()
        await server.client.post("/api/auth/password/forgot", json={"email": "ada@example.org"})
        await server.context.accounts.quiet_work.idle()
        assert server.context.mail is not None
        await server.context.mail.deliver_due()
        mails = (await server.client.get("/dev/mailbox.json")).json()["mails"]
        assert [m["subject"] for m in mails] == ["Reset your jotauth password"]
        assert mails[0]["links"][0].startswith("http://127.0.0.1:8000/reset?token=")
        page = await server.client.get("/dev/mailbox", headers=HTML)
        assert page.status_code == 200 and mails[0]["links"][0] in page.text
