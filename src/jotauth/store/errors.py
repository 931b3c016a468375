"""Errors of the storage layer, each with a stable ``code`` the HTTP layer maps in one place."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error raised by :mod:`jotauth.store`."""

    code: str = "store_error"
    default_detail: str = "storage error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class StoreUnavailable(StoreError):
    """The database cannot be reached (refused, locked, timed out): answer 503, never 401.

    An outage must not look like an invalid session, or every client would log its user out.
    """

    code = "store_unavailable"
    default_detail = "the session store is temporarily unavailable"


class UnsupportedDatabase(StoreError):
    """The database URL names a backend or mode jotauth does not support."""

    code = "unsupported_database"
    default_detail = "unsupported database URL"


class SealBroken(StoreError):
    """Encrypted data could not be decrypted: wrong secret key, or the row was tampered with."""

    code = "seal_broken"
    default_detail = "stored secret could not be decrypted (wrong JOTAUTH_SECRET_KEY?)"


class KeyNotFound(StoreError):
    """No signing key with that ``kid`` is stored."""

    code = "key_not_found"
    default_detail = "no such signing key"
