"""JWKS, discovery metadata, health, readiness, metrics, OpenAPI and start-up refusals."""

import os
import sys
import threading
from pathlib import Path

import httpx
import pytest

from jotauth import jose
from jotauth.keys import SigningKeysError
from jotauth.server.app import create_app
from jotauth.settings import Settings, StartupRefused
from jotauth.store import SealBroken
from tests.integration.server.server_harness import (
    APP_ORIGIN,
    BASE_URL,
    Server,
    server_settings,
    start_server,
)


async def test_jwks_publishes_current_and_next_keys_with_cache_control(server: Server) -> None:
    response = await server.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    keys = response.json()["keys"]
    assert {k["kid"] for k in keys} == {k.kid for k in server.context.keys.managed_keys()}
    # The harness signs access tokens with ES256; the RS256 keys beside them sign ID tokens
    # only (DESIGN §11: RS256 is always offered for ID tokens).
    assert {k["alg"] for k in keys} == {"ES256", "RS256"}
    for key in keys:
        assert key["use"] == "sig" and key["kty"] == {"ES256": "EC", "RS256": "RSA"}[key["alg"]]
        assert "d" not in key


async def test_rsa_keys_carry_x5c_and_thumbprint(sqlite_url: str) -> None:

    async for running in start_server(server_settings(sqlite_url, algorithm="RS256")):
        keys = (await running.client.get("/.well-known/jwks.json")).json()["keys"]
        assert all("x5c" in k and "x5t#S256" in k and "d" not in k for k in keys)


async def test_openid_configuration_points_at_the_jwks(sqlite_server: Server) -> None:
    metadata = (await sqlite_server.client.get("/.well-known/openid-configuration")).json()
    assert metadata["issuer"] == BASE_URL
    assert metadata["jwks_uri"] == f"{BASE_URL}/.well-known/jwks.json"
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    # The standard token endpoint, not the first-party refresh endpoint (issue 11).
    assert metadata["token_endpoint"] == f"{BASE_URL}/oauth2/token"
    assert "password" not in metadata["grant_types_supported"]


METRICS_TOKEN = "scrape-token-0123456789"


async def test_health_readiness_and_metrics(database_url: str) -> None:
    async for server in start_server(server_settings(database_url, metrics_token=METRICS_TOKEN)):
        assert (await server.client.get("/healthz")).json() == {"status": "ok"}
        assert (await server.client.get("/readyz")).status_code == 200
        await server.add_user()
        await server.login()
        await server.login(password="wrong password!")
        scraped = await server.client.get(
            "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        _assert_login_metrics(scraped.text)


def _assert_login_metrics(text: str) -> None:
    assert 'jotauth_logins_total{outcome="success"} 1.0' in text
    assert 'jotauth_logins_total{outcome="invalid_credentials"} 1.0' in text
    assert 'jotauth_failures_total{code="invalid_credentials"} 1.0' in text
    assert (
        'jotauth_http_request_duration_seconds_count{method="POST",route="/api/auth/login"' in text
    )


async def test_metrics_are_not_served_outside_dev_without_a_token(sqlite_url: str) -> None:
    async for running in start_server(server_settings(sqlite_url)):
        response = await running.client.get("/metrics")
        assert response.status_code == 404
        assert response.json()["code"] == "feature_disabled"
        assert "jotauth_" not in response.text


async def test_metrics_are_open_in_dev_without_a_token(sqlite_url: str) -> None:
    async for running in start_server(server_settings(sqlite_url, dev=True)):
        await running.add_user()
        await running.login()
        await running.login(password="wrong password!")
        response = await running.client.get("/metrics")
        assert response.status_code == 200
        _assert_login_metrics(response.text)


async def test_metrics_need_the_metrics_token_when_one_is_set(sqlite_url: str) -> None:
    settings = server_settings(sqlite_url, metrics_token=METRICS_TOKEN)
    async for running in start_server(settings):
        anonymous = await running.client.get("/metrics")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"].startswith('Bearer realm="jotauth"')
        wrong = await running.client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        scraped = await running.client.get(
            "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert scraped.status_code == 200 and "jotauth_" in scraped.text


async def test_metrics_can_be_turned_off(sqlite_url: str) -> None:
    async for running in start_server(server_settings(sqlite_url, metrics_enabled=False)):
        assert (await running.client.get("/metrics")).status_code == 404


async def test_openapi_schema_is_served(sqlite_server: Server) -> None:
    schema = (await sqlite_server.client.get("/openapi.json")).json()
    assert {"/api/auth/login", "/api/auth/refresh", "/api/auth/me"} <= set(schema["paths"])


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(StartupRefused, match="JOTAUTH_SECRET_KEY"):
        create_app(Settings(issuer="https://auth.example.org"))


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(StartupRefused, match="32 characters"):
        create_app(Settings(issuer="https://auth.example.org", secret_key="short"))


@pytest.mark.parametrize("secret", ["a" * 40, "changeme" * 5, "0123456789abcd" * 3])
def test_production_refuses_a_placeholder_secret_key(secret: str) -> None:
    with pytest.raises(StartupRefused, match="placeholder"):
        create_app(Settings(issuer="https://auth.example.org", secret_key=secret))


async def test_responses_carry_hsts_outside_dev_only(sqlite_server: Server) -> None:
    response = await sqlite_server.client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    dev = create_app(Settings(dev=True))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=dev), base_url="http://127.0.0.1:8000"
    ) as client:
        assert "strict-transport-security" not in (await client.get("/healthz")).headers


def test_production_refuses_plain_http_unless_told_explicitly() -> None:
    secret = "0123456789abcdefghijklmnopqrstuvwxyz"
    with pytest.raises(StartupRefused, match="plain HTTP"):
        create_app(Settings(issuer="http://auth.example.org", secret_key=secret))
    create_app(
        Settings(issuer="http://auth.example.org", secret_key=secret, allow_insecure_cookies=True)
    )
    create_app(Settings(issuer="http://127.0.0.1:8000", secret_key=secret))  # loopback is TLS-safe


def test_production_refuses_to_bind_off_loopback_with_a_plain_http_issuer() -> None:
    secret = "0123456789abcdefghijklmnopqrstuvwxyz"
    with pytest.raises(StartupRefused, match="not loopback"):
        create_app(Settings(issuer="http://127.0.0.1:8000", host="0.0.0.0", secret_key=secret))
    with pytest.raises(StartupRefused, match="ALLOW_INSECURE_COOKIES"):
        create_app(Settings(issuer="http://localhost:8000", host="192.0.2.10", secret_key=secret))
    create_app(Settings(issuer="http://127.0.0.1:8000", host="::1", secret_key=secret))
    create_app(Settings(issuer="https://auth.example.org", host="0.0.0.0", secret_key=secret))
    create_app(
        Settings(
            issuer="http://127.0.0.1:8000",
            host="0.0.0.0",
            secret_key=secret,
            allow_insecure_cookies=True,
        )
    )


def test_serve_on_all_interfaces_without_dev_or_tls_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from jotauth.cli.serve import serve

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JOTAUTH_SECRET_KEY", "0123456789abcdefghijklmnopqrstuvwxyz")
    monkeypatch.setenv("JOTAUTH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/j.db")
    served: list[object] = []
    # Were the refusal missing, the test must fail rather than serve forever.
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(options))
    result = CliRunner().invoke(serve, ["--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code != 0
    assert "refusing to start" in result.output and "not loopback" in result.output
    assert served == []


def test_host_prefixed_refresh_cookie_with_a_sub_path_is_refused() -> None:
    with pytest.raises(StartupRefused, match="__Host-"):
        create_app(
            Settings(
                issuer="https://auth.example.org",
                secret_key="0123456789abcdefghijklmnopqrstuvwxyz",
                refresh_cookie_path="/api/auth",
            )
        )


def test_dev_mode_starts_without_a_secret_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    create_app(Settings(dev=True))
    assert "DEVELOPMENT MODE" in caplog.text


def test_hs256_is_refused_for_the_auth_server() -> None:
    with pytest.raises(StartupRefused, match="HS256"):
        create_app(Settings(dev=True, algorithm="HS256"))


async def test_signing_keys_from_pem_files_sign_and_are_published(
    sqlite_url: str, tmp_path: Path
) -> None:
    from jotauth.keys import generate_signing_key, save_private_pem

    key = generate_signing_key("ES256")
    save_private_pem(key, tmp_path / "signing.pem")
    settings = server_settings(sqlite_url, signing_key_files=(tmp_path / "signing.pem",))
    async for running in start_server(settings):
        keys = (await running.client.get("/.well-known/jwks.json")).json()["keys"]
        # The one access key is the file's; the RS256 ID-token keys are the store's.
        assert [k["kid"] for k in keys if k["alg"] == "ES256"] == [key.kid]
        await running.add_user()
        token = (await running.login(delivery="body")).json()["access_token"]
        assert jose.decode_unverified(token)[0]["kid"] == key.kid
        with pytest.raises(SigningKeysError):
            await running.context.keys.rotate()


async def test_cors_is_granted_to_allowlisted_origins_only(sqlite_server: Server) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-xsrf-token",
    }
    allowed = await sqlite_server.client.options(
        "/api/auth/refresh", headers={"Origin": APP_ORIGIN, **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    evil = await sqlite_server.client.options(
        "/api/auth/refresh", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in evil.headers


async def test_an_unexpected_error_is_a_generic_500_problem(sqlite_url: str) -> None:
    app = create_app(server_settings(sqlite_url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "secret" not in response.text and "RuntimeError" not in response.text


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        # Not the client's fault and over soon: 503 + Retry-After, never 401 or a bare 500.
        (
            SigningKeysError("no current signing key in /secret/keys"),
            503,
            "signing_keys_unavailable",
        ),
        (SealBroken("row /secret/keys could not be decrypted"), 500, "internal_error"),
    ],
)
async def test_key_failures_are_problems_without_internals(
    sqlite_url: str, error: Exception, status: int, code: str
) -> None:
    app = create_app(server_settings(sqlite_url))

    @app.get("/keys-down")
    def keys_down() -> None:
        raise error

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            response = await client.get("/keys-down")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert ("retry-after" in response.headers) == (status == 503)
    assert "secret" not in response.text


def test_settings_come_from_a_toml_file_given_with_config(tmp_path: Path) -> None:
    from jotauth.cli.options import load_settings

    config = tmp_path / "auth.toml"
    config.write_text('issuer = "https://auth.example.net"\njwks_max_age = 42\n')
    settings = load_settings(config, port=9999)
    assert settings.issuer == "https://auth.example.net"
    assert settings.jwks_max_age == 42 and settings.port == 9999


async def test_expired_sessions_are_purged_in_the_background(server: Server) -> None:
    import asyncio

    from jotauth.server.maintenance import purge_expired_sessions

    await server.add_user()
    await server.login()
    sid = server.context.verifier.verify(server.client.cookies["__Host-jot_access"]).sid or ""
    assert await server.context.sessions.get_session(sid) is not None
    server.clock.advance(server.context.settings.session_absolute_ttl + 1)
    stop = asyncio.Event()
    task = asyncio.create_task(purge_expired_sessions(server.context.sessions, stop, interval=0.01))
    await asyncio.sleep(0.2)
    stop.set()
    await task
    assert await server.context.sessions.get_session(sid) is None


async def test_signup_is_404_when_disabled(sqlite_url: str) -> None:
    async for running in start_server(server_settings(sqlite_url, signup_enabled=False)):
        response = await running.client.post(
            "/api/auth/signup", json={"email": "a@example.org", "password": "a long passphrase"}
        )
        assert response.status_code == 404
        assert response.json()["code"] == "feature_disabled"


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux-only")
async def test_password_hashing_threads_run_below_the_request_path(sqlite_server: Server) -> None:
    await sqlite_server.add_user()
    await sqlite_server.login()
    hashing = [t for t in threading.enumerate() if t.name.startswith("jotauth-argon2")]
    assert hashing
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for thread in hashing:
        assert thread.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) > own


def test_without_a_configured_issuer_the_issuer_is_the_served_address() -> None:
    from jotauth.cli.options import load_settings
    from jotauth.cli.serve import _issuer_follows_address

    assert _issuer_follows_address(load_settings(None, port=9000)).issuer == (
        "http://127.0.0.1:9000"
    )
    assert _issuer_follows_address(load_settings(None, host="0.0.0.0", port=80)).issuer == (
        "http://127.0.0.1:80"
    )
    configured = load_settings(None, issuer="https://auth.example.org", port=9000)
    assert _issuer_follows_address(configured).issuer == "https://auth.example.org"
