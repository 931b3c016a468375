"""Second factors over the auth server's API (DESIGN §13), on SQLite and PostgreSQL.

TOTP codes come from Debian's ``oathtool`` (an implementation independent of ours); time
moves through the server's injected clock, never by sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jotauth import jose
from tests.integration.server.server_harness import (
    APP_ORIGIN,
    PASSWORD,
    Server,
    server_settings,
    start_server,
)
from tests.support.otp import oathtool_code, seconds_to_next_step_start
from tests.support.problems import assert_challenge, assert_problem


async def sign_in(server: Server, email: str = "ada@example.org", **body: Any) -> httpx.Response:
    return await server.login(email=email, **body)


async def enrol_totp(
    server: Server, client: httpx.AsyncClient | None = None
) -> tuple[str, list[str]]:
    """Set up TOTP for the signed-in cookie session of ``client``; (secret, recovery codes)."""
    client = client or server.client
    setup = await client.post("/api/auth/mfa/totp/setup", headers=server.xsrf(client))
    assert setup.status_code == 200, setup.text
    body = setup.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/jotauth:")
    assert f"secret={body['secret']}&issuer=jotauth" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg") and "</svg>" in body["qr_svg"]
    code = oathtool_code(body["secret"], server.clock())
    confirmed = await client.post(
        "/api/auth/mfa/totp/confirm", json={"code": code}, headers=server.xsrf(client)
    )
    assert confirmed.status_code == 200, confirmed.text
    return body["secret"], confirmed.json()["recovery_codes"]


def align_to_step(server: Server) -> None:
    """Stand one second into a fresh 30-second step: a code computed now stays in it."""
    server.clock.advance(seconds_to_next_step_start(server.clock()))


async def mfa_token_of(server: Server, **body: Any) -> dict[str, Any]:
    response = await sign_in(server, **body)
    assert response.status_code == 200, response.text
    held = response.json()
    assert held["mfa_required"] is True and "access_token" not in held
    return held


async def second_step(server: Server, token: str, code: str, method: str = "totp", **kw: Any):
    return await server.client.post(
        "/api/auth/login/mfa", json={"mfa_token": token, "method": method, "code": code, **kw}
    )


@pytest.fixture
async def enrolled(server: Server) -> AsyncIterator[tuple[Server, str, list[str]]]:
    """Ada, with a confirmed TOTP, signed out again a minute later (the enrolment's code and
    its neighbours are used up)."""
    await server.add_user(roles=["teacher"])
    assert (await sign_in(server)).status_code == 204
    secret, codes = await enrol_totp(server)
    server.client.cookies.clear()
    server.clock.advance(60)
    yield server, secret, codes


async def test_login_with_totp_answers_mfa_required_then_a_code_from_oathtool_signs_in(
    enrolled: tuple[Server, str, list[str]],
) -> None:
    server, secret, codes = enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    response = await sign_in(server)
    assert response.status_code == 200 and not response.cookies  # no session yet
    held = response.json()
    assert held == {
        "mfa_required": True,
        "mfa_token": held["mfa_token"],
        "expires_in": 300,
        "methods": ["totp", "recovery_code"],
    }
    align_to_step(server)
    done = await second_step(server, held["mfa_token"], oathtool_code(secret, server.clock()))
    assert done.status_code == 204, done.text  # cookie delivery, as asked at login
    me = (await server.client.get("/api/auth/me")).json()
    assert me["amr"] == ["pwd", "otp", "mfa"] and me["second_factors"] == ["totp", "recovery_code"]
    _, claims = jose.decode_unverified(server.client.cookies["__Host-jot_access"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert abs(claims["auth_time"] - server.clock()) < 5
    # A refresh keeps how and when the session authenticated.
    refreshed = await server.client.post("/api/auth/refresh", headers=server.xsrf())
    assert refreshed.status_code == 204
    _, again = jose.decode_unverified(server.client.cookies["__Host-jot_access"])
    assert again["amr"] == claims["amr"] and again["auth_time"] == claims["auth_time"]


async def test_codes_one_step_off_are_accepted_two_steps_off_and_replays_refused(
    enrolled: tuple[Server, str, list[str]],
) -> None:
    server, secret, _ = enrolled
    align_to_step(server)
    now = server.clock()
    for far in (now - 60, now + 60):  # two steps off either way
        held = await mfa_token_of(server)
        refused = await second_step(server, held["mfa_token"], oathtool_code(secret, far))
        assert_problem(refused, 401, "second_factor_invalid")
        assert_challenge(refused, None)
    held = await mfa_token_of(server)
    behind = await second_step(server, held["mfa_token"], oathtool_code(secret, now - 30))
    assert behind.status_code == 204  # one step behind: clock drift absorbed
    held = await mfa_token_of(server)
    replayed = await second_step(server, held["mfa_token"], oathtool_code(secret, now - 30))
    assert_problem(replayed, 401, "second_factor_invalid")  # a code is used once
    current = await second_step(server, held["mfa_token"], oathtool_code(secret, now))
    assert current.status_code == 204  # the same token still takes a right code
    held = await mfa_token_of(server)
    again = await second_step(server, held["mfa_token"], oathtool_code(secret, now))
    assert_problem(again, 401, "second_factor_invalid")  # ... and that code only once too
    ahead = await second_step(server, held["mfa_token"], oathtool_code(secret, now + 30))
    assert ahead.status_code == 204  # one step ahead


async def test_an_mfa_token_is_single_use_expires_and_belongs_to_one_user(
    enrolled: tuple[Server, str, list[str]],
) -> None:
    server, secret, _ = enrolled
    await server.add_user("bob@example.org")
    async with server.browser() as bob:
        assert (
            await bob.post(
                "/api/auth/login", json={"email": "bob@example.org", "password": PASSWORD}
            )
        ).status_code == 204
        bob_secret, _ = await enrol_totp(server, bob)
    align_to_step(server)
    held = await mfa_token_of(server)
    # Bob's code on Ada's token: checked against Ada's secret, refused.
    other = await second_step(server, held["mfa_token"], oathtool_code(bob_secret, server.clock()))
    assert_problem(other, 401, "second_factor_invalid")
    done = await second_step(server, held["mfa_token"], oathtool_code(secret, server.clock()))
    assert done.status_code == 204
    server.clock.advance(30)
    reused = await second_step(server, held["mfa_token"], oathtool_code(secret, server.clock()))
    assert_problem(reused, 401, "mfa_token_invalid")
    late = await mfa_token_of(server)
    server.clock.advance(301)
    expired = await second_step(server, late["mfa_token"], oathtool_code(secret, server.clock()))
    assert_problem(expired, 401, "mfa_token_invalid")
    unknown = await second_step(server, "x" * 43, "123456")
    assert_problem(unknown, 401, "mfa_token_invalid")
    # A method the user does not have is no way round the code.
    held = await mfa_token_of(server)
    absent = await server.client.post(
        "/api/auth/login/mfa",
        json={"mfa_token": held["mfa_token"], "method": "passkey", "credential": {"id": "x"}},
    )
    assert_problem(absent, 400, "second_factor_unavailable")


async def test_guessing_codes_spends_the_token_then_throttles_the_account_and_is_audited(
    enrolled: tuple[Server, str, list[str]],
) -> None:
    server, secret, _ = enrolled
    align_to_step(server)
    wrong = "000000" if oathtool_code(secret, server.clock()) != "000000" else "111111"
    held = await mfa_token_of(server)
    for _ in range(5):
        assert_problem(
            await second_step(server, held["mfa_token"], wrong), 401, "second_factor_invalid"
        )
    # Five wrong tries spend the token: even the right code needs a new login now.
    spent = await second_step(server, held["mfa_token"], oathtool_code(secret, server.clock()))
    assert_problem(spent, 401, "mfa_token_invalid")
    held = await mfa_token_of(server)
    for _ in range(5):
        await second_step(server, held["mfa_token"], wrong)
    held = await mfa_token_of(server)
    throttled = await second_step(server, held["mfa_token"], oathtool_code(secret, server.clock()))
    assert_problem(throttled, 429, "second_factor_throttled")
    assert int(throttled.headers["retry-after"]) > 0
    user = await server.context.users.get_user_by_email("ada@example.org")
    assert user is not None
    failures = await server.context.audit.list_events(event="mfa_failed", user_id=user.id)
    assert len(failures) == 10 and failures[0].detail == {
        "method": "totp", "purpose": "login", "tries_left": 0,
    }  # fmt: skip
    await server.context.audit.flush_throttled()
    counted = await server.context.audit.throttled_counts(event="mfa_failed")
    assert [row.count for row in counted] == [1]


async def test_a_recovery_code_signs_in_once_and_regenerating_replaces_them_all(
    enrolled: tuple[Server, str, list[str]],
) -> None:
    server, _, codes = enrolled
    held = await mfa_token_of(server, delivery="body")
    done = await second_step(server, held["mfa_token"], codes[0].upper(), method="recovery_code")
    assert done.status_code == 200 and "access_token" in done.json()  # body, as asked
    _, claims = jose.decode_unverified(done.json()["access_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    held = await mfa_token_of(server)
    again = await second_step(server, held["mfa_token"], codes[0], method="recovery_code")
    assert_problem(again, 401, "second_factor_invalid")
    status = await server.client.get(
        "/api/auth/mfa", headers={"Authorization": f"Bearer {done.json()['access_token']}"}
    )
    assert status.json() == {
        "enabled": True, "methods": ["totp", "recovery_code"], "recovery_codes_remaining": 9,
    }  # fmt: skip
    fresh = await server.client.post(
        "/api/auth/mfa/recovery-codes",
        headers={"Authorization": f"Bearer {done.json()['access_token']}"},
    )
    assert fresh.status_code == 200 and len(fresh.json()["recovery_codes"]) == 10
    held = await mfa_token_of(server)
    old = await second_step(server, held["mfa_token"], codes[1], method="recovery_code")
    assert_problem(old, 401, "second_factor_invalid")
    new = await second_step(
        server, held["mfa_token"], fresh.json()["recovery_codes"][0], method="recovery_code"
    )
    assert new.status_code == 204


async def test_removing_a_factor_needs_a_recent_sign_in_and_reauthentication_gives_one(
    enrolled: tuple[Server, str, list[str]],
) -> None:
    server, secret, _ = enrolled
    align_to_step(server)
    held = await mfa_token_of(server)
    await second_step(server, held["mfa_token"], oathtool_code(secret, server.clock()))
    server.clock.advance(601)
    refused = await server.client.delete("/api/auth/mfa/totp", headers=server.xsrf())
    assert_problem(refused, 403, "insufficient_user_authentication")
    assert refused.headers["www-authenticate"].startswith(
        'Bearer realm="jotauth", error="insufficient_user_authentication"'
    )
    assert refused.headers["www-authenticate"].endswith(', max_age="600"')
    # A refresh is no re-authentication: the session's auth_time stays where it was.
    assert (await server.client.post("/api/auth/refresh", headers=server.xsrf())).status_code == 204
    still = await server.client.delete("/api/auth/mfa/totp", headers=server.xsrf())
    assert_problem(still, 403, "insufficient_user_authentication")
    for path in ("/api/auth/mfa/recovery-codes", "/api/auth/mfa/totp/setup"):
        assert_problem(
            await server.client.post(path, headers=server.xsrf()),
            403,
            "insufficient_user_authentication",
        )
    password = await server.client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "another long passphrase"},
        headers=server.xsrf(),
    )
    assert_problem(password, 403, "insufficient_user_authentication")
    assert (await server.client.get("/api/auth/mfa")).json()["enabled"] is True  # unchanged
    # Step-up: the password again, then the second factor, for the same session.
    before = (await server.client.get("/api/auth/sessions")).json()["sessions"]
    session_id = next(s["id"] for s in before if s["current"])
    wrong = await server.client.post(
        "/api/auth/reauthenticate", json={"password": "not it at all"}, headers=server.xsrf()
    )
    assert_problem(wrong, 403, "wrong_password")
    step = await server.client.post(
        "/api/auth/reauthenticate", json={"password": PASSWORD}, headers=server.xsrf()
    )
    assert step.status_code == 200 and step.json()["methods"] == ["totp", "recovery_code"]
    server.clock.advance(30)
    renewed = await second_step(
        server, step.json()["mfa_token"], oathtool_code(secret, server.clock())
    )
    assert renewed.status_code == 204, renewed.text
    assert "__Host-jot_refresh" not in renewed.cookies  # the same session, its refresh token kept
    after = (await server.client.get("/api/auth/sessions")).json()["sessions"]
    assert {s["id"] for s in after} == {s["id"] for s in before}  # no new session
    _, claims = jose.decode_unverified(server.client.cookies["__Host-jot_access"])
    assert claims["sid"] == session_id and abs(claims["auth_time"] - server.clock()) < 5
    removed = await server.client.delete("/api/auth/mfa/totp", headers=server.xsrf())
    assert removed.status_code == 204
    assert (await server.client.get("/api/auth/mfa")).json() == {
        "enabled": False, "methods": [], "recovery_codes_remaining": 0,
    }  # fmt: skip
    assert (await sign_in(server)).status_code == 204  # password alone again


async def test_reauthentication_without_a_factor_renews_the_same_session(server: Server) -> None:
    await server.add_user()
    token = (await sign_in(server, delivery="body")).json()["access_token"]
    _, first = jose.decode_unverified(token)
    server.clock.advance(700)
    bearer = {"Authorization": f"Bearer {token}"}
    renewed = await server.client.post(
        "/api/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer
    )
    assert renewed.status_code == 200 and set(renewed.json()) == {
        "access_token", "token_type", "expires_in", "expires_at",
    }  # fmt: skip
    _, claims = jose.decode_unverified(renewed.json()["access_token"])
    assert claims["sid"] == first["sid"] and claims["auth_time"] >= first["auth_time"] + 700
    # The old access token's session is the one that was renewed: it is recent now too.
    setup = await server.client.post("/api/auth/mfa/totp/setup", headers=bearer)
    assert setup.status_code == 200


async def test_cross_origin_second_steps_are_refused_before_anything_changes(
    enrolled: tuple[Server, str, list[str]],
) -> None:
    server, secret, _ = enrolled
    held = await mfa_token_of(server)
    align_to_step(server)
    evil = await server.client.post(
        "/api/auth/login/mfa",
        json={
            "mfa_token": held["mfa_token"],
            "method": "totp",
            "code": oathtool_code(secret, server.clock()),
        },
        headers={"Origin": "https://evil.example"},
    )
    assert_problem(evil, 403, "origin_not_allowed")
    allowed = await server.client.post(
        "/api/auth/login/mfa",
        json={
            "mfa_token": held["mfa_token"],
            "method": "totp",
            "code": oathtool_code(secret, server.clock()),
        },
        headers={"Origin": APP_ORIGIN},
    )
    assert allowed.status_code == 204  # the refused request used up neither token nor code
    for body in ({}, {"mfa_token": "t"}, {"mfa_token": "t", "method": "TOTP!"}):
        assert_problem(await server.client.post("/api/auth/login/mfa", json=body), 422)


@pytest.fixture
async def policy_server(database_url: str) -> AsyncIterator[Server]:
    settings = server_settings(database_url, mfa_required_roles=("admin",))
    async for running in start_server(settings):
        yield running


async def test_a_role_the_policy_names_must_enrol_before_the_login_completes(
    policy_server: Server,
) -> None:
    server = policy_server
    await server.add_user(roles=["admin"])
    await server.add_user("bob@example.org")
    assert (await sign_in(server, "bob@example.org")).status_code == 204  # no such role
    held = await mfa_token_of(server, delivery="body", client="native")
    assert held["methods"] == [] and held["enrollment_required"] is True
    token = held["mfa_token"]
    setup = await server.client.post("/api/auth/mfa/totp/setup", json={"mfa_token": token})
    assert setup.status_code == 200
    align_to_step(server)
    wrong = await second_step(server, token, "12345x")
    assert_problem(wrong, 401, "second_factor_invalid")
    done = await second_step(server, token, oathtool_code(setup.json()["secret"], server.clock()))
    assert done.status_code == 200, done.text
    body = done.json()
    assert len(body["recovery_codes"]) == 10 and body["refresh_token"]  # native, as asked
    _, claims = jose.decode_unverified(body["access_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    # A token of an ordinary second step cannot start an enrolment.
    held = await mfa_token_of(server)
    other = await server.client.post(
        "/api/auth/mfa/totp/setup", json={"mfa_token": held["mfa_token"]}
    )
    assert_problem(other, 401, "mfa_token_invalid")
    # The policy keeps the last factor in place.
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    kept = await server.client.delete("/api/auth/mfa/totp", headers=bearer)
    assert_problem(kept, 409, "second_factor_required")


async def test_under_a_policy_for_everyone_a_sign_up_enrols_before_its_first_session(
    sqlite_url: str,
) -> None:
    async for server in start_server(server_settings(sqlite_url, mfa_policy="required")):
        signed_up = await server.client.post(
            "/api/auth/signup", json={"email": "new@example.org", "password": PASSWORD}
        )
        assert signed_up.status_code == 200 and not signed_up.cookies
        held = signed_up.json()
        assert held["enrollment_required"] is True and held["methods"] == []
        setup = await server.client.post(
            "/api/auth/mfa/totp/setup", json={"mfa_token": held["mfa_token"]}
        )
        align_to_step(server)
        done = await second_step(
            server, held["mfa_token"], oathtool_code(setup.json()["secret"], server.clock())
        )
        assert done.status_code == 200 and len(done.json()["recovery_codes"]) == 10
        assert {"__Host-jot_access", "__Host-jot_refresh"} <= set(server.client.cookies)
        assert (await server.client.get("/api/auth/me")).json()["amr"] == ["pwd", "otp", "mfa"]
