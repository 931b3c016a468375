"""Email aliases never make a second account (issue 10, item 12): another spelling of the
domain is the same user, and a homoglyph local part is refused before it reaches the store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from jotauth.settings import Settings
from jotauth.store import AuditLog, open_store
from jotauth.throttle import InMemoryLoginThrottle
from jotauth.users import InvalidEmail, PasswordHasher, UserExists, UserService

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def users(store_settings: Settings) -> AsyncIterator[UserService]:
    store = await open_store(store_settings)
    hasher = PasswordHasher(store_settings)
    yield UserService(
        store,
        hasher,
        throttle=InMemoryLoginThrottle(store_settings),
        audit=AuditLog(store),
        min_password_length=12,
    )
    hasher.close()
    await store.close()


@pytest.mark.parametrize(
    ("address", "alias"),
    [
        ("victim@example.com", "victim@example\u3002com"),
        ("ada@bücher.example", "ada@xn--bcher-kva.example"),
        ("ada@xn--bcher-kva.example", "ada@BÜCHER.example"),
    ],
)
async def test_an_alias_of_a_registered_address_is_the_same_account(
    users: UserService, address: str, alias: str
) -> None:
    victim = await users.create_user(address, PASSWORD)
    with pytest.raises(UserExists):
        await users.create_user(alias, "another strong passphrase")
    with pytest.raises(UserExists):
        await users.sign_up(alias, "another strong passphrase")
    signed_in = await users.authenticate(alias, PASSWORD)
    assert signed_in is not None and signed_in.id == victim.id
    assert [user.id for user in await users.list_users()] == [victim.id]


async def test_a_homoglyph_of_a_registered_address_cannot_sign_up(users: UserService) -> None:
    await users.create_user("admin@example.com", PASSWORD)
    with pytest.raises(InvalidEmail) as caught:
        await users.sign_up("adm\u0456n@example.com", "another strong passphrase")
    assert caught.value.code == "invalid_email"
    assert len(await users.list_users()) == 1
