"""Keys shared by the verifier unit tests (owner: foundation)."""

from __future__ import annotations

import pytest

from jotauth.jose import ALGORITHMS, Key


@pytest.fixture(scope="session")
def signing_keys() -> dict[str, Key]:
    """One signing key per algorithm, with readable kids."""
    return {alg: Key.generate(alg, kid=f"{alg.lower()}-1") for alg in ALGORITHMS}
