"""``jotauth users`` and ``jotauth sessions`` against a real SQLite file, through the main CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from jotauth.cli import main
from jotauth.sessions import SessionPolicy, SessionService
from jotauth.settings import Settings
from jotauth.store import open_store

PASSWORD = "correct horse battery staple"


@pytest.fixture
def env(cli_database: Path) -> Settings:
    return Settings()


def _run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


def test_add_reads_the_password_from_stdin_and_list_shows_the_user(env: Settings) -> None:
    code, out = _run(
        "users", "add", "Alice@Example.com", "--name", "Alice", "--role", "admin",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0, out
    assert "created user alice@example.com" in out
    code, out = _run("users", "list", "--json")
    assert code == 0, out
    listed = json.loads(out.strip())
    assert (listed["email"], listed["roles"], listed["disabled"]) == (
        "alice@example.com",
        ["admin"],
        False,
    )
    assert PASSWORD not in out


def test_add_prompts_twice_for_the_password(env: Settings) -> None:
    code, out = _run("users", "add", "bob@example.com", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, out
    assert PASSWORD not in out  # hidden input is not echoed


def test_weak_password_and_duplicate_user_are_clear_cli_errors(env: Settings) -> None:
    code, out = _run("users", "add", "a@example.com", "--password-stdin", input="short\n")
    assert code == 1 and "weak_password" in out
    _run("users", "add", "a@example.com", "--password-stdin", input=PASSWORD + "\n")
    code, out = _run("users", "add", "A@example.com", "--password-stdin", input=PASSWORD + "\n")
    assert code == 1 and "user_exists" in out
    code, out = _run("users", "add", "not-an-email", "--password-stdin", input=PASSWORD + "\n")
    assert code == 1 and "invalid_email" in out
    assert "Traceback" not in out


def test_set_roles_disable_and_sessions_commands(env: Settings) -> None:
    _run("users", "add", "a@example.com", "--password-stdin", input=PASSWORD + "\n")
    code, out = _run("users", "set-roles", "a@example.com", "admin", "editor")
    assert code == 0 and "roles=admin,editor" in out

    async def login() -> str:
        store = await open_store(env)
        try:
            from jotauth.store import AuditLog
            from jotauth.throttle import InMemoryLoginThrottle
            from jotauth.users import PasswordHasher, UserService

            hasher = PasswordHasher(env)
            users = UserService(
                store,
                hasher,
                throttle=InMemoryLoginThrottle(env),
                audit=AuditLog(store),
                min_password_length=env.password_min_length,
            )
            user = await users.authenticate("a@example.com", PASSWORD)
            assert user is not None and user.roles == ("admin", "editor")
            hasher.close()
            sessions = SessionService(
                store,
                SessionPolicy.from_settings(env),
                audit=AuditLog(store),
                secret=b"cli test secret 0123456789",
            )
            issued = await sessions.create_session(user.id, user_agent="cli")
            return issued.session.id
        finally:
            await store.close()

    first, second = asyncio.run(login()), asyncio.run(login())
    code, out = _run("sessions", "list", "--user", "a@example.com")
    assert code == 0 and first in out and second in out
    code, out = _run("sessions", "revoke", first)
    assert code == 0, out
    code, out = _run("sessions", "revoke", first)
    assert code == 1 and "no active session" in out
    code, out = _run("sessions", "list", "--json")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [second]

    code, out = _run("users", "disable", "a@example.com")
    assert code == 0 and "sessions ended" in out
    code, out = _run("sessions", "list")
    assert code == 0 and out == ""
    code, out = _run("users", "disable", "nobody@example.com")
    assert code == 1 and "no user" in out


def test_reset_mfa_removes_the_authenticator_and_recovery_codes_and_is_audited(
    env: Settings,
) -> None:
    import time

    from jotauth.accounts import ClientInfo, SignedIn
    from jotauth.composition import open_services
    from tests.support.otp import oathtool_code

    _run("users", "add", "ada@example.org", "--password-stdin", input=PASSWORD + "\n")

    async def enrol() -> None:
        async with open_services(env) as services:
            await services.require_signing().keys.start()
            accounts = services.require_accounts()
            signed_in = await accounts.sign_in.login(
                email="ada@example.org", password=PASSWORD, client=ClientInfo()
            )
            assert isinstance(signed_in, SignedIn)
            setup = await accounts.second_factors.start_totp(
                user_id=signed_in.user.id, session_id=signed_in.session_id
            )
            codes = await accounts.second_factors.confirm_totp(
                user_id=signed_in.user.id,
                session_id=signed_in.session_id,
                code=oathtool_code(setup.secret, time.time()),
                client=ClientInfo(),
            )
            assert len(codes) == 10

    async def afterwards() -> tuple[tuple[str, ...], object]:
        async with open_services(env) as services:
            user = await services.users.get_user_by_email("ada@example.org")
            assert user is not None
            status = await services.require_accounts().second_factors.status(user.id)
            events = await services.audit.list_events(event="mfa_reset", user_id=user.id)
            return status.methods, events[0].detail

    asyncio.run(enrol())
    code, out = _run("users", "reset-mfa", "ada@example.org")
    assert code == 0, out
    assert out.strip() == "ada@example.org: second factors reset (totp, recovery_code)"
    methods, detail = asyncio.run(afterwards())
    assert methods == () and detail == {"removed": ["totp", "recovery_code"], "by": "operator"}
    code, out = _run("users", "reset-mfa", "ada@example.org")
    assert code == 0 and "nothing to remove" in out
    code, out = _run("users", "reset-mfa", "nobody@example.org")
    assert code == 1 and "no user with the email address" in out
