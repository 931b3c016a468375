"""Second factors (DESIGN §13): TOTP, recovery codes and the MFA challenges of a login.

Storage and checks only, like ``users`` and ``sessions``: which factor a login needs, and what
a proved factor starts, is decided by the application layer (:mod:`jotauth.accounts`).
"""

from jotauth.factors.errors import (
    ConfirmationCodeInvalid,
    MfaTokenInvalid,
    SecondFactorError,
    SecondFactorExists,
    SecondFactorInvalid,
    SecondFactorNotFound,
    SecondFactorRequired,
    SecondFactorThrottled,
    SecondFactorUnavailable,
)

__all__ = [
    "ConfirmationCodeInvalid",
    "MfaTokenInvalid",
    "SecondFactorError",
    "SecondFactorExists",
    "SecondFactorInvalid",
    "SecondFactorNotFound",
    "SecondFactorRequired",
    "SecondFactorThrottled",
    "SecondFactorUnavailable",
]
