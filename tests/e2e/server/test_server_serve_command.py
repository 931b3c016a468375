"""``jotauth serve`` start-up: refusals in production, loud development mode."""

import json
import subprocess
from pathlib import Path

import httpx

from tests.e2e.server.server_process import server_env
from tests.support.ports import free_port
from tests.support.serve import JOTAUTH, ServerProcess


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = server_env(f"sqlite+aiosqlite:///{tmp_path}/j.db", 1)
    del env["JOTAUTH_SECRET_KEY"]
    result = subprocess.run(
        [JOTAUTH, "serve", "--port", "1"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "refusing to start" in result.stderr and "JOTAUTH_SECRET_KEY" in result.stderr


def test_serve_refuses_a_plain_http_public_url_outside_loopback(tmp_path: Path) -> None:
    env = server_env(
        f"sqlite+aiosqlite:///{tmp_path}/j.db", 1, JOTAUTH_ISSUER="http://auth.example.org"
    )
    result = subprocess.run(
        [JOTAUTH, "serve", "--port", "1"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode != 0 and "plain HTTP" in result.stderr


def test_dev_mode_says_loudly_that_it_drops_secure_and_the_host_prefix(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(f"sqlite+aiosqlite:///{tmp_path}/j.db", port)
    del env["JOTAUTH_SECRET_KEY"]
    server = ServerProcess(env, port, tmp_path, "--dev")
    try:
        server.wait_ready()
        signup = httpx.post(
            f"{server.url}/api/auth/signup",
            json={"email": "dev@example.org", "password": "a dev passphrase!"},
        )
        assert signup.status_code == 204
        cookies = signup.headers.get_list("set-cookie")
        assert sorted(c.split("=", 1)[0] for c in cookies) == [
            "XSRF-TOKEN",
            "jot_access",
            "jot_refresh",
        ]
        assert all("Secure" not in c for c in cookies)
    finally:
        server.stop()
    log = server.log()
    assert "DEVELOPMENT MODE" in log and "WITHOUT Secure" in log


def test_forwarded_for_is_trusted_only_from_the_named_proxies(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(f"sqlite+aiosqlite:///{tmp_path}/j.db", port)
    server = ServerProcess(env, port, tmp_path, "--forwarded-allow-ips", "127.0.0.1")
    try:
        server.wait_ready()
        headers = {"X-Forwarded-For": "198.51.100.9"}
        signup = httpx.post(
            f"{server.url}/api/auth/signup",
            json={"email": "p@example.org", "password": "a proxy passphrase", "delivery": "body"},
            headers=headers,
        )
        bearer = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        sessions = httpx.get(f"{server.url}/api/auth/sessions", headers=bearer).json()
        assert [s["ip"] for s in sessions["sessions"]] == ["198.51.100.9"]
    finally:
        server.stop()


def test_logs_are_json_lines_without_secrets(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(f"sqlite+aiosqlite:///{tmp_path}/j.db", port, JOTAUTH_LOG_LEVEL="info")
    server = ServerProcess(env, port, tmp_path)
    password = "a passphrase nobody logs"
    try:
        server.wait_ready()
        body = {"email": "log@example.org", "password": password, "client": "native"}
        signup = httpx.post(f"{server.url}/api/auth/signup", json=body).json()
        refreshed = httpx.post(
            f"{server.url}/api/auth/refresh",
            json={"refresh_token": signup["refresh_token"]},
            params={"return_to": "https://x.test/?token=query-secret"},
        ).json()
        httpx.post(f"{server.url}/api/auth/login", json={**body, "password": "wrong guess 123"})
    finally:
        server.stop()
    log = server.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(entry.get("route") == "/api/auth/refresh" for entry in lines)
    assert any(entry.get("event") == "login_failed" for entry in lines)
    for secret in (
        password,
        "wrong guess 123",
        signup["refresh_token"],
        signup["access_token"],
        refreshed["access_token"],
        "query-secret",
    ):
        assert secret not in log
