"""The PEM-file strategy of the signing keys: the first file signs, the others stay published,
and nothing rotates, because the files are the operator's."""

from __future__ import annotations

from pathlib import Path

import pytest

from jotauth.jose import Key
from jotauth.keys import (
    KeyState,
    PemFileSigningKeys,
    SigningKeysError,
    generate_signing_key,
    save_private_pem,
)


def _pem(tmp_path: Path, name: str) -> tuple[Path, Key]:
    key = generate_signing_key("ES256")
    path = tmp_path / name
    save_private_pem(key, path)
    return path, key


def _public_pem(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(generate_signing_key("ES256").public_key().public_pem())
    return path


def _clock() -> float:
    return 1_000_000.0


async def test_the_first_file_signs_and_the_others_stay_published(tmp_path: Path) -> None:
    (current, current_key), (old, old_key) = _pem(tmp_path, "new.pem"), _pem(tmp_path, "old.pem")
    keys = PemFileSigningKeys([current, old], algorithm="ES256", clock=_clock)
    await keys.start()
    assert keys.signing_key().kid == current_key.kid
    assert {jwk["kid"] for jwk in keys.jwks()["keys"]} == {current_key.kid, old_key.kid}
    assert {k.kid: k.state for k in keys.managed_keys()} == {
        current_key.kid: KeyState.CURRENT,
        old_key.kid: KeyState.RETIRED,
    }


async def test_rotation_and_revocation_are_refused_and_a_tick_changes_nothing(
    tmp_path: Path,
) -> None:
    path, key = _pem(tmp_path, "signing.pem")
    keys = PemFileSigningKeys([path], algorithm="ES256", clock=_clock)
    await keys.start()
    await keys.tick()
    assert keys.signing_key().kid == key.kid
    with pytest.raises(SigningKeysError, match="replacing the files"):
        await keys.rotate(force=True)
    with pytest.raises(SigningKeysError, match="replacing the files"):
        await keys.revoke(key.kid)
    assert keys.signing_key().kid == key.kid


async def test_a_public_key_cannot_be_the_signing_file(tmp_path: Path) -> None:
    keys = PemFileSigningKeys([_public_pem(tmp_path, "pub.pem")], algorithm="ES256", clock=_clock)
    with pytest.raises(SigningKeysError, match="private key"):
        await keys.start()
    with pytest.raises(SigningKeysError, match="no current signing key"):
        keys.signing_key()


def test_hs256_is_refused_for_an_auth_server(tmp_path: Path) -> None:
    with pytest.raises(SigningKeysError, match="asymmetric"):
        PemFileSigningKeys([tmp_path / "x.pem"], algorithm="HS256", clock=_clock)
