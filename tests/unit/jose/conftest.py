"""Keys shared by the JOSE unit tests (owner: foundation).

``private_keys`` are the session's ``signing_keys`` (``tests.support.keys``); tests that need
a *different* key of the same algorithm ask for ``other_keys``.
"""

from __future__ import annotations

import pytest

from jotauth.jose import Key
from tests.support.keys import one_key_per_algorithm


@pytest.fixture(scope="session")
def private_keys(signing_keys: dict[str, Key]) -> dict[str, Key]:
    """One signing key per algorithm, with readable kids."""
    return signing_keys


@pytest.fixture(scope="session")
def other_keys() -> dict[str, Key]:
    """A second, unrelated key per algorithm (same kid as ``private_keys``: an impostor)."""
    return one_key_per_algorithm()
