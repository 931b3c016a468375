"""The RS256 ID-token ring beside an ES256 access-token ring, on a real SQLite store
(DESIGN §11: RS256 always offered for ID tokens)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jotauth.composition import open_services
from jotauth.keys import SigningKeysError
from jotauth.settings import Settings


def _settings(tmp_path: Path, algorithm: str) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/j.db",
        secret_key="a-test-secret-key-that-is-long-enough-0123456789",
        algorithm=algorithm,
    )


async def test_es256_access_keys_get_an_rs256_ring_that_never_verifies_access_tokens(
    tmp_path: Path,
) -> None:
    async with open_services(_settings(tmp_path, "ES256")) as services:
        keys = services.require_signing().keys
        await keys.start()
        assert keys.id_token_algorithms == ("RS256", "ES256")
        assert keys.signing_key().alg == "ES256"
        assert keys.id_token_key("RS256").alg == "RS256"
        assert keys.id_token_key("ES256").kid == keys.signing_key().kid
        with pytest.raises(SigningKeysError):
            keys.id_token_key("EdDSA")
        # Each ring publishes a current and a next key; the JWKS shows all four.
        assert sorted(jwk["alg"] for jwk in keys.jwks()["keys"]) == ["ES256"] * 2 + ["RS256"] * 2
        assert {key.alg for key in keys.key_set()} == {"ES256"}  # access tokens only
        assert {key.alg for key in keys.id_token_key_set()} == {"RS256", "ES256"}

        # Revoking the RS256 signer replaces it within its own ring; the access ring stays.
        access_kid, rs256_kid = keys.signing_key().kid, keys.id_token_key("RS256").kid
        await keys.revoke(rs256_kid)
        assert keys.id_token_key("RS256").kid not in (rs256_kid, access_kid)
        assert keys.signing_key().kid == access_kid
        assert rs256_kid not in {jwk["kid"] for jwk in keys.jwks()["keys"]}

    # A restart finds both rings again, each with its own keys.
    async with open_services(_settings(tmp_path, "ES256")) as services:
        again = services.require_signing().keys
        await again.start()
        assert again.signing_key().kid == access_kid
        assert again.id_token_key("RS256").alg == "RS256"


async def test_rs256_access_keys_sign_the_id_tokens_too(tmp_path: Path) -> None:
    async with open_services(_settings(tmp_path, "RS256")) as services:
        keys = services.require_signing().keys
        await keys.start()
        assert keys.id_token_algorithms == ("RS256",)
        assert keys.id_token_key("RS256").kid == keys.signing_key().kid
        assert len(keys.jwks()["keys"]) == 2 and keys.id_token_key_set() is keys.key_set()
