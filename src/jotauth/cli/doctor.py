"""``jotauth doctor``: check a configuration before serving it, and say how to fix it.

It reads the settings ``jotauth serve`` would (``--config``, ``--dev``, ``JOTAUTH_*``), applies
the server's own start-up rules (:mod:`jotauth.server.startup`: secret key, public URL and
TLS, cookie prefixes) without stopping at the first, then checks the allowed origins and
reaches out to what is configured: the database (reachable, migrated), Redis (PING) and SMTP
(connect and EHLO). Nothing is written: a SQLite file that does not exist is not created.
Exit status 1 when anything is an error, 0 otherwise (warnings included).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, urlsplit

import click

from jotauth.cli.options import load_settings, settings_options

if TYPE_CHECKING:
    from jotauth.settings import Settings

Level = Literal["ok", "warning", "error"]
_NETWORK_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the diagnosis: what was checked, what was found, how to fix it."""

    level: Level
    topic: str
    message: str
    fix: str = ""


def _ok(topic: str, message: str) -> Finding:
    return Finding("ok", topic, message)


def _secret_key(settings: Settings) -> Iterator[Finding]:
    from jotauth.server.startup import secret_key_problem

    problem = secret_key_problem(settings)
    if problem is not None:
        yield Finding(
            "error",
            "secret key",
            problem,
            "export JOTAUTH_SECRET_KEY=\"$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')\" (the same value on every instance)",
        )
    elif settings.secret_key is None:
        yield Finding(
            "warning",
            "secret key",
            "--dev uses a built-in secret everyone knows",
            "set JOTAUTH_SECRET_KEY before this database holds anything real",
        )
    else:
        yield _ok("secret key", f"set ({len(settings.secret_key.get_secret_value())} characters)")


def _issuer(settings: Settings) -> Iterator[Finding]:
    from jotauth.server.redirects import parse_http_url

    found = False
    for name in ("issuer", "public_url"):
        value = getattr(settings, name)
        if value is None:
            continue
        parsed = parse_http_url(value)
        variable = f"JOTAUTH_{name.upper()}"
        if parsed is None or parsed.query or parsed.fragment:
            found = True
            yield Finding(
                "error",
                name,
                f"{value!r} is not an absolute http(s) URL",
                f"set {variable} to e.g. https://auth.example.com",
            )
        elif name == "issuer" and value.endswith("/"):
            found = True
            yield Finding(
                "warning",
                name,
                f"{value!r} ends with '/': guards compare iss exactly",
                f"set {variable} without the trailing slash (and configure guards the same)",
            )
    if found:
        return
    if not settings.dev and "issuer" not in settings.model_fields_set:
        yield Finding(
            "warning",
            "issuer",
            f"not configured: the default {settings.issuer} (tokens carry it in iss)",
            "set JOTAUTH_ISSUER to the URL the auth server is reached at; guards expect it",
        )
    else:
        yield _ok("issuer", f"{settings.issuer} (audience {', '.join(settings.audience)})")


def _cookies_and_tls(settings: Settings) -> Iterator[Finding]:
    from jotauth.server.cookies import CookieConfigError, CookiePolicy
    from jotauth.server.startup import plain_http_problem
    from jotauth.settings import StartupRefused

    if settings.algorithm == "HS256":
        yield Finding(
            "error",
            "algorithm",
            "HS256 tokens cannot be verified through the JWKS by other processes",
            "set JOTAUTH_ALGORITHM to RS256 (default), PS256, ES256 or EdDSA",
        )
    try:
        problem = plain_http_problem(settings)
        policy = CookiePolicy.from_settings(settings)
    except StartupRefused:
        return  # the issuer/public URL finding says why
    except CookieConfigError as error:
        yield Finding(
            "error", "cookies", str(error), "fix the cookie names, path or domain it names"
        )
        return
    if problem is not None:
        yield Finding("error", "cookies/TLS", problem)
        return
    names = f"{policy.access.name}, {policy.refresh.name}, {policy.csrf.name}"
    if settings.dev:
        yield Finding(
            "warning",
            "cookies/TLS",
            f"--dev: {names} without Secure over plain HTTP",
            "fine on your machine; never expose a --dev server",
        )
    elif settings.allow_insecure_cookies:
        yield Finding(
            "warning",
            "cookies/TLS",
            "JOTAUTH_ALLOW_INSECURE_COOKIES=true: a plain-HTTP public URL is accepted",
            "make sure TLS ends in front of the server (a proxy), or serve https",
        )
    else:
        yield _ok("cookies/TLS", f"{names}: Secure, HttpOnly (not {policy.csrf.name})")


def _allowed_origins(settings: Settings) -> Iterator[Finding]:
    from jotauth.http.csrf import normalise_origin
    from jotauth.server.startup import is_loopback_host

    if not settings.allowed_origins:
        yield _ok("allowed origins", "none: only the auth server's own pages may sign in")
        return
    bad = False
    for origin in settings.allowed_origins:
        normal = normalise_origin(origin)
        if normal is None:
            bad = True
            yield Finding(
                "error",
                "allowed origins",
                f"{origin!r} is not an origin (scheme://host[:port], no path)",
                "list origins in JOTAUTH_ALLOWED_ORIGINS, comma-separated, e.g. "
                "https://app.example.com",
            )
        elif (
            not settings.dev
            and normal.startswith("http://")
            and not is_loopback_host(urlsplit(normal).hostname or "")
        ):
            bad = True
            yield Finding(
                "warning",
                "allowed origins",
                f"{normal} is plain HTTP: its pages can be changed on the wire",
                "allow the https origin of your app instead",
            )
    if not bad:
        yield _ok("allowed origins", ", ".join(settings.allowed_origins))


def settings_findings(settings: Settings) -> list[Finding]:
    """What is wrong with the settings themselves (no I/O)."""
    return [
        *_secret_key(settings),
        *_issuer(settings),
        *_cookies_and_tls(settings),
        *_allowed_origins(settings),
    ]


async def _database(settings: Settings) -> Finding:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from jotauth.composition import open_services
    from jotauth.extras import MissingExtra, require_drivers
    from jotauth.store import StoreError

    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return Finding(
            "error",
            "database",
            "JOTAUTH_DATABASE_URL is not a database URL",
            "sqlite+aiosqlite:///path/jotauth.db or postgresql+asyncpg://user@host/db",
        )
    shown = url.render_as_string(hide_password=True)
    try:
        require_drivers(database_url=settings.database_url, redis_url=None)
    except MissingExtra as missing:
        return Finding("error", "database", str(missing))
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return Finding(
            "warning",
            "database",
            f"{shown} does not exist yet",
            "'jotauth serve' creates and migrates it at its first start",
        )
    try:
        # Only the store is used; Redis and SMTP are checked on their own (each is its line).
        unchecked = settings.model_copy(update={"redis_url": None, "smtp_url": None})
        async with open_services(unchecked, migrate=False, signing=False) as services:
            current, head = await services.store.schema_revisions()
    except (StoreError, DBAPIError) as error:
        # DBAPIError: the server answered and refused (unknown database, role, password).
        reason = error.detail if isinstance(error, StoreError) else str(error.orig)
        return Finding(
            "error",
            "database",
            f"cannot use {shown}: {reason}",
            "start the database, create it, or fix JOTAUTH_DATABASE_URL",
        )
    if current is None:
        return Finding(
            "warning",
            "database",
            f"{shown} is reachable but has no jotauth tables",
            "'jotauth serve' migrates it at start",
        )
    if current != head:
        return Finding(
            "warning",
            "database",
            f"{shown} is at migration {current}, this jotauth's newest is {head}",
            "'jotauth serve' migrates it at start (if the database is newer, upgrade jotauth)",
        )
    return _ok("database", f"{shown}: reachable, migrated ({current})")


async def _redis(redis_url: str) -> Finding:
    from jotauth.extras import MissingExtra, require_modules

    try:
        require_modules("redis", needed_by="redis_url")
    except MissingExtra as missing:
        return Finding("error", "redis", str(missing))
    import redis.asyncio as redis_asyncio
    from redis.exceptions import RedisError

    where = _host_port(redis_url, default_port=6379)
    try:
        client = redis_asyncio.Redis.from_url(
            redis_url,
            socket_connect_timeout=_NETWORK_TIMEOUT_S,
            socket_timeout=_NETWORK_TIMEOUT_S,
        )
    except ValueError as error:
        return Finding("error", "redis", f"JOTAUTH_REDIS_URL is not a Redis URL: {error}")
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        return Finding(
            "error",
            "redis",
            f"no answer from {where}: {type(error).__name__}: {error}",
            "start Redis, or fix JOTAUTH_REDIS_URL (redis://host:6379/0)",
        )
    finally:
        await client.aclose()
    return _ok("redis", f"{where}: PING answered")


def _host_port(url: str, *, default_port: int) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port or default_port
    except ValueError:
        port = default_port
    return f"{parts.hostname or '?'}:{port}"


def _smtp(smtp_url: str) -> Finding:
    """Connect and EHLO (TLS first for smtps://), nothing sent: the server is there."""
    parts = urlsplit(smtp_url)
    starttls = parse_qs(parts.query).get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        return Finding(
            "error",
            "smtp",
            "JOTAUTH_SMTP_URL is not smtp://host:port or smtps://host:port",
            "e.g. smtp://user:password@mail.example.com:587?starttls=true",
        )
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        return Finding("error", "smtp", "JOTAUTH_SMTP_URL has an invalid port")
    where = f"{parts.hostname}:{port}"
    try:
        client: smtplib.SMTP
        if parts.scheme == "smtps":
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(
                parts.hostname, port, timeout=_NETWORK_TIMEOUT_S, context=context
            )
        else:
            client = smtplib.SMTP(parts.hostname, port, timeout=_NETWORK_TIMEOUT_S)
        try:
            code, _ = client.ehlo()
            offers_starttls = client.has_extn("starttls")
        finally:
            client.close()
    except (OSError, smtplib.SMTPException) as error:
        return Finding(
            "error",
            "smtp",
            f"no SMTP server at {where}: {type(error).__name__}: {error}",
            "start the mail server, or fix JOTAUTH_SMTP_URL",
        )
    if code != 250:
        return Finding("error", "smtp", f"{where} answered EHLO with {code}")
    if starttls and not offers_starttls:
        return Finding(
            "error",
            "smtp",
            f"{where} does not offer STARTTLS (?starttls=true)",
            "use the server's submission port (587), or smtps:// on 465",
        )
    return _ok("smtp", f"{where}: EHLO answered" + (", STARTTLS offered" if starttls else ""))


async def service_findings(settings: Settings) -> list[Finding]:
    """What the configured database, Redis and SMTP server answer."""
    findings = [await _database(settings)]
    if settings.redis_url:
        findings.append(await _redis(settings.redis_url))
    if settings.smtp_url is not None:
        smtp_url = settings.smtp_url.get_secret_value()
        findings.append(await asyncio.to_thread(_smtp, smtp_url))
    return findings


_LABELS: dict[Level, tuple[str, str | None]] = {
    "ok": ("ok", "green"),
    "warning": ("warning", "yellow"),
    "error": ("ERROR", "red"),
}


@click.command()
@settings_options
def doctor() -> None:
    """Check the configuration (secret, issuer, cookies vs TLS, origins, database, Redis,
    SMTP); print what is wrong and how to fix it. Exit status 1 on any error."""
    settings = load_settings()
    findings = settings_findings(settings) + asyncio.run(service_findings(settings))
    width = max(len(f.topic) for f in findings)
    for finding in findings:
        label, colour = _LABELS[finding.level]
        click.echo(
            f"{click.style(f'{label:<8}', fg=colour)}{finding.topic:<{width}}  {finding.message}"
        )
        if finding.fix:
            click.echo(f"{'':<8}{'':<{width}}  fix: {finding.fix}")
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    click.echo(f"{errors} error(s), {warnings} warning(s)")
    if errors:
        raise SystemExit(1)
