"""Password policy and hashing: long passphrases welcome, huge inputs refused before hashing."""

from __future__ import annotations

import asyncio
import time

import pytest

from jotauth.settings import Settings
from jotauth.users import (
    MAX_PASSWORD_CHARS,
    PasswordHasher,
    PasswordTooLong,
    WeakPassword,
    check_password_policy,
    common_passwords,
    prepare_password,
)
from tests.support.loop_ticks import loop_ticks

CHEAP = {"argon2_time_cost": 1, "argon2_memory_cost": 64, "argon2_parallelism": 1}


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "            ",  # only spaces
        "aaaaaaaaaaaaaaaa",  # too few distinct characters
        "correct horse\x00battery",  # control character
        "alice.martin@example.com",  # the address itself
        "my name is alice.martin!!",  # contains the local part
    ],
)
def test_weak_passwords_are_refused_for_new_accounts(password: str) -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password_policy(password, min_length=12, email="alice.martin@example.com")
    assert caught.value.code == "weak_password"


def test_the_shipped_list_holds_the_10000_most_common_passwords() -> None:
    listed = common_passwords()
    assert len(listed) == 10_000
    assert {"123456", "password", "qwerty", "iloveyou", "trustno1"} <= listed


@pytest.mark.parametrize("password", ["qwerty123456", "1qaz2wsx3edc", "QWERTY123456", "password"])
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    with pytest.raises(WeakPassword, match="most common"):
        check_password_policy(password, min_length=8)


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("jotauth2024!", ()),  # the service's name with a little around it
        ("Marguerite1990", ("Marguerite Duras",)),  # the user's name
    ],
)
def test_context_words_with_a_little_around_them_are_refused(
    password: str, context: tuple[str, ...]
) -> None:
    with pytest.raises(WeakPassword, match="name"):
        check_password_policy(password, min_length=8, context=context)


def test_no_composition_rules_and_a_long_passphrase_may_contain_a_context_word() -> None:
    # NIST SP 800-63B §5.1.1.2: no "one digit, one capital" rules; length does the work.
    assert check_password_policy("all lower case words here", min_length=8)
    assert check_password_policy("my jotauth passphrase is long", min_length=8)
    assert check_password_policy("eightchr", min_length=8)


def test_a_long_unicode_passphrase_is_accepted_and_nfkc_normalised() -> None:
    prepared = check_password_policy(
        "\uff23orrect horse battery staple ünïcödé", min_length=12, email="a@example.com"
    )
    assert prepared.startswith("Correct")


def test_a_100_kb_password_is_refused_before_any_hashing() -> None:
    started = time.perf_counter()
    with pytest.raises(PasswordTooLong) as caught:
        prepare_password("x" * 100_000)
    assert caught.value.code == "password_too_long"
    assert time.perf_counter() - started < 0.05
    with pytest.raises(PasswordTooLong):
        check_password_policy("y" * (MAX_PASSWORD_CHARS + 1), min_length=12)
    assert prepare_password("z" * MAX_PASSWORD_CHARS)


async def test_hash_verifies_the_right_password_only() -> None:
    hasher = PasswordHasher(Settings(**CHEAP))
    try:
        password_hash = await hasher.hash("correct horse battery staple")
        assert password_hash.startswith("$argon2id$v=19$m=64,t=1,p=1$")
        assert await hasher.verify(password_hash, "correct horse battery staple")
        assert not await hasher.verify(password_hash, "Correct horse battery staple")
        assert not await hasher.verify("not a hash", "anything")
    finally:
        hasher.close()


async def test_hashes_made_with_older_parameters_need_a_rehash() -> None:
    old = PasswordHasher(Settings(**CHEAP))
    new = PasswordHasher(Settings(**{**CHEAP, "argon2_time_cost": 2}))
    try:
        password_hash = await old.hash("correct horse battery staple")
        assert not old.check_needs_rehash(password_hash)
        assert new.check_needs_rehash(password_hash)
        assert new.check_needs_rehash("garbage")
    finally:
        old.close()
        new.close()


async def test_hashing_runs_off_the_event_loop_in_a_bounded_pool() -> None:
    # Heavier parameters so a hash takes a noticeable time; the loop must keep ticking.
    hasher = PasswordHasher(
        Settings(argon2_time_cost=2, argon2_memory_cost=16 * 1024, hash_workers=2)
    )
    try:
        async with loop_ticks(0.001) as ticks:
            started = time.perf_counter()
            await asyncio.gather(*(hasher.hash(f"password {n}") for n in range(8)))
            elapsed = time.perf_counter() - started
    finally:
        hasher.close()
    # The loop ran throughout: at least a tick per 10 ms of hashing.
    assert ticks.count >= elapsed * 100 * 0.5 - 1
