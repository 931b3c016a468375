"""The error of the signing-key strategies (stored keys and PEM files)."""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class SigningKeysError(JotauthError):
    """A key operation that cannot be done (unknown kid, keys from files…): 503 over HTTP,
    never a 500 (the server's fault, and a retry may meet a converged key ring)."""

    code = ErrorCode.SIGNING_KEYS_UNAVAILABLE
    default_detail = "The signing keys are unavailable. Retry shortly."
