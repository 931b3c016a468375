"""Keys shared by the JOSE unit tests (owner: foundation).

Key generation (RSA above all) is the slow part of these suites, so one private key per
algorithm is made per test session and reused; tests that need a *different* key of the
same algorithm ask for ``other_keys``.
"""

from __future__ import annotations

import pytest

from jotauth.jose import ALGORITHMS, Key


@pytest.fixture(scope="session")
def private_keys() -> dict[str, Key]:
    """One signing key per algorithm, with readable kids."""
    return {alg: Key.generate(alg, kid=f"{alg.lower()}-1") for alg in ALGORITHMS}


@pytest.fixture(scope="session")
def other_keys() -> dict[str, Key]:
    """A second, unrelated key per algorithm (same kid as ``private_keys``: an impostor)."""
    return {alg: Key.generate(alg, kid=f"{alg.lower()}-1") for alg in ALGORITHMS}
