"""The auth server's cookies on Starlette responses, over :mod:`jotauth.http.cookies`.

The names, flags and formatting live in the framework-free cookie module; this adds the
three calls that write them onto a response.
"""

from __future__ import annotations

from starlette.responses import Response

from jotauth.http import cookies as _cookies
from jotauth.http.cookies import (
    HOST_PREFIX,
    SECURE_PREFIX,
    CookieConfigError,
    CookieSpec,
    SameSite,
    format_set_cookie,
)

__all__ = [
    "HOST_PREFIX",
    "SECURE_PREFIX",
    "CookieConfigError",
    "CookiePolicy",
    "CookieSpec",
    "SameSite",
    "format_set_cookie",
]


class CookiePolicy(_cookies.CookiePolicy):
    """:class:`jotauth.http.cookies.CookiePolicy` that writes onto Starlette responses."""

    def set_session_cookies(
        self,
        response: Response,
        *,
        access_token: str | None,
        access_max_age: int,
        refresh_token: str,
        refresh_max_age: int,
        csrf_token: str,
    ) -> None:
        """Set the cookies of a logged-in session (access is omitted in body delivery)."""
        values = self.session_cookies(
            access_token=access_token,
            access_max_age=access_max_age,
            refresh_token=refresh_token,
            refresh_max_age=refresh_max_age,
            csrf_token=csrf_token,
        )
        _append(response, values)

    def set_access_cookie(self, response: Response, access_token: str, *, max_age: int) -> None:
        """Set only the access cookie (a re-authentication: the refresh token is unchanged)."""
        _append(response, [format_set_cookie(self.access, access_token, max_age)])

    def set_login_form_nonce(self, response: Response, nonce: str, *, max_age: int) -> None:
        """Set the hosted login form's nonce cookie."""
        _append(response, [self.login_form_cookie(nonce, max_age=max_age)])

    def set_federation(self, response: Response, value: str, *, max_age: int) -> None:
        """Set the pending federated sign-in cookie (``max_age`` 0 with ``""`` clears it)."""
        if max_age <= 0:
            _append(response, [_cookies.deletion_cookie(self.federation)])
        else:
            _append(response, [format_set_cookie(self.federation, value, max_age)])

    def clear_all(self, response: Response) -> None:
        """Expire every auth cookie (logout), with the same Path/Domain they were set with."""
        _append(response, self.clearing_cookies())


def _append(response: Response, values: list[bytes]) -> None:
    response.raw_headers.extend((b"set-cookie", value) for value in values)
