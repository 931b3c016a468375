"""Refresh and ``/me`` answered by the hot routes (issue 15) behave as their FastAPI routes
did: the requests the hot routes pass on get FastAPI's answers, and metrics and logs name the
same route."""

from __future__ import annotations

import pytest

from tests.integration.server.server_harness import Server, server_settings, start_server
from tests.support.problems import assert_problem

METRICS_TOKEN = "scrape-token-0123456789"


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{", 400, "malformed_request"),
        (b"null", 401, "missing_refresh_token"),  # FastAPI reads JSON null as no body
        (b"[]", 422, "validation_failed"),
        (b'{"refresh_token": 7}', 422, "validation_failed"),
        (b'{"delivery": "carrier-pigeon"}', 422, "validation_failed"),
        (b'{"refresh_token": "x", "extra": 1}', 401, "invalid_refresh_token"),  # extras ignored
        (b"\xff\xfe", 400, "malformed_request"),
    ],
)
async def test_unusual_refresh_bodies_get_fastapis_answers(
    sqlite_server: Server, raw: bytes, status: int, code: str
) -> None:
    response = await sqlite_server.client.post(
        "/api/auth/refresh", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, status, code)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_refresh_bodies_that_are_not_json_are_415(
    sqlite_server: Server, content_type: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await sqlite_server.client.post(
        "/api/auth/refresh", content=b'{"refresh_token": "x"}', headers=headers
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_a_body_on_me_that_is_not_json_is_415(sqlite_server: Server) -> None:
    response = await sqlite_server.client.request(
        "GET", "/api/auth/me", content=b"x=1", headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_other_methods_on_the_hot_paths_are_405(sqlite_server: Server) -> None:
    assert_problem(await sqlite_server.client.get("/api/auth/refresh"), 405, "method_not_allowed")
    assert_problem(await sqlite_server.client.post("/api/auth/me"), 405, "method_not_allowed")
    # FastAPI's API routes answer HEAD only where declared: not on /me, as before.
    assert (await sqlite_server.client.head("/api/auth/me")).status_code == 405


async def test_metrics_name_the_hot_routes(sqlite_url: str) -> None:
    async for server in start_server(server_settings(sqlite_url, metrics_token=METRICS_TOKEN)):
        await server.add_user()
        await server.login(delivery="body", client="native")
        tokens = (await server.login(client="native")).json()
        refreshed = await server.client.post(
            "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert (await server.client.get("/api/auth/me", headers=bearer)).status_code == 200
        text = (
            await server.client.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
        ).text
        for method, route in (("POST", "/api/auth/refresh"), ("GET", "/api/auth/me")):
            series = (
                f'jotauth_http_request_duration_seconds_count{{method="{method}",route="{route}"'
            )
            assert series in text
        assert 'jotauth_refreshes_total{outcome="success"} 1.0' in text
