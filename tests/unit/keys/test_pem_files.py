"""Signing keys in PEM files: generated per algorithm, saved owner-only and never over an
existing file, loaded back as the same key; and ``jotauth keys generate``."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from jotauth.cli.keys import keys as keys_command
from jotauth.jose import ALGORITHMS, ASYMMETRIC_ALGORITHMS, InvalidKey, Key
from jotauth.keys import generate_signing_key, load_pem_file, save_private_pem


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Mode 0600 must not depend on the caller's umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_generated_key_is_a_private_key_for_its_algorithm(alg: str) -> None:
    key = generate_signing_key(alg, kid="k-1")  # type: ignore[arg-type]
    assert key.alg == alg and key.is_private and key.kid == "k-1"


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_saved_pem_is_readable_by_the_owner_only(
    alg: str, tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "signing.pem"
    save_private_pem(generate_signing_key(alg), path)  # type: ignore[arg-type]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGORITHMS)
def test_saved_pem_loads_back_as_the_same_private_key(alg: str, tmp_path: Path) -> None:
    key = generate_signing_key(alg)  # type: ignore[arg-type]
    path = tmp_path / "signing.pem"
    save_private_pem(key, path)

    loaded = load_pem_file(path, alg)  # type: ignore[arg-type]

    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert loaded.is_private and loaded.alg == alg
    assert loaded.thumbprint() == key.thumbprint()
    assert load_pem_file(path, alg, kid="named").kid == "named"  # type: ignore[arg-type]


def test_password_protected_pem_round_trips(tmp_path: Path) -> None:
    key = generate_signing_key("ES256")
    path = tmp_path / "sealed.pem"
    save_private_pem(key, path, password=b"correct horse battery staple")

    assert b"ENCRYPTED" in path.read_bytes()
    assert load_pem_file(path, "ES256", password=b"correct horse battery staple").kid == key.kid
    with pytest.raises(InvalidKey):
        load_pem_file(path, "ES256", password=b"wrong")
    with pytest.raises(InvalidKey):
        load_pem_file(path, "ES256")


def test_saving_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    path.write_bytes(b"the key in production")
    with pytest.raises(FileExistsError):
        save_private_pem(generate_signing_key("EdDSA"), path)
    assert path.read_bytes() == b"the key in production"


def test_saving_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    link = tmp_path / "signing.pem"
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        save_private_pem(generate_signing_key("EdDSA"), link)
    assert not target.exists()


def test_hmac_secrets_have_no_pem_form(tmp_path: Path) -> None:
    with pytest.raises(InvalidKey):
        save_private_pem(generate_signing_key("HS256"), tmp_path / "secret.pem")
    assert not (tmp_path / "secret.pem").exists()


def test_missing_key_file_is_an_invalid_key_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "absent.pem"
    with pytest.raises(InvalidKey, match=r"absent\.pem") as raised:
        load_pem_file(path, "RS256")
    assert raised.value.code == "invalid_key"


def test_key_file_of_another_algorithm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    save_private_pem(generate_signing_key("ES256"), path)
    with pytest.raises(InvalidKey):
        load_pem_file(path, "RS256")
    with pytest.raises(InvalidKey):
        load_pem_file(path, "EdDSA")


# --- jotauth keys generate --------------------------------------------------------------------


def test_keys_generate_prints_a_private_jwk_without_out() -> None:
    result = CliRunner().invoke(keys_command, ["generate", "--alg", "ES256"])
    assert result.exit_code == 0, result.output
    jwk = json.loads(result.output)
    key = Key.from_jwk(jwk)
    assert key.alg == "ES256" and key.is_private


def test_keys_generate_writes_an_owner_only_pem_and_prints_the_public_jwk(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "rsa.pem"
    result = CliRunner().invoke(keys_command, ["generate", "--alg", "RS256", "--out", str(path)])
    assert result.exit_code == 0, result.output
    jwk = json.loads(result.stdout)
    assert "d" not in jwk and "x5c" in jwk
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_pem_file(path, "RS256").thumbprint() == Key.from_jwk(jwk).thumbprint()


def test_keys_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "ed.pem"
    path.write_bytes(b"keep me")
    result = CliRunner().invoke(keys_command, ["generate", "--alg", "EdDSA", "--out", str(path)])
    assert result.exit_code != 0
    assert "refusing to overwrite" in result.output
    assert path.read_bytes() == b"keep me"
