"""Signing keys at rest: states and timestamps round-trip, private keys sealed under the secret."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from jotauth.store import KeyNotFound, KeyRepository, SealBroken, Store, StoredKey
from jotauth.store.schema import signing_keys

SECRET = b"0123456789abcdef0123456789abcdef"


def _pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _key(kid: str, state: str = "next", created_at: float = 1000.0) -> StoredKey:
    return StoredKey(
        kid=kid,
        alg="ES256",
        state=state,
        created_at=created_at,
        public_jwk={"kty": "EC", "kid": kid, "crv": "P-256", "x": "x", "y": "y"},
        private_pem=_pem(),
    )


async def test_saved_key_comes_back_with_private_key_decrypted(store: Store) -> None:
    repo = KeyRepository(store, secret_key=SECRET)
    key = _key("k1")
    assert await repo.save_key(key)
    assert await repo.list_keys() == [key]
    assert await repo.get_key("k1") == key


async def test_private_key_is_not_stored_in_plain_form(store: Store) -> None:
    key = _key("k1")
    await KeyRepository(store, secret_key=SECRET).save_key(key)
    async with store.read() as conn:
        row = (await conn.execute(select(signing_keys))).mappings().one()
    assert b"PRIVATE KEY" not in row["private_key_sealed"]
    assert key.private_pem not in row["private_key_sealed"]
    assert len(row["private_key_nonce"]) == 12


async def test_state_changes_update_timestamps_and_keep_the_private_key(store: Store) -> None:
    repo = KeyRepository(store, secret_key=SECRET)
    key = _key("k1")
    await repo.save_key(key)
    promoted = StoredKey(
        kid="k1",
        alg="ES256",
        state="current",
        created_at=key.created_at,
        public_jwk=key.public_jwk,
        private_pem=b"ignored on update",
        activated_at=2000.0,
        not_after=9000.0,
    )
    await repo.save_key(promoted)
    loaded = await repo.get_key("k1")
    assert (loaded.state, loaded.activated_at, loaded.not_after) == ("current", 2000.0, 9000.0)
    assert loaded.private_pem == key.private_pem


async def test_compare_and_set_promotes_only_from_the_expected_state(store: Store) -> None:
    repo = KeyRepository(store, secret_key=SECRET)
    key = _key("k1")
    await repo.save_key(key)
    current = StoredKey(**{**_fields(key), "state": "current", "activated_at": 5.0})
    assert await repo.save_key(current, expected_state="next")
    # A second instance racing with the same decision loses instead of double-promoting.
    assert not await repo.save_key(current, expected_state="next")
    assert not await repo.save_key(_key("unknown"), expected_state="next")
    assert [k.kid for k in await repo.list_keys()] == ["k1"]


async def test_keys_are_listed_oldest_first_and_can_be_deleted(store: Store) -> None:
    repo = KeyRepository(store, secret_key=SECRET)
    await repo.save_key(_key("newer", created_at=2.0))
    await repo.save_key(_key("older", "retired", created_at=1.0))
    assert [k.kid for k in await repo.list_keys()] == ["older", "newer"]
    assert await repo.delete_key("older")
    assert not await repo.delete_key("older")
    with pytest.raises(KeyNotFound) as caught:
        await repo.get_key("older")
    assert caught.value.code == "key_not_found"


async def test_keys_sealed_under_another_secret_fail_loudly(store: Store) -> None:
    await KeyRepository(store, secret_key=SECRET).save_key(_key("k1"))
    with pytest.raises(SealBroken):
        await KeyRepository(store, secret_key=b"a different secret key of 32 by").list_keys()


async def test_unknown_state_is_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        await KeyRepository(store, secret_key=SECRET).save_key(_key("k1", state="bogus"))


def _fields(key: StoredKey) -> dict[str, object]:
    return {name: getattr(key, name) for name in StoredKey.__dataclass_fields__}


async def test_lifecycle_enum_states_are_stored_as_their_names(store: Store) -> None:
    from jotauth.keys import KeyState

    repo = KeyRepository(store, secret_key=SECRET)
    key = _key("k1")
    await repo.save_key(StoredKey(**{**_fields(key), "state": KeyState.NEXT}))
    promoted = StoredKey(**{**_fields(key), "state": KeyState.CURRENT, "activated_at": 7.0})
    assert await repo.save_key(promoted, expected_state=KeyState.NEXT)
    loaded = await repo.get_key("k1")
    assert loaded.state == "current" and KeyState(loaded.state) is KeyState.CURRENT
