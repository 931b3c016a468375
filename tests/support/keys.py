"""Signing keys shared by every suite (a pytest plugin, registered in ``tests/conftest.py``).

Key generation (RSA above all) is the slow part of the JOSE and verifier suites, so one
private key per algorithm is made per test session and reused.
"""

from __future__ import annotations

import pytest

from jotauth.jose import ALGORITHMS, Key


def one_key_per_algorithm() -> dict[str, Key]:
    """A fresh signing key for every supported algorithm, with readable kids (``rs256-1``)."""
    return {alg: Key.generate(alg, kid=f"{alg.lower()}-1") for alg in ALGORITHMS}


@pytest.fixture(scope="session")
def signing_keys() -> dict[str, Key]:
    """One signing key per algorithm, made once per test session."""
    return one_key_per_algorithm()
