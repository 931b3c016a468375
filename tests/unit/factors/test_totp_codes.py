"""The TOTP parameters and code matching, against ``oathtool`` (RFC 6238) and the RFC's own
test vector, without a store."""

from __future__ import annotations

import base64

from jotauth.factors.recovery_codes import normalise_recovery_code
from jotauth.factors.totp import TIME_STEP, _matching_step
from tests.support.otp import oathtool_code

# RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890"; at T = 59 s the 8-digit code is
# 94287082, so the 6-digit one is its last six digits.
RFC_KEY = b"12345678901234567890"


def test_the_rfc_6238_vector_and_oathtool_agree_with_the_matching() -> None:
    assert _matching_step(RFC_KEY, "287082", 59 // TIME_STEP) == 1
    secret = base64.b32encode(RFC_KEY).decode()
    at = 1_800_000_015
    step = at // TIME_STEP
    for offset, expected in ((-1, step - 1), (0, step), (1, step + 1)):
        assert _matching_step(RFC_KEY, oathtool_code(secret, at + offset * 30), step) == expected
    for far in (-2, 2, 10):
        assert _matching_step(RFC_KEY, oathtool_code(secret, at + far * 30), step) is None


def test_recovery_codes_match_whatever_their_grouping_or_case() -> None:
    assert normalise_recovery_code(" ABCD-efgh ijkl-MNOP ") == "abcdefghijklmnop"
