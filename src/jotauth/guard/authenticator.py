"""From request headers to verified claims: locate the token, verify it, check CSRF.

One :class:`Authenticator` serves the ASGI middleware (HTTP and WebSocket), the FastAPI
dependencies and the Flask extension; each builds a :class:`RequestView` from its own
request object. The pipeline is one: :meth:`Authenticator.locate`, the verifier,
:func:`rejection` (the one translation of verification errors), :meth:`Authenticator.admit`;
the async entry points only add what needs awaiting (key fetches, silent refresh).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from jotauth.http import errors as http_errors
from jotauth.http.cookies import cookie_value, is_cookie_value
from jotauth.http.csrf import SAFE_METHODS
from jotauth.jose import Claims, InvalidToken, KeySetUnavailable, TokenExpired
from jotauth.verify import TokenVerifier

from .credentials import (
    TOKEN_SOURCES,
    Credentials,
    TokenSource,
    bearer_token,
    subprotocol_token,
)
from .csrf import CsrfPolicy
from .errors import (
    DuplicateCookie,
    GuardError,
    KeysUnavailable,
    MisnamedAccessCookie,
    MissingCredentials,
    RefreshFailed,
    SessionEnded,
    TokenRejected,
)
from .refresh import SilentRefresh

if TYPE_CHECKING:
    from .revocations import RevocationCheck

_log = logging.getLogger("jotauth.guard")
# What the verifier raises for a token it does not accept, or when it has no keys.
VERIFICATION_ERRORS = (InvalidToken, KeySetUnavailable)
DEFAULT_ACCESS_COOKIE = "__Host-jot_access"
# What `jotauth serve --dev` names it: browsers refuse a __Host- cookie without Secure, so the
# plain-HTTP development server drops the prefix (and so does a configured cookie_domain).
DEV_ACCESS_COOKIE = "jot_access"
_HOST_PREFIX = "__Host-"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def access_cookie_names(issuer: str) -> tuple[str, ...]:
    """The access cookie names the auth server at ``issuer`` may set by default.

    ``__Host-jot_access`` always; ``jot_access`` too when the issuer is plain HTTP on loopback,
    the only place ``jotauth serve --dev`` runs, so a guard beside a dev server works with its
    defaults. Over HTTPS only the ``__Host-`` name is read: a sibling host cannot set it
    (RFC 6265bis §4.1.3.2), so it cannot plant its own session in the browser.
    """
    if issuer.startswith("http://"):
        authority = issuer.removeprefix("http://").split("/", 1)[0]
        host = authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority
        if host.lower() in _LOOPBACK_HOSTS:
            return (DEFAULT_ACCESS_COOKIE, DEV_ACCESS_COOKIE)
    return (DEFAULT_ACCESS_COOKIE,)


def _other_spelling(name: str) -> str:
    """The name the same cookie has in the other mode: with or without ``__Host-``."""
    return name.removeprefix(_HOST_PREFIX) if name.startswith(_HOST_PREFIX) else _HOST_PREFIX + name


# The fixed header names RequestView reads (the CSRF header's name is configurable): one set
# lookup skips each of the many other fields a browser sends (Sec-CH-UA, User-Agent, …).
_READ_HEADERS = frozenset(
    (
        b"authorization",
        b"cookie",
        b"origin",
        b"sec-fetch-site",
        b"host",
        b"access-control-request-method",
    )
)


class RequestView:
    """The few request headers the guard reads, collected in one pass."""

    __slots__ = (
        "authorization",
        "cookie",
        "csrf_header",
        "fetch_site",
        "host",
        "method",
        "origin",
        "preflight",
    )

    def __init__(self, method: str) -> None:
        self.method = method
        self.authorization: list[bytes] = []
        self.cookie: str | None = None
        self.csrf_header: str | None = None
        self.origin: str | None = None
        self.fetch_site: str | None = None
        self.host: str | None = None
        self.preflight = False

    @classmethod
    def from_asgi(cls, scope: Any, csrf_header: bytes) -> RequestView:
        """Read an ASGI scope's headers (names are lower-case, ASGI spec §2.2)."""
        view = cls(scope.get("method", "GET"))
        cookies: list[bytes] = []
        for name, value in scope["headers"]:
            if name not in _READ_HEADERS and name != csrf_header:
                continue
            if name == b"authorization":
                view.authorization.append(value)
            elif name == b"cookie":
                cookies.append(value)
            elif name == csrf_header:
                view.csrf_header = value.decode("latin-1")
            elif name == b"origin":
                view.origin = value.decode("latin-1")
            elif name == b"sec-fetch-site":
                view.fetch_site = value.decode("latin-1")
            elif name == b"host":
                view.host = value.decode("latin-1")
            elif name == b"access-control-request-method":
                view.preflight = True
        if cookies:
            # HTTP/2 may split Cookie into several fields (RFC 9113 §8.2.3): join them.
            view.cookie = b"; ".join(cookies).decode("latin-1")
        return view

    def cookie_value(self, name: str) -> str | None:
        """The value of cookie ``name``; a cookie sent twice is refused (400)."""
        try:
            return cookie_value(self.cookie, name)
        except http_errors.DuplicateCookie as error:
            raise DuplicateCookie(error.name) from None


class Authenticated(NamedTuple):
    """A verified request: its claims, where the token came from, cookies to set."""

    claims: Claims
    source: Literal["header", "cookie", "subprotocol"]
    set_cookies: tuple[bytes, ...] = ()


def rejection(error: InvalidToken | KeySetUnavailable) -> GuardError:
    """The guard's answer to a verification failure, for HTTP, WebSocket and WSGI alike:
    a bad token is 401 with the verifier's code; missing keys are the server's fault, 503
    (a 401 would make clients log their users out during a JWKS outage)."""
    if isinstance(error, KeySetUnavailable):
        return KeysUnavailable()
    return TokenRejected(error)


class Authenticator:
    """The guard's request policy, independent of the web framework.

    ``csrf``: a :class:`CsrfPolicy` (default: double submit plus Fetch-Metadata/Origin
    checks), or ``"off"`` to disable it, which is only safe when no browser sends cookies
    to this API and is logged as a warning.
    """

    def __init__(
        self,
        *,
        verifier: TokenVerifier,
        token_sources: Sequence[TokenSource] = TOKEN_SOURCES,
        cookie_name: str | None = None,
        csrf: CsrfPolicy | Literal["off"] | None = None,
        silent_refresh: SilentRefresh | None = None,
        revocations: RevocationCheck | None = None,
    ) -> None:
        """``cookie_name``: the access cookie to read; by default the auth server's
        (:func:`access_cookie_names` of the verifier's issuer)."""
        sources = tuple(token_sources)
        if (
            not sources
            or any(s not in TOKEN_SOURCES for s in sources)
            or len(set(sources)) != len(sources)
        ):
            raise ValueError(f"token_sources must be distinct values of {TOKEN_SOURCES}")
        if silent_refresh is not None and "cookie" not in sources:
            raise ValueError("silent refresh needs the cookie token source")
        self.verifier = verifier
        self.token_sources = sources
        self.cookie_names = (
            (cookie_name,)
            if cookie_name is not None
            else access_cookie_names(verifier.policy.issuer)
        )
        # A cookie by one of these names (and none of ours) is a configuration mismatch.
        self.misnamed_cookies = tuple(
            other
            for other in map(_other_spelling, self.cookie_names)
            if other not in self.cookie_names
        )
        self._said_misnamed = False  # the warning is logged once, the 401 says it every time
        if csrf == "off":
            if "cookie" in sources:
                _log.warning(
                    "CSRF protection is OFF for cookie-authenticated requests: only safe when "
                    "no browser ever sends the access cookie to this API"
                )
            self.csrf: CsrfPolicy | None = None
        else:
            self.csrf = csrf if csrf is not None else CsrfPolicy()
        self.csrf_header_key = (
            self.csrf.header_name.lower().encode("latin-1") if self.csrf else b"x-xsrf-token"
        )
        self.silent_refresh = silent_refresh
        self.revocations = revocations
        # The Bearer header is authoritative when it is the first source (see locate).
        self._bearer_first = sources[0] == "header"

    def view(self, scope: Any) -> RequestView:
        """The :class:`RequestView` of an ASGI scope."""
        return RequestView.from_asgi(scope, self.csrf_header_key)

    def cached_bearer(self, scope: Any) -> Claims | None:
        """The hot path of an ASGI request: the claims of its Bearer token when the verifier
        accepted that exact token before (:meth:`TokenVerifier.cached`), else None and the
        caller takes :meth:`authenticate`, which decides every other case.

        Only what the full pipeline would do for such a request, in fewer steps: one
        ``Authorization`` header (several are the full path's 400) with a well-formed Bearer
        token, the header the first source (so authoritative, see :meth:`locate`), not an
        ``OPTIONS`` request (preflights are the full path's), then the session check. No
        CSRF check: a header token needs none. Raises :class:`SessionEnded`.
        """
        if not self._bearer_first or scope["method"] == "OPTIONS":
            return None
        value = None
        for name, header in scope["headers"]:  # a loop, not a comprehension: no extra frame
            if name == b"authorization":
                if value is not None:
                    return None  # several: the full path's 400
                value = header
        if value is None or value[:7].lower() != b"bearer ":
            return None
        # Not the full RFC 6750 parse: only a token the verifier accepted can hit, and such a
        # token is base64url segments and dots, which that parse accepts as they are; any
        # other bytes here (a tab, a second token) miss and take the full path, which
        # parses strictly. The spaces stripped are exactly the ones the parse strips.
        token = value[7:].lstrip(b" ").rstrip(b" \t")
        claims = self.verifier.cached(token)
        if claims is not None and self.revocations is not None:
            self.check_session(claims)
        return claims

    # --- the pipeline: locate, verify (sync or async), admit -----------------------------------

    def locate(self, view: RequestView) -> Credentials | None:
        """The token of the first configured source that has one (or None).

        The first source present is authoritative: an invalid Bearer token is not rescued
        by a cookie, so what was verified is always what the client meant to send.
        """
        for source in self.token_sources:
            if source == "header":
                bearer = bearer_token(view.authorization)
                if bearer is not None:
                    return Credentials(bearer, "header")
            elif view.cookie:
                for name in self.cookie_names:
                    cookie = view.cookie_value(name)
                    if cookie is not None:
                        return Credentials(cookie, "cookie")
        return None

    def missing_credentials(self, view: RequestView) -> MissingCredentials:
        """The 401 for a request without a token: a cookie under the other spelling of our
        name (``jot_access`` for ``__Host-jot_access``) is a misconfiguration, said as such
        instead of "An access token is required" while the browser did send one."""
        if view.cookie and "cookie" in self.token_sources:
            for name in self.misnamed_cookies:
                if view.cookie_value(name) is not None:
                    expected = self.cookie_names[0]
                    if not self._said_misnamed:
                        self._said_misnamed = True
                        _log.warning(
                            "the request carries the access cookie %r but this guard reads %r: "
                            "give the guard cookie_name=%r or align the auth server's "
                            "access_cookie_name (jotauth serve --dev drops the __Host- prefix)",
                            name,
                            expected,
                            name,
                        )
                    return MisnamedAccessCookie(found=name, expected=expected)
        return MissingCredentials()

    def admit(self, view: RequestView, credentials: Credentials, claims: Claims) -> Authenticated:
        """The last step for verified claims: the session must not have ended, and a cookie
        needs the CSRF check."""
        self.check_session(claims)
        if credentials.source == "cookie":
            self.check_csrf(view, claims)
        return Authenticated(claims, credentials.source)

    def check_session(self, claims: Claims) -> None:
        """Refuse a token whose session the auth server has ended (opt-in revocations)."""
        if self.revocations is not None and self.revocations.is_revoked(claims.sid):
            raise SessionEnded()

    def check_csrf(self, view: RequestView, claims: Claims | None) -> None:
        """CSRF check of a cookie-authenticated request (unsafe methods only)."""
        csrf = self.csrf
        if csrf is None or view.method in SAFE_METHODS:
            return
        csrf.check(
            header=view.csrf_header,
            cookie=view.cookie_value(csrf.cookie_name),
            session_id=claims.sid if claims is not None else None,
            origin=view.origin,
            fetch_site=view.fetch_site,
            host=view.host,
            bind_session=claims is not None,
        )

    def authenticate_sync(self, view: RequestView) -> Authenticated:
        """Verify the request's token, blocking (WSGI; no silent refresh); raise a
        :class:`GuardError`."""
        credentials = self.locate(view)
        if credentials is None:
            raise self.missing_credentials(view)
        try:
            claims = self.verifier.verify(credentials.token)
        except VERIFICATION_ERRORS as error:
            raise rejection(error) from None
        return self.admit(view, credentials, claims)

    async def authenticate(self, view: RequestView) -> Authenticated:
        """:meth:`authenticate_sync` for ASGI: keys are fetched without blocking, and with
        silent refresh an expired or missing access cookie is renewed instead of refused."""
        credentials = self.locate(view)
        if credentials is None:
            refresh_token = self._may_refresh(view)
            if refresh_token is not None:
                return await self._refresh(view, refresh_token)
            raise self.missing_credentials(view)
        try:
            claims = await self.verifier.averify(credentials.token)
        except VERIFICATION_ERRORS as error:
            if isinstance(error, TokenExpired) and credentials.source == "cookie":
                refresh_token = self._may_refresh(view)
                if refresh_token is not None:
                    return await self._refresh(view, refresh_token)
            raise rejection(error) from None
        return self.admit(view, credentials, claims)

    async def authenticate_websocket(
        self, view: RequestView, subprotocols: Sequence[str]
    ) -> Authenticated:
        """Verify a WebSocket handshake: the token may also come as the ``jotauth.bearer``
        subprotocol, and a cookie needs a browser context of our own: the browser attaches
        cookies to a handshake started by any page and the same-origin policy does not apply
        to WebSockets (cross-site WebSocket hijacking, RFC 6455 §10.2)."""
        token = subprotocol_token(subprotocols)
        credentials = self.locate(view) if token is None else Credentials(token, "subprotocol")
        if credentials is None:
            raise self.missing_credentials(view)
        try:
            claims = await self.verifier.averify(credentials.token)
        except VERIFICATION_ERRORS as error:
            raise rejection(error) from None
        self.check_session(claims)
        if credentials.source == "cookie" and self.csrf is not None:
            self.csrf.check_browser_context(
                origin=view.origin, fetch_site=view.fetch_site, host=view.host
            )
        return Authenticated(claims, credentials.source)

    # --- silent refresh ---------------------------------------------------------------------

    def _may_refresh(self, view: RequestView) -> str | None:
        refresher = self.silent_refresh
        if refresher is None or not view.cookie:
            return None
        refresh_token = view.cookie_value(refresher.refresh_cookie_name)
        # The auth server only sets 1*cookie-octet values (RFC 6265 §4.1.1); anything else
        # was planted (a sibling subdomain can, under a parent-domain cookie) or mangled, and
        # cannot go into a request to the auth server: no refresh cookie at all.
        if refresh_token is None or not is_cookie_value(refresh_token):
            return None
        return refresh_token

    async def _refresh(self, view: RequestView, refresh_token: str) -> Authenticated:
        refresher = self.silent_refresh
        assert refresher is not None
        csrf_cookie = view.cookie_value(self.csrf.cookie_name) if self.csrf else None
        if csrf_cookie is not None and not is_cookie_value(csrf_cookie):
            csrf_cookie = None  # not forwarded, as above (RFC 6265 §4.1.1)
        # Unsafe methods: the session-free half of the CSRF check before anything rotates.
        self.check_csrf(view, None)
        try:
            result = await refresher.refresh(refresh_token, csrf_cookie)
        except RefreshFailed as error:
            error.set_cookies = error.set_cookies or refresher.clearing_cookies
            raise
        try:
            claims = await self.verifier.averify(result.access_token)
        except InvalidToken as error:
            # The auth server's own fresh token: refusing it means the session cannot go on.
            _log.warning("silent refresh returned a token this guard rejects: %s", error.code)
            raise RefreshFailed(set_cookies=result.set_cookies) from None
        except KeySetUnavailable as error:
            raise rejection(error) from None
        self.check_csrf(view, claims)
        return Authenticated(claims, "cookie", result.set_cookies)
