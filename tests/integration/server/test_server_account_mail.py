"""Password reset, email verification and sign-up mail, against a real SMTP server on loopback
(aiosmtpd), through the auth server's HTTP API (DESIGN §12)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from jotauth.store.schema import account_tokens, mail_outbox
from tests.integration.server.server_harness import (
    BASE_URL,
    PASSWORD,
    Server,
    server_settings,
    start_server,
)
from tests.support.problems import assert_problem
from tests.support.smtp import Received, SmtpServer, smtp_server

NEW_PASSWORD = "a brand new passphrase 7"
SENDER = "jotauth <noreply@auth.example.test>"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def mail_settings(database_url: str, smtp: SmtpServer, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "smtp_url": smtp.url,
        "mail_from": SENDER,
        "mail_retry_delay": 0.2,
        "mail_poll_interval": 0.1,
        "metrics_token": "metrics-scraper-token-0123456789",
        **overrides,
    }
    return server_settings(database_url, **values)


@pytest.fixture
async def mail_server(database_url: str, smtp: SmtpServer) -> AsyncIterator[Server]:
    async for running in start_server(mail_settings(database_url, smtp)):
        yield running


@pytest.fixture
async def sqlite_mail_server(sqlite_url: str, smtp: SmtpServer) -> AsyncIterator[Server]:
    async for running in start_server(mail_settings(sqlite_url, smtp)):
        yield running


async def settled(server: Server) -> None:
    """The background work after the answers is done (the look-up, the token, the outbox
    row), and the delivery loop had time for a pass."""
    await server.context.accounts.quiet_work.idle()
    if server.context.mail is not None:
        await server.context.mail.deliver_due()


async def outbox_reaches(server: Server, state: str, count: int, timeout: float = 10) -> None:
    """Wait until the outbox holds ``count`` mails in ``state`` (the loop runs on its own)."""
    for _ in range(int(timeout / 0.05)):
        if (await server.context.outbox.counts())[state] == count:  # type: ignore[index]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the outbox never had {count} {state} mails")


async def wait_for_mails(smtp: SmtpServer, count: int) -> list[Received]:
    return await asyncio.to_thread(smtp.wait_for, count)


def token_of(mail: Received, page: str) -> str:
    (link,) = [link for link in mail.links if urlsplit(link).path.endswith(f"/{page}")]
    assert link.startswith(f"{BASE_URL}/{page}?token=")
    return parse_qs(urlsplit(link).query)["token"][0]


async def forgot(server: Server, email: str, **kwargs: Any) -> Any:
    return await server.client.post("/api/auth/password/forgot", json={"email": email}, **kwargs)


# --- password reset ----------------------------------------------------------------------


async def test_forgot_mails_one_reset_link_that_sets_the_password_and_ends_every_session(
    mail_server: Server, smtp: SmtpServer
):
    server = mail_server
    user_id = await server.add_user("ada@example.org", name="Ada")
    other_device = server.browser()
    assert (await server.login()).status_code == 204
    login = await other_device.post(
        "/api/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
    )
    assert login.status_code == 204

    response = await forgot(server, "ada@example.org")
    assert response.status_code == 202
    (mail,) = await wait_for_mails(smtp, 1)
    assert mail.rcpt_tos == ["ada@example.org"]
    assert mail.message["To"] == "Ada <ada@example.org>"
    assert mail.message["From"] == SENDER
    assert mail.message["Message-ID"].endswith("@auth.example.test>")
    assert mail.message["Subject"] == "Reset your jotauth password"
    token = token_of(mail, "reset")
    assert f"{BASE_URL}/reset?token={token}" in mail.html

    reset = await server.client.post(
        "/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert reset.status_code == 204
    assert (await server.login()).status_code == 401
    assert (await server.login(password=NEW_PASSWORD)).status_code == 204
    # The other device's session ended with the reset.
    refreshed = await other_device.post(
        "/api/auth/refresh", headers={"X-XSRF-TOKEN": other_device.cookies.get("XSRF-TOKEN", "")}
    )
    assert_problem(refreshed, 401, "session_revoked")
    events = [e.event for e in await server.context.audit.list_events(user_id=user_id)]
    assert "password_reset" in events

    # Sent once: more delivery passes send nothing more.
    await settled(server)
    await asyncio.sleep(0.3)
    assert len(smtp.received) == 1
    counts = await server.context.outbox.counts()
    assert counts["sent"] == 1 and counts["pending"] == counts["sending"] == 0
    await other_device.aclose()


async def test_the_token_is_stored_hashed_and_the_sent_mail_body_is_cleared(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    await server.add_user()
    await forgot(server, "ada@example.org")
    (mail,) = await wait_for_mails(smtp, 1)
    token = token_of(mail, "reset")
    await settled(server)
    # The SMTP server has the mail as soon as the delivery loop sent it, a moment before the
    # loop marks it sent (and clears its body) in the outbox.
    await outbox_reaches(server, "sent", 1)
    async with server.context.store.read() as conn:
        stored = (await conn.execute(select(account_tokens.c.token_hash))).scalars().all()
        bodies = (await conn.execute(select(mail_outbox.c.text_body))).scalars().all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64
    assert bodies == [""]


async def test_a_reset_link_works_once(sqlite_mail_server: Server, smtp: SmtpServer):
    server = sqlite_mail_server
    await server.add_user()
    await forgot(server, "ada@example.org")
    token = token_of((await wait_for_mails(smtp, 1))[0], "reset")
    body = {"token": token, "password": NEW_PASSWORD}
    assert (await server.client.post("/api/auth/password/reset", json=body)).status_code == 204
    again = await server.client.post(
        "/api/auth/password/reset", json={"token": token, "password": "yet another passphrase 9"}
    )
    assert_problem(again, 400, "account_link_invalid")
    assert (await server.login(password=NEW_PASSWORD)).status_code == 204


async def test_a_reset_link_expires_after_30_minutes(sqlite_mail_server: Server, smtp: SmtpServer):
    server = sqlite_mail_server
    await server.add_user()
    await forgot(server, "ada@example.org")
    token = token_of((await wait_for_mails(smtp, 1))[0], "reset")
    server.clock.advance(30 * 60 + 1)
    expired = await server.client.post(
        "/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert_problem(expired, 400, "account_link_invalid")
    assert (await server.login()).status_code == 204


async def test_a_weak_password_leaves_the_link_usable(sqlite_mail_server: Server, smtp: SmtpServer):
    server = sqlite_mail_server
    await server.add_user()
    await forgot(server, "ada@example.org")
    token = token_of((await wait_for_mails(smtp, 1))[0], "reset")
    weak = await server.client.post(
        "/api/auth/password/reset", json={"token": token, "password": "password123"}
    )
    assert_problem(weak, 422, "weak_password")
    ok = await server.client.post(
        "/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert ok.status_code == 204


async def test_a_new_link_retires_the_older_one(sqlite_mail_server: Server, smtp: SmtpServer):
    server = sqlite_mail_server
    await server.add_user()
    await forgot(server, "ada@example.org")
    first = token_of((await wait_for_mails(smtp, 1))[0], "reset")
    await forgot(server, "ada@example.org")
    second = token_of((await wait_for_mails(smtp, 2))[1], "reset")
    old = await server.client.post(
        "/api/auth/password/reset", json={"token": first, "password": NEW_PASSWORD}
    )
    assert_problem(old, 400, "account_link_invalid")
    new = await server.client.post(
        "/api/auth/password/reset", json={"token": second, "password": NEW_PASSWORD}
    )
    assert new.status_code == 204


async def test_a_token_resets_only_the_user_it_was_mailed_to(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    await server.add_user("ada@example.org")
    await server.add_user("eve@example.org")
    # Eve, signed in as herself, uses her own link: Ada's account is untouched.
    assert (await server.login("eve@example.org")).status_code == 204
    await forgot(server, "eve@example.org")
    token = token_of((await wait_for_mails(smtp, 1))[0], "reset")
    reset = await server.client.post(
        "/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert reset.status_code == 204
    assert (await server.login("ada@example.org")).status_code == 204
    assert (await server.login("eve@example.org", NEW_PASSWORD)).status_code == 204
    # A verification token is no reset token (and the other way round).
    wrong_purpose = await server.client.post("/api/auth/email/verify", json={"token": token})
    assert_problem(wrong_purpose, 400, "account_link_invalid")


async def test_a_disabled_user_gets_no_reset(sqlite_mail_server: Server, smtp: SmtpServer):
    server = sqlite_mail_server
    user_id = await server.add_user()
    await forgot(server, "ada@example.org")
    token = token_of((await wait_for_mails(smtp, 1))[0], "reset")
    await server.context.accounts.administration.disable_user(user_id)
    # A link mailed before the account was disabled no longer works ...
    late = await server.client.post(
        "/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert_problem(late, 400, "account_link_invalid")
    # ... and asking again is answered like any address, with no mail.
    assert (await forgot(server, "ada@example.org")).status_code == 202
    await settled(server)
    await asyncio.sleep(0.3)
    assert len(smtp.received) == 1


async def test_forgot_on_an_unknown_address_is_202_and_sends_nothing(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    await server.add_user()
    response = await forgot(server, "nobody@example.org")
    assert response.status_code == 202 and response.content == b""
    await settled(server)
    await asyncio.sleep(0.3)
    assert smtp.received == []
    assert (await server.context.outbox.counts())["pending"] == 0


async def test_mail_bombing_one_address_is_throttled_alike_for_known_and_unknown(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    await server.add_user()
    limit = server.context.settings.mail_per_address
    for address in ("ada@example.org", "nobody@example.org"):
        answers = [(await forgot(server, address)).status_code for _ in range(limit + 2)]
        assert answers == [202] * limit + [429, 429]
    refused = await forgot(server, "ada@example.org")
    assert_problem(refused, 429, "too_many_attempts")
    assert refused.headers["Retry-After"].isdigit()
    await settled(server)
    await asyncio.sleep(0.3)
    assert len(smtp.received) == limit


async def test_forgot_refuses_header_injection_in_the_address(sqlite_mail_server: Server):
    server = sqlite_mail_server
    await server.add_user()
    for hostile in (
        "ada@example.org\r\nBcc: eve@example.org",
        "ada@example.org\nBcc: eve@example.org",
        "ada@example.org, eve@example.org",
        "Ada <ada@example.org>",
    ):
        response = await forgot(server, hostile)
        assert response.status_code == 422, hostile
    await settled(server)
    assert (await server.context.outbox.counts())["pending"] == 0


async def test_a_name_with_cr_lf_never_reaches_a_mail_header(sqlite_mail_server: Server):
    server = sqlite_mail_server
    signup = await server.client.post(
        "/api/auth/signup",
        json={"email": "eve@example.org", "password": PASSWORD, "name": "Eve\r\nBcc: x@y.org"},
    )
    assert signup.status_code == 422
    assert await server.context.users.get_user_by_email("eve@example.org") is None


# --- the outbox: outages, crashes, bounded attempts ----------------------------------------


async def test_smtp_down_loses_nothing_and_delivers_once_when_it_is_back(
    database_url: str, smtp: SmtpServer
):
    smtp.stop()
    async for server in start_server(mail_settings(database_url, smtp, mail_max_attempts=50)):
        await server.add_user()
        assert (await forgot(server, "ada@example.org")).status_code == 202
        await settled(server)
        await asyncio.sleep(0.5)  # the delivery loop keeps failing meanwhile
        counts = await server.context.outbox.counts()
        assert counts["pending"] + counts["sending"] == 1 and counts["sent"] == 0
        metrics = (await server.client.get("/metrics", headers=_metrics_auth(server))).text
        assert 'jotauth_mail_deliveries_total{outcome="retry"}' in metrics
        # Waiting for its next attempt, or in the middle of one.
        assert (
            'jotauth_mail_outbox{state="pending"} 1.0' in metrics
            or 'jotauth_mail_outbox{state="sending"} 1.0' in metrics
        )

        smtp.start()
        (mail,) = await wait_for_mails(smtp, 1)
        assert token_of(mail, "reset")
        await asyncio.sleep(0.5)
        assert len(smtp.received) == 1
        metrics = (await server.client.get("/metrics", headers=_metrics_auth(server))).text
        assert 'jotauth_mail_deliveries_total{outcome="sent"} 1.0' in metrics
        assert 'jotauth_mail_outbox{state="sent"} 1.0' in metrics


def _metrics_auth(server: Server) -> dict[str, str]:
    token = server.context.settings.metrics_token
    return {} if token is None else {"Authorization": f"Bearer {token.get_secret_value()}"}


async def test_a_mail_queued_before_a_restart_is_delivered_by_the_next_server(
    sqlite_url: str, smtp: SmtpServer
):
    smtp.stop()
    async for server in start_server(mail_settings(sqlite_url, smtp, mail_retry_delay=3600)):
        await server.add_user()
        await forgot(server, "ada@example.org")
        await settled(server)
    assert smtp.received == []
    smtp.start()
    # A new process on the same database (the first one is gone, its lease with it).
    async for server in start_server(mail_settings(sqlite_url, smtp)):
        server.clock.advance(3600)  # past the retry time the first server chose
        (mail,) = await wait_for_mails(smtp, 1)
        assert token_of(mail, "reset")


async def test_delivery_gives_up_after_the_bounded_attempts(sqlite_url: str, smtp: SmtpServer):
    smtp.stop()
    settings = mail_settings(sqlite_url, smtp, mail_max_attempts=2, mail_retry_delay=0.05)
    async for server in start_server(settings):
        await server.add_user()
        await forgot(server, "ada@example.org")
        await settled(server)
        await outbox_reaches(server, "dead", 1)
        smtp.start()
        await asyncio.sleep(0.5)
        assert smtp.received == []  # given up: not sent later


async def test_a_recipient_refused_permanently_is_not_retried(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    smtp.handler.refuse_with = "550 5.1.1 no such mailbox"
    await server.add_user()
    await forgot(server, "ada@example.org")
    await settled(server)
    await outbox_reaches(server, "dead", 1)
    assert (await server.context.outbox.counts())["pending"] == 0


# --- verification ------------------------------------------------------------------------


async def signup(server: Server, email: str = "new@example.org", **body: Any) -> Any:
    return await server.client.post(
        "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Nova", **body}
    )


async def test_sign_up_mails_a_verification_link_and_verify_sets_email_verified(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    assert (await signup(server)).status_code == 204
    me = (await server.client.get("/api/auth/me")).json()
    assert me["email_verified"] is False
    (mail,) = await wait_for_mails(smtp, 1)
    assert mail.rcpt_tos == ["new@example.org"]
    token = token_of(mail, "verify")
    verified = await server.client.post("/api/auth/email/verify", json={"token": token})
    assert verified.status_code == 204
    assert (await server.client.get("/api/auth/me")).json()["email_verified"] is True
    again = await server.client.post("/api/auth/email/verify", json={"token": token})
    assert_problem(again, 400, "account_link_invalid")


async def test_verify_send_needs_a_session_or_an_address(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    await server.add_user()
    anonymous = await server.client.post("/api/auth/email/verify/send")
    assert_problem(anonymous, 401, "missing_token")
    assert (await server.login()).status_code == 204
    # Cookie-authenticated: the CSRF header is required.
    forged = await server.client.post("/api/auth/email/verify/send")
    assert_problem(forged, 403, "csrf_failed")
    sent = await server.client.post("/api/auth/email/verify/send", headers=server.xsrf())
    assert sent.status_code == 202
    (mail,) = await wait_for_mails(smtp, 1)
    await server.client.post("/api/auth/email/verify", json={"token": token_of(mail, "verify")})
    # Verified already: 202, nothing more is sent.
    assert (
        await server.client.post("/api/auth/email/verify/send", headers=server.xsrf())
    ).status_code == 202
    await settled(server)
    assert len(smtp.received) == 1


async def test_require_verified_email_refuses_login_until_verified(
    sqlite_url: str, smtp: SmtpServer
):
    settings = mail_settings(sqlite_url, smtp, require_verified_email=True)
    async for server in start_server(settings):
        # Sign-up answers "check your mail": no session before the address is verified.
        created = await signup(server)
        assert created.status_code == 202 and "set-cookie" not in created.headers
        refused = await server.login("new@example.org")
        assert_problem(refused, 403, "email_not_verified")
        wrong = await server.login("new@example.org", "not the password at all")
        assert_problem(wrong, 401, "invalid_credentials")  # no hint before the password
        # The user who cannot sign in asks for the link again, by address.
        resend = await server.client.post(
            "/api/auth/email/verify/send", json={"email": "new@example.org"}
        )
        assert resend.status_code == 202
        mails = await wait_for_mails(smtp, 2)
        token = token_of(mails[-1], "verify")
        assert (
            await server.client.post("/api/auth/email/verify", json={"token": token})
        ).status_code == 204
        assert (await server.login("new@example.org")).status_code == 204
        assert (await server.client.get("/api/auth/me")).json()["email_verified"] is True


async def test_a_password_reset_verifies_the_address_it_reached(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    await server.add_user()
    await forgot(server, "ada@example.org")
    token = token_of((await wait_for_mails(smtp, 1))[0], "reset")
    await server.client.post(
        "/api/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    user = await server.context.users.get_user_by_email("ada@example.org")
    assert user is not None and user.email_verified


async def test_changing_the_address_is_verified_at_the_new_one_and_told_at_the_old_one(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    user_id = await server.add_user("ada@example.org", email_verified=True)
    await server.add_user("taken@example.org")
    assert (await server.login()).status_code == 204
    change = "/api/auth/email/change"
    wrong = await server.client.post(
        change,
        json={"email": "ada@new.example", "password": "wrong password!"},
        headers=server.xsrf(),
    )
    assert_problem(wrong, 403, "wrong_password")
    taken = await server.client.post(
        change, json={"email": "taken@example.org", "password": PASSWORD}, headers=server.xsrf()
    )
    assert_problem(taken, 409, "user_exists")
    asked = await server.client.post(
        change, json={"email": "ada@new.example", "password": PASSWORD}, headers=server.xsrf()
    )
    assert asked.status_code == 202
    mails = await wait_for_mails(smtp, 2)
    by_recipient = {mail.rcpt_tos[0]: mail for mail in mails}
    assert set(by_recipient) == {"ada@new.example", "ada@example.org"}
    notice = by_recipient["ada@example.org"]
    assert "ada@new.example" in notice.text and not any("token=" in link for link in notice.links)
    # Until the link is followed the address stays as it was.
    me = (await server.client.get("/api/auth/me")).json()
    assert me["email"] == "ada@example.org" and me["email_verified"] is True
    token = token_of(by_recipient["ada@new.example"], "verify")
    assert (
        await server.client.post("/api/auth/email/verify", json={"token": token})
    ).status_code == 204
    user = await server.context.users.get_user(user_id)
    assert user is not None and (user.email, user.email_verified) == ("ada@new.example", True)
    assert (await server.login("ada@new.example")).status_code == 204
    assert (await server.login("ada@example.org")).status_code == 401


async def test_changing_the_address_needs_a_recent_sign_in_and_mails_nothing_without_one(
    sqlite_mail_server: Server, smtp: SmtpServer
):
    server = sqlite_mail_server
    await server.add_user("ada@example.org", email_verified=True)
    assert (await server.login()).status_code == 204
    server.clock.advance(601)  # an unlocked laptop, ten minutes later
    stale = await server.client.post(
        "/api/auth/email/change",
        json={"email": "ada@new.example", "password": PASSWORD},
        headers=server.xsrf(),
    )
    assert_problem(stale, 403, "insufficient_user_authentication")
    assert 'max_age="600"' in stale.headers["www-authenticate"]
    again = await server.client.post(
        "/api/auth/reauthenticate", json={"password": PASSWORD}, headers=server.xsrf()
    )
    assert again.status_code == 204  # no second factor: the password renews the session
    asked = await server.client.post(
        "/api/auth/email/change",
        json={"email": "ada@new.example", "password": PASSWORD},
        headers=server.xsrf(),
    )
    assert asked.status_code == 202
    mails = await wait_for_mails(smtp, 2)  # only the accepted change sent anything
    assert {mail.rcpt_tos[0] for mail in mails} == {"ada@new.example", "ada@example.org"}


# --- sign-up enumeration ------------------------------------------------------------------


async def test_enumeration_safe_sign_up_answers_alike_and_tells_by_mail(
    sqlite_url: str, smtp: SmtpServer
):
    settings = mail_settings(sqlite_url, smtp, signup_enumeration_safe=True)
    async for server in start_server(settings):
        await server.add_user("ada@example.org")
        new = await signup(server, "new@example.org")
        taken = await signup(server, "ada@example.org")
        for response in (new, taken):
            assert response.status_code == 202
            assert response.content == b"" and "set-cookie" not in response.headers
        await settled(server)
        mails = await wait_for_mails(smtp, 2)
        by_recipient = {mail.rcpt_tos[0]: mail for mail in mails}
        assert token_of(by_recipient["new@example.org"], "verify")
        existing = by_recipient["ada@example.org"]
        assert existing.message["Subject"] == "You already have a jotauth account"
        assert not any("token=" in link for link in existing.links)
        # The existing account was not touched; the new one exists, unverified.
        assert (await server.login("ada@example.org")).status_code == 204
        created = await server.context.users.get_user_by_email("new@example.org")
        assert created is not None and not created.email_verified
        # A weak password is refused alike for both: it is checked before the look-up.
        for email in ("other@example.org", "ada@example.org"):
            weak = await signup(server, email, password="password1")
            assert_problem(weak, 422, "weak_password")


async def test_without_smtp_outside_dev_the_mail_features_are_off(sqlite_server: Server):
    response = await sqlite_server.client.post(
        "/api/auth/password/forgot", json={"email": "ada@example.org"}
    )
    assert_problem(response, 404, "feature_disabled")
