"""The auth server's own account endpoints: password guesses are throttled and audited, and
an access token of an ended session is refused even before it expires."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.server.server_harness import PASSWORD, Server
from tests.support.problems import assert_challenge, assert_problem


def problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    body: dict[str, object] = assert_problem(response, status, code)
    if status == 401:
        assert_challenge(response, "invalid_token")
    return body


async def _bearer(server: Server) -> dict[str, str]:
    response = await server.login(client="native")
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _change(current: str) -> dict[str, str]:
    return {"current_password": current, "new_password": "a brand new passphrase"}


async def test_current_password_guesses_are_throttled_and_audited(server: Server) -> None:
    user_id = await server.add_user()
    bearer = await _bearer(server)
    statuses = [
        (
            await server.client.post(
                "/api/auth/password", json=_change(f"guess {n}"), headers=bearer
            )
        ).status_code
        for n in range(8)
    ]
    # login_attempts_per_account is 5 in the harness: the successful login cleared its count.
    assert statuses[:5] == [403] * 5
    assert set(statuses[5:]) == {429}
    throttled = await server.client.post(
        "/api/auth/password", json=_change(PASSWORD), headers=bearer
    )
    problem(throttled, 429, "too_many_attempts")
    assert int(throttled.headers["retry-after"]) > 0
    failures = await server.context.audit.list_events(
        event="password_change_failed", user_id=user_id
    )
    reasons = [event.detail["reason"] for event in failures if event.detail]
    assert reasons == ["wrong_password"] * 5
    # The four throttled guesses are one aggregated count (issue 10, item 4).
    await server.context.audit.flush_throttled()
    [counted] = await server.context.audit.throttled_counts(event="password_change_failed")
    assert (counted.count, counted.user_id) == (4, user_id)


async def test_password_change_is_refused_while_login_is_throttled(server: Server) -> None:
    await server.add_user()
    bearer = await _bearer(server)
    for _ in range(5):
        await server.login(password="wrong password guess")
    problem(await server.login(), 429, "too_many_attempts")
    response = await server.client.post(
        "/api/auth/password", json=_change("another guess"), headers=bearer
    )
    problem(response, 429, "too_many_attempts")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/auth/me", None),
        ("GET", "/api/auth/sessions", None),
        ("POST", "/api/auth/logout-all", None),
        ("POST", "/api/auth/password", _change(PASSWORD)),
        ("DELETE", "/api/auth/sessions/abc", None),
    ],
)
async def test_an_access_token_of_an_ended_session_is_refused(
    sqlite_server: Server, method: str, path: str, body: dict[str, str] | None
) -> None:
    server = sqlite_server
    await server.add_user()
    bearer = await _bearer(server)
    assert (await server.client.get("/api/auth/me", headers=bearer)).status_code == 200
    ended = await server.client.post("/api/auth/logout-all", headers=bearer)
    assert ended.status_code == 204
    response = await server.client.request(method, path, json=body, headers=bearer)
    problem(response, 401, "session_revoked")


async def test_signup_is_throttled_like_login(sqlite_server: Server) -> None:
    server = sqlite_server
    await server.add_user()
    body = {"email": "ada@example.org", "password": "a long enough passphrase"}
    for _ in range(5):
        problem(await server.client.post("/api/auth/signup", json=body), 409, "user_exists")
    throttled = await server.client.post("/api/auth/signup", json=body)
    problem(throttled, 429, "too_many_attempts")
    assert int(throttled.headers["retry-after"]) > 0
    problem(await server.login(), 429, "too_many_attempts")


async def test_a_cookie_refresh_token_cannot_be_redeemed_as_a_native_client(
    server: Server,
) -> None:
    await server.add_user()
    await server.login()
    cookie_token = server.client.cookies["__Host-jot_refresh"]
    async with server.browser() as attacker:
        stolen = await attacker.post("/api/auth/refresh", json={"refresh_token": cookie_token})
    problem(stolen, 401, "invalid_refresh_token")
    # Nothing changed: the browser keeps refreshing with its cookie.
    assert (await server.client.post("/api/auth/refresh", headers=server.xsrf())).status_code == 204


async def test_a_native_refresh_token_cannot_be_redeemed_as_a_cookie(server: Server) -> None:
    await server.add_user()
    native = await server.login(client="native")
    token = native.json()["refresh_token"]
    replay = await server.post_with_cookies(
        "/api/auth/refresh", {"__Host-jot_refresh": token, "XSRF-TOKEN": "x"}, {"X-XSRF-TOKEN": "x"}
    )
    problem(replay, 401, "invalid_refresh_token")
    again = await server.client.post("/api/auth/refresh", json={"refresh_token": token})
    assert again.status_code == 200 and again.json()["refresh_token"] != token
