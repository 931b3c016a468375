"""Start-up checks: the server refuses configurations that are insecure without saying so."""

from __future__ import annotations

import ipaddress
import logging

from jotauth.mail import MailHeaderRefused, SmtpConfig, check_address, check_header_value
from jotauth.server.cookies import CookieConfigError, CookiePolicy
from jotauth.server.redirects import HttpUrl, parse_http_url
from jotauth.settings import Settings, StartupRefused

_log = logging.getLogger("jotauth.server")

MIN_SECRET_KEY_CHARS = 32
MIN_SECRET_KEY_DISTINCT_CHARS = 16
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


def public_origin(settings: Settings) -> str:
    """The origin browsers use to reach this auth server (``public_url`` or ``issuer``)."""
    return _public_url(settings).origin


def _public_url(settings: Settings) -> HttpUrl:
    base = settings.public_url or settings.issuer
    parsed = parse_http_url(base)
    if parsed is None:
        raise StartupRefused(f"public_url/issuer {base!r} is not an absolute http(s) URL")
    return parsed


def is_loopback_host(host: str) -> bool:
    """Whether a bind address or host name only ever reaches this machine."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def secret_key_problem(settings: Settings) -> str | None:
    """Why the secret key is unfit for production (None: fit, or ``--dev``)."""
    if settings.dev:
        return None
    if settings.secret_key is None:
        return (
            "JOTAUTH_SECRET_KEY is not set: it encrypts the signing keys at rest and keys "
            "the CSRF tokens. Set a random value of at least 32 characters, or use --dev."
        )
    if len(settings.secret_key.get_secret_value()) < MIN_SECRET_KEY_CHARS:
        return f"JOTAUTH_SECRET_KEY must have at least {MIN_SECRET_KEY_CHARS} characters"
    if len(set(settings.secret_key.get_secret_value())) < MIN_SECRET_KEY_DISTINCT_CHARS:
        # A crude guard against placeholders like "aaaa…" or "changeme" repeated: the key
        # seals the signing keys and keys the CSRF HMAC, so it must be random.
        return (
            "JOTAUTH_SECRET_KEY looks like a placeholder (fewer than "
            f"{MIN_SECRET_KEY_DISTINCT_CHARS} distinct characters): generate one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return None


def plain_http_problem(settings: Settings) -> str | None:
    """Why the public URL and bind address would put cookies and tokens on the wire in clear
    text (None: they would not, or ``--dev``/``allow_insecure_cookies`` says it is meant)."""
    public = _public_url(settings)
    if settings.dev or public.scheme != "http" or settings.allow_insecure_cookies:
        return None
    origin = public.origin
    if public.host not in _LOOPBACK_HOSTS:
        # Secure cookies are never sent back over plain HTTP: users could not stay logged in,
        # and anything else would put tokens on the wire in clear text.
        return (
            f"the public URL {origin} is plain HTTP: serve it over HTTPS, use --dev for local "
            "development, or set JOTAUTH_ALLOW_INSECURE_COOKIES=true if TLS ends in front of it"
        )
    if not is_loopback_host(settings.host):
        # A loopback public URL is only safe while the server is reachable on loopback only:
        # bound to another interface, tokens and passwords would cross the network in clear.
        return (
            f"binding {settings.host!r} (not loopback) with the plain-HTTP public URL {origin}: "
            "configure an https issuer/public URL, bind 127.0.0.1, use --dev for local "
            "development, or set JOTAUTH_ALLOW_INSECURE_COOKIES=true if TLS ends in front of it"
        )
    return None


def check_settings(settings: Settings) -> CookiePolicy:
    """Refuse unsafe production settings; returns the cookie policy they imply."""
    if settings.algorithm == "HS256":
        # DESIGN §3: HS256 only when one process signs and verifies; an auth server's
        # tokens are verified by other processes through the JWKS, which cannot carry a secret.
        raise StartupRefused("the auth server signs with RS256, PS256, ES256 or EdDSA, not HS256")
    for problem in (secret_key_problem(settings), plain_http_problem(settings)):
        if problem is not None:
            raise StartupRefused(problem)
    _check_mail_settings(settings)
    try:
        policy = CookiePolicy.from_settings(settings)
    except CookieConfigError as error:
        raise StartupRefused(str(error)) from error
    if settings.allow_insecure_cookies and not settings.dev:
        _log.warning(
            "allow_insecure_cookies is set: the server accepts a plain-HTTP public URL. "
            "Make sure TLS terminates in front of it."
        )
    return policy


def _check_mail_settings(settings: Settings) -> None:
    """Mail settings that cannot work are refused now, not at the first reset."""
    if settings.smtp_url is not None:
        try:
            SmtpConfig.from_url(settings.smtp_url.get_secret_value())
        except ValueError as error:
            raise StartupRefused(f"JOTAUTH_SMTP_URL: {error}") from error
        if settings.mail_from is None and not settings.dev:
            raise StartupRefused("JOTAUTH_MAIL_FROM is required with JOTAUTH_SMTP_URL")
    if settings.mail_from is not None:
        try:
            sender = check_header_value(settings.mail_from, "sender")
            address = sender.rpartition("<")[2].rstrip(">").strip()
            check_address(address)
        except MailHeaderRefused as error:
            raise StartupRefused(f"JOTAUTH_MAIL_FROM: {error.detail}") from error
    mail_possible = settings.smtp_url is not None or settings.dev
    for needs_mail in ("require_verified_email", "signup_enumeration_safe"):
        if getattr(settings, needs_mail) and not mail_possible:
            raise StartupRefused(f"{needs_mail} needs mail: set JOTAUTH_SMTP_URL")
    if settings.smtp_url is None and not settings.dev:
        _log.warning("no JOTAUTH_SMTP_URL: password reset and email verification are disabled")
