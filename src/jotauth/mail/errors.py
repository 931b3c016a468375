"""Errors of the mail layer; codes from :class:`jotauth.errors.ErrorCode`."""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class MailError(JotauthError):
    """Base of every error raised by :mod:`jotauth.mail`."""

    code = ErrorCode.MAIL_ERROR
    default_detail = "mail error"


class MailHeaderRefused(MailError, ValueError):
    """A header value (address, name, subject) with CR, LF or another control character:
    written into a mail it would add headers or recipients (CWE-93, header injection)."""

    code = ErrorCode.MAIL_HEADER_INVALID
    default_detail = "a mail header contains characters that are not allowed"


class DeliveryFailed(MailError):
    """The SMTP server did not take the mail. ``permanent`` failures (a 5xx for the
    recipient) are not retried; the others are, with backoff."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.permanent = permanent
