"""Errors of the storage layer; codes from :class:`jotauth.errors.ErrorCode`, HTTP in
:mod:`jotauth.problems`."""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class StoreError(JotauthError):
    """Base of every error raised by :mod:`jotauth.store`."""

    code = ErrorCode.STORE_ERROR
    default_detail = "storage error"


class StoreUnavailable(StoreError):
    """The database cannot be reached (refused, locked, timed out): answer 503, never 401.

    An outage must not look like an invalid session, or every client would log its user out.
    """

    code = ErrorCode.STORE_UNAVAILABLE
    default_detail = "the session store is temporarily unavailable"


class UnsupportedDatabase(StoreError):
    """The database URL names a backend or mode jotauth does not support."""

    code = ErrorCode.UNSUPPORTED_DATABASE
    default_detail = "unsupported database URL"


class SealBroken(StoreError):
    """Encrypted data could not be decrypted: wrong secret key, or the row was tampered with."""

    code = ErrorCode.SEAL_BROKEN
    default_detail = "stored secret could not be decrypted (wrong JOTAUTH_SECRET_KEY?)"


class KeyNotFound(StoreError):
    """No signing key with that ``kid`` is stored."""

    code = ErrorCode.KEY_NOT_FOUND
    default_detail = "no such signing key"
