"""The authorization request's numeric parameter is read strictly (a 400, never a 500)."""

import pytest

from jotauth.oauth.authorization import _max_age
from jotauth.oauth.errors import InvalidRequest


@pytest.mark.parametrize("value", ["²", "٣", "-1", "1e3", " 5", "1234567890", "0x10"])
def test_max_age_that_is_not_a_small_ascii_integer_is_invalid_request(value: str) -> None:
    with pytest.raises(InvalidRequest):
        _max_age(value)


def test_max_age_values() -> None:
    assert _max_age("0") == 0
    assert _max_age("3600") == 3600
    assert _max_age("") is None and _max_age(None) is None
