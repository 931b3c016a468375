"""UserService on a real database: accounts, authentication, throttling, roles, disabling,
password changes. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import argon2
import pytest
from sqlalchemy import select, update

from jotauth.settings import Settings
from jotauth.store import AuditLog, Store
from jotauth.store.schema import users as users_table
from jotauth.throttle import InMemoryLoginThrottle
from jotauth.users import (
    InvalidEmail,
    InvalidProfile,
    LoginThrottled,
    PasswordHasher,
    PasswordTooLong,
    User,
    UserExists,
    UserNotFound,
    UserService,
    WeakPassword,
    WrongPassword,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def hasher(store_settings: Settings) -> AsyncIterator[PasswordHasher]:
    hasher = PasswordHasher(store_settings)
    yield hasher
    hasher.close()


def _user_service(
    store: Store,
    hasher: PasswordHasher,
    settings: Settings,
    *,
    throttle: InMemoryLoginThrottle | None = None,
    audit: AuditLog | None = None,
) -> UserService:
    return UserService(
        store,
        hasher,
        throttle=throttle or InMemoryLoginThrottle(settings),
        audit=audit or AuditLog(store),
        min_password_length=settings.password_min_length,
    )


@pytest.fixture
def service(store: Store, hasher: PasswordHasher, store_settings: Settings) -> UserService:
    return _user_service(store, hasher, store_settings)


async def test_created_user_authenticates_with_any_spelling_of_the_address(
    service: UserService,
) -> None:
    user = await service.create_user(
        " Alice@Example.com ", PASSWORD, name="Alice", roles=["admin"], scope=["api/buy"]
    )
    assert isinstance(user, User)
    assert (user.email, user.name, user.roles, user.scope) == (
        "alice@example.com",
        "Alice",
        ("admin",),
        ("api/buy",),
    )
    assert len(user.id) == 32 and not user.disabled
    assert await service.authenticate("ALICE@example.com", PASSWORD) == user
    assert await service.get_user(user.id) == user
    assert await service.get_user_by_email("alice@EXAMPLE.com") == user
    assert await service.list_users() == [user]


async def test_wrong_password_unknown_user_and_disabled_user_look_the_same(
    service: UserService,
) -> None:
    user = await service.create_user("alice@example.com", PASSWORD)
    disabled = await service.create_user("bob@example.com", PASSWORD)
    await service.disable_user(disabled.id)
    assert await service.authenticate("alice@example.com", PASSWORD + "!") is None
    assert await service.authenticate("nobody@example.com", PASSWORD) is None
    assert await service.authenticate("bob@example.com", PASSWORD) is None
    assert await service.authenticate("alice@example.com", PASSWORD) == user


async def test_unknown_users_pay_for_the_same_argon2_verification_as_wrong_passwords(
    store: Store, store_settings: Settings
) -> None:
    # No timing assertion (the machine is shared and noisy): what makes the two cases cost
    # the same is that both run exactly one argon2 verification with the same parameters.
    hasher = PasswordHasher(store_settings)
    verified: list[str] = []
    real_verify = hasher._verify_sync

    def counting_verify(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    hasher._verify_sync = counting_verify  # type: ignore[method-assign]
    service = _user_service(
        store, hasher, store_settings, throttle=InMemoryLoginThrottle(store_settings.model_copy())
    )
    try:
        await service.create_user("alice@example.com", PASSWORD)
        assert await service.authenticate("alice@example.com", "wrong password 123") is None
        assert await service.authenticate("nobody@example.com", "wrong password 123") is None
    finally:
        hasher.close()
    assert len(verified) == 2, verified
    wrong_password_hash, unknown_user_hash = verified
    assert wrong_password_hash != unknown_user_hash
    assert argon2.extract_parameters(unknown_user_hash) == argon2.extract_parameters(
        wrong_password_hash
    )


async def test_duplicate_addresses_are_refused_whatever_the_spelling(service: UserService) -> None:
    await service.create_user("alice@example.com", PASSWORD)
    with pytest.raises(UserExists) as caught:
        await service.create_user("\uff21\uff2c\uff29\uff23\uff25@example.com", PASSWORD)
    assert caught.value.code == "user_exists"


@pytest.mark.parametrize(
    ("email", "password", "name", "roles", "error"),
    [
        ("not an email", PASSWORD, "", (), InvalidEmail),
        ("a\x00@example.com", PASSWORD, "", (), InvalidEmail),
        ("x" * 100_000, PASSWORD, "", (), InvalidEmail),
        ("alice@example.com", "short", "", (), WeakPassword),
        ("alice@example.com", "p" * 100_000, "", (), PasswordTooLong),
        ("alice@example.com", PASSWORD, "bad\x1bname", (), InvalidProfile),
        ("alice@example.com", PASSWORD, "n" * 201, (), InvalidProfile),
        ("alice@example.com", PASSWORD, "", ("has space",), InvalidProfile),
        ("alice@example.com", PASSWORD, "", ('quo"te',), InvalidProfile),
        ("alice@example.com", PASSWORD, "", ("r" * 65,), InvalidProfile),
        ("alice@example.com", PASSWORD, "", tuple(f"r{n}" for n in range(65)), InvalidProfile),
    ],
)
async def test_hostile_signup_input_is_a_clean_error_with_a_code(
    service: UserService,
    email: str,
    password: str,
    name: str,
    roles: tuple[str, ...],
    error: type[Exception],
) -> None:
    with pytest.raises(error) as caught:
        await service.create_user(email, password, name=name, roles=roles)
    assert caught.value.code  # type: ignore[attr-defined]
    assert await service.list_users() == []


async def test_a_100_kb_login_password_is_refused_without_hashing(service: UserService) -> None:
    await service.create_user("alice@example.com", PASSWORD)
    started = time.perf_counter()
    with pytest.raises(PasswordTooLong):
        await service.authenticate("alice@example.com", "p" * 100_000)
    assert time.perf_counter() - started < 0.5


async def test_logins_are_throttled_per_account_with_retry_after(
    store: Store, hasher: PasswordHasher, store_settings: Settings
) -> None:
    settings = store_settings.model_copy(update={"login_attempts_per_account": 3})
    audit = AuditLog(store)
    service = _user_service(store, hasher, settings, audit=audit)
    await service.create_user("alice@example.com", PASSWORD)
    for _ in range(3):
        assert await service.authenticate("alice@example.com", "wrong", ip="192.0.2.1") is None
    with pytest.raises(LoginThrottled) as caught:
        await service.authenticate("alice@example.com", PASSWORD, ip="192.0.2.1")
    assert caught.value.code == "too_many_attempts"
    assert 0 < caught.value.retry_after <= settings.login_window
    # The throttled attempt is counted (written at the next flush), the wrong ones recorded.
    failed = await audit.list_events(event="login_failed")
    assert [e.detail["reason"] for e in failed if e.detail] == ["wrong_password"] * 3
    await audit.flush_throttled()
    [counted] = await audit.throttled_counts(event="login_failed")
    assert (counted.count, counted.ip) == (1, "192.0.2.1")


async def test_a_good_login_resets_the_account_count(
    store: Store, hasher: PasswordHasher, store_settings: Settings
) -> None:
    settings = store_settings.model_copy(update={"login_attempts_per_account": 3})
    service = _user_service(store, hasher, settings)
    await service.create_user("alice@example.com", PASSWORD)
    for _ in range(5):
        assert await service.authenticate("alice@example.com", "wrong") is None
        assert await service.authenticate("alice@example.com", PASSWORD) is not None


async def test_old_argon2_parameters_are_upgraded_transparently_at_login(
    store: Store, store_settings: Settings
) -> None:
    old_hasher = PasswordHasher(store_settings)
    new_settings = store_settings.model_copy(update={"argon2_time_cost": 2})
    new_hasher = PasswordHasher(new_settings)
    try:
        user = await _user_service(store, old_hasher, store_settings).create_user(
            "alice@example.com", PASSWORD
        )
        service = _user_service(store, new_hasher, new_settings)
        assert await service.authenticate("alice@example.com", PASSWORD) == user
        async with store.read() as conn:
            stored = (await conn.execute(select(users_table.c.password_hash))).scalar_one()
        assert ",t=2," in stored
        assert await service.authenticate("alice@example.com", PASSWORD) == user
    finally:
        old_hasher.close()
        new_hasher.close()


async def test_a_corrupt_stored_hash_fails_login_instead_of_crashing(
    store: Store, service: UserService
) -> None:
    await service.create_user("alice@example.com", PASSWORD)
    async with store.transaction() as conn:
        await conn.execute(update(users_table).values(password_hash="$argon2id$garbage"))
    assert await service.authenticate("alice@example.com", PASSWORD) is None


async def test_password_change_needs_the_current_password_and_a_strong_new_one(
    service: UserService,
) -> None:
    user = await service.create_user("alice@example.com", PASSWORD)
    with pytest.raises(WrongPassword) as wrong:
        await service.change_password(user.id, "not my password", "a new strong passphrase")
    assert wrong.value.code == "wrong_password"
    with pytest.raises(WeakPassword):
        await service.change_password(user.id, PASSWORD, "weak")
    with pytest.raises(PasswordTooLong):
        await service.change_password(user.id, PASSWORD, "x" * 100_000)
    with pytest.raises(UserNotFound):
        await service.change_password("nope", PASSWORD, "a new strong passphrase")


async def test_roles_and_scope_are_replaced(service: UserService) -> None:
    user = await service.create_user("alice@example.com", PASSWORD)
    updated = await service.set_roles(user.id, ["admin", "editor", "admin"])
    assert updated.roles == ("admin", "editor")
    assert (await service.set_scope(user.id, "api/read api/buy")).scope == ("api/read", "api/buy")
    assert (await service.get_user(user.id)) == (
        await service.get_user_by_email("alice@example.com")
    )
    with pytest.raises(UserNotFound) as caught:
        await service.set_roles("nope", ["admin"])
    assert caught.value.code == "user_not_found"


async def test_sign_up_of_a_taken_address_is_refused_without_hashing_and_audited(
    store: Store, store_settings: Settings
) -> None:
    hasher = PasswordHasher(store_settings)
    hashed: list[str] = []
    real_hash = hasher.hash

    async def counting_hash(password: str) -> str:
        hashed.append("hash")
        return await real_hash(password)

    hasher.hash = counting_hash  # type: ignore[method-assign]
    service = _user_service(store, hasher, store_settings)
    try:
        await service.sign_up("alice@example.com", PASSWORD, ip="192.0.2.1")
        assert len(hashed) == 1
        with pytest.raises(UserExists):
            await service.sign_up("Alice@Example.com", "another long passphrase", ip="192.0.2.1")
        assert len(hashed) == 1
    finally:
        hasher.close()
    failed = await AuditLog(store).list_events(event="signup_failed")
    assert [e.detail["reason"] for e in failed if e.detail] == ["user_exists"]


async def test_sign_up_is_throttled_per_account_and_per_address(
    store: Store, hasher: PasswordHasher, store_settings: Settings
) -> None:
    settings = store_settings.model_copy(
        update={"login_attempts_per_account": 3, "login_attempts_per_ip": 4}
    )
    service = _user_service(store, hasher, settings)
    await service.create_user("alice@example.com", PASSWORD)
    for _ in range(3):
        with pytest.raises(UserExists):
            await service.sign_up("alice@example.com", PASSWORD, ip="192.0.2.1")
    with pytest.raises(LoginThrottled):
        await service.sign_up("alice@example.com", PASSWORD, ip="192.0.2.2")
    await service.sign_up("bob@example.com", PASSWORD, ip="192.0.2.1")
    with pytest.raises(LoginThrottled) as caught:
        await service.sign_up("carol@example.com", PASSWORD, ip="192.0.2.1")
    assert 0 < caught.value.retry_after <= settings.login_window
    assert await service.get_user_by_email("carol@example.com") is None
