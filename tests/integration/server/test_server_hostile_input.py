"""Hostile and malformed input gets a clear 4xx problem+json, never a 500."""

import json

import pytest

from tests.integration.server.server_harness import PASSWORD, Server
from tests.support.problems import assert_problem


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"email": "a@b.c", "password": }', b"null", b"[]", b'"x"', b"\xff\xfe", b"{}" * 3],
)
async def test_malformed_json_is_a_4xx_problem(sqlite_server: Server, raw: bytes) -> None:
    response = await sqlite_server.client.post(
        "/api/auth/login", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


async def test_malformed_json_names_the_problem_code(sqlite_server: Server) -> None:
    response = await sqlite_server.client.post(
        "/api/auth/login", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_request")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
async def test_wrong_content_types_are_415(sqlite_server: Server, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"email": "a@example.org", "password": "x"}).encode()
    response = await sqlite_server.client.post("/api/auth/login", content=body, headers=headers)
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/refresh"])  # refresh: hot route
async def test_a_huge_body_is_413_by_content_length(sqlite_server: Server, path: str) -> None:
    response = await sqlite_server.client.post(
        path,
        content=b"{" + b" " * (70 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 413, "payload_too_large")


async def test_a_huge_chunked_body_is_413_while_streaming(sqlite_server: Server) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b" " * 1024

    response = await sqlite_server.client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413, "payload_too_large")


async def test_a_100_kb_password_is_refused_before_hashing(sqlite_server: Server) -> None:
    response = await sqlite_server.login(password="p" * 100_000)
    assert_problem(response, 413)
    near_limit = await sqlite_server.login(password="p" * 60_000)
    assert_problem(near_limit, 422, "validation_failed")
    assert "p" * 20 not in near_limit.text  # the input is never echoed


@pytest.mark.parametrize(
    "email",
    [
        "",
        "no-at-sign",
        "a@",
        "@b.c",
        "a\x00@example.org",
        "a\u202e@example.org",
        "a\u200b@example.org",
        "a\ud800@example.org",
        "a b@example.org",
        "a\n@example.org",
        "x" * 300 + "@example.org",
        "\ufeff@example.org",
    ],
)
async def test_hostile_emails_are_422(sqlite_server: Server, email: str) -> None:
    body = json.dumps({"email": email, "password": "whatever"}, ensure_ascii=True).encode()
    response = await sqlite_server.client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "email",
    [
        "ｊｏｓé@example.org",
        "JOSÉ@EXAMPLE.ORG",
        "jose\u0301@example.org",
        "δοκιμή@παράδειγμα.δοκιμή",
    ],
)
async def test_unicode_emails_are_handled_without_errors(server: Server, email: str) -> None:
    await server.add_user(email="josé@example.org")
    response = await server.login(email=email)
    assert response.status_code in (204, 401), response.text
    if response.status_code == 401:
        assert_problem(response, 401, "invalid_credentials")


async def test_unicode_email_logins_match_the_normalised_account(server: Server) -> None:
    await server.add_user(email="josé@example.org")
    assert (await server.login(email="JOSE\u0301@EXAMPLE.ORG")).status_code == 204


async def test_password_with_a_lone_surrogate_is_422(sqlite_server: Server) -> None:
    body = b'{"email": "a@example.org", "password": "\\ud800abc"}'
    response = await sqlite_server.client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.org"},
        {"email": 5, "password": "x"},
        {"email": "a@example.org", "password": ["x"]},
        {"email": "a@example.org", "password": "x", "delivery": "carrier-pigeon"},
        {"email": "a@example.org", "password": "x", "client": "toaster"},
    ],
)
async def test_invalid_fields_are_422(sqlite_server: Server, body: dict[str, object]) -> None:
    response = await sqlite_server.client.post("/api/auth/login", json=body)
    assert_problem(response, 422, "validation_failed")


async def test_unknown_paths_and_methods_are_problems(sqlite_server: Server) -> None:
    assert_problem(await sqlite_server.client.get("/nope"), 404, "not_found")
    assert_problem(await sqlite_server.client.get("/api/auth/login"), 405, "method_not_allowed")


async def test_hostile_refresh_tokens_are_401_or_422(sqlite_server: Server) -> None:
    for token in ["", "x", "é" * 43, "a" * 600, "../../etc/passwd", "a" * 42 + "\x00"]:
        response = await sqlite_server.client.post(
            "/api/auth/refresh", json={"refresh_token": token}
        )
        assert response.status_code in (401, 422), (token, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_garbage_cookies_are_harmless(sqlite_server: Server) -> None:
    await sqlite_server.add_user()
    headers = {
        "Cookie": '__Host-jot_access=%%%; __Host-jot_refresh=\u00ff; XSRF-TOKEN="x"'.encode(
            "latin-1"
        )
    }
    me = await sqlite_server.client.get("/api/auth/me", headers=headers)
    assert_problem(me, 401)
    refresh = await sqlite_server.client.post(
        "/api/auth/refresh", headers={**headers, "X-XSRF-TOKEN": b'"\xffx"'}
    )
    assert refresh.status_code in (401, 403)


async def test_session_ids_in_the_path_are_bounded(server: Server) -> None:
    await server.add_user()
    await server.login()
    response = await server.client.delete("/api/auth/sessions/" + "a" * 500, headers=server.xsrf())
    assert_problem(response, 422)
    unknown = await server.client.delete("/api/auth/sessions/%00%ff", headers=server.xsrf())
    assert_problem(unknown, 422)
    missing = await server.client.delete("/api/auth/sessions/" + "0" * 32, headers=server.xsrf())
    assert_problem(missing, 404, "session_not_found")


async def test_nothing_secret_appears_in_logs(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    await server.add_user()
    caplog.set_level("DEBUG")
    login = await server.login(delivery="body", client="native")
    body = login.json()
    await server.client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    await server.login(password="wrong password, logged nowhere")
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    for secret in (
        PASSWORD,
        "wrong password, logged nowhere",
        body["access_token"],
        body["refresh_token"],
    ):
        assert secret not in logged
