"""Silent refresh for cookie delivery (opt-in): an expired or missing access cookie plus a
refresh cookie gets a fresh access cookie on the response instead of a 401.

The refresh itself is the auth server's ``POST /api/auth/refresh`` (:class:`HttpRefresh`:
only the refresh and XSRF cookies are forwarded, never anything else of the request), or
any async callable with the same signature when the guard is co-hosted with the server.
Concurrent requests presenting the same refresh token share one refresh (single flight),
and its outcome is reused for a few seconds, so a page firing ten API calls at once with
an expired cookie rotates the refresh token once, not ten times (which would look like
token reuse to the auth server, DESIGN §6).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import NamedTuple

import httpx

from jotauth.http.cookies import CookieSpec, deletion_cookie, is_cookie_value, set_cookie_value

from .errors import RefreshFailed, RefreshUnavailable


class RefreshResult(NamedTuple):
    """A new access token and the ``Set-Cookie`` values to hand on to the browser."""

    access_token: str
    set_cookies: tuple[bytes, ...]


# (refresh token, XSRF token or None) -> result; raises RefreshFailed / RefreshUnavailable.
RefreshCall = Callable[[str, str | None], Awaitable[RefreshResult]]


class HttpRefresh:
    """Refresh through the auth server's ``POST /api/auth/refresh`` over HTTP (httpx)."""

    def __init__(
        self,
        refresh_url: str,
        *,
        access_cookie_name: str,
        refresh_cookie_name: str,
        csrf_cookie_name: str = "XSRF-TOKEN",
        csrf_header_name: str = "X-XSRF-TOKEN",
        timeout: float = 5.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if not refresh_url.startswith(("https://", "http://")):
            raise ValueError("the refresh URL must be http(s)")
        self.refresh_url = refresh_url
        self._access_cookie = access_cookie_name
        self._refresh_cookie = refresh_cookie_name
        self._csrf_cookie = csrf_cookie_name
        self._csrf_header = csrf_header_name
        self._timeout = timeout
        self._http = http_client
        self._owns_http = http_client is None

    async def __call__(self, refresh_token: str, csrf_token: str | None) -> RefreshResult:
        """Rotate the refresh token at the auth server; return the new access token.

        A token that is not ``1*cookie-octet`` (RFC 6265 §4.1.1) is refused with
        :class:`RefreshFailed` before any request is built: it cannot be a Cookie value.
        """
        if not is_cookie_value(refresh_token) or (csrf_token and not is_cookie_value(csrf_token)):
            raise RefreshFailed()
        cookies = [f"{self._refresh_cookie}={refresh_token}"]
        headers = {"Accept": "application/json"}
        if csrf_token:
            # The auth server wants the double submit on refresh too; the browser sent the
            # cookie to us, so we echo it as the header (the session binding still holds).
            cookies.append(f"{self._csrf_cookie}={csrf_token}")
            headers[self._csrf_header] = csrf_token
        headers["Cookie"] = "; ".join(cookies)
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        try:
            response = await self._http.post(self.refresh_url, headers=headers)
        except httpx.HTTPError as error:
            raise RefreshUnavailable() from error
        # The raw bytes: no decode/encode round trip that a non-Latin-1 value could break.
        set_cookies = tuple(
            value for name, value in response.headers.raw if name.lower() == b"set-cookie"
        )
        if response.status_code in (200, 204):
            for set_cookie in set_cookies:
                token = set_cookie_value(set_cookie, self._access_cookie)
                if token:
                    return RefreshResult(token, set_cookies)
            raise RefreshUnavailable("The auth server sent no access cookie.")
        if response.status_code >= 500 or response.status_code == 429:
            raise RefreshUnavailable()
        raise RefreshFailed(code=_problem_code(response), set_cookies=set_cookies)

    async def aclose(self) -> None:
        """Close the HTTP client this object created."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None


def _problem_code(response: httpx.Response) -> str | None:
    try:
        code = json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) and code.isascii() and len(code) <= 64 else None


class SilentRefresh:
    """The opt-in silent refresh of :class:`~jotauth.guard.JWTAuthMiddleware`.

    ``refresh`` does the rotation (:class:`HttpRefresh` or a local callable); the cookie
    names and path say which cookies to read and, after a failed refresh, to clear.
    """

    def __init__(
        self,
        refresh: RefreshCall,
        *,
        refresh_cookie_name: str = "__Host-jot_refresh",
        refresh_cookie_path: str = "/",
        access_cookie_name: str = "__Host-jot_access",
        secure: bool = True,
        reuse_window: float = 5.0,
        max_remembered: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._refresh = refresh
        self.refresh_cookie_name = refresh_cookie_name
        # Same Path as when set, or the browser keeps the old cookie (RFC 6265 §5.3 step 11).
        self._clear = (
            deletion_cookie(CookieSpec(access_cookie_name, "/", True, "lax", secure, None)),
            deletion_cookie(
                CookieSpec(refresh_cookie_name, refresh_cookie_path, True, "lax", secure, None)
            ),
        )
        self._reuse_window = reuse_window
        self._max_remembered = max_remembered
        self._clock = clock
        self._inflight: dict[bytes, asyncio.Task[RefreshResult]] = {}
        self._recent: OrderedDict[bytes, tuple[float, RefreshResult]] = OrderedDict()

    @property
    def clearing_cookies(self) -> tuple[bytes, bytes]:
        """``Set-Cookie`` values that expire the access and refresh cookies."""
        return self._clear

    async def refresh(self, refresh_token: str, csrf_token: str | None) -> RefreshResult:
        """Refresh once per refresh token in this process, however many requests ask."""
        # Keyed by a digest: the refresh token itself is a credential and is not kept.
        key = hashlib.sha256(refresh_token.encode("utf-8", errors="replace")).digest()
        now = self._clock()
        remembered = self._recent.get(key)
        if remembered is not None:
            if now < remembered[0]:
                return remembered[1]
            del self._recent[key]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._refresh(refresh_token, csrf_token))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(task)

    def _settle(self, key: bytes, task: asyncio.Task[RefreshResult]) -> None:
        self._inflight.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        recent = self._recent
        recent[key] = (self._clock() + self._reuse_window, task.result())
        while len(recent) > self._max_remembered:
            recent.popitem(last=False)
