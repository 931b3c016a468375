"""The one settings object: built once at start-up and passed down explicitly.

Values come from keyword arguments, ``JOTAUTH_*`` environment variables or a TOML file
(``jotauth.toml`` by default, ``JOTAUTH_CONFIG`` to point elsewhere), in that order of
precedence. Nothing else in the package reads the environment.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from jotauth.errors import ErrorCode, JotauthError

Algorithm = Literal["RS256", "PS256", "ES256", "EdDSA", "HS256"]

_log = logging.getLogger("jotauth.settings")
_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}")
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class StartupRefused(JotauthError):
    """The settings are unsafe for production; the message says what to change."""

    code = ErrorCode.STARTUP_REFUSED
    default_detail = "the settings are unsafe for production"


class Settings(BaseSettings):
    """Everything configurable about an auth server and the guards that trust it."""

    model_config = SettingsConfigDict(
        env_prefix="JOTAUTH_",
        toml_file="jotauth.toml",
        extra="forbid",
        frozen=True,
    )

    # --- identity of the issuer -------------------------------------------------------
    issuer: str = "http://127.0.0.1:8000"  # the `iss` of every token; the public URL by default
    audience: Annotated[tuple[str, ...], NoDecode] = ("jotauth",)  # `aud` of access tokens
    public_url: str | None = None  # base URL of the auth server as browsers see it

    # --- development mode: plain HTTP on localhost, loud about it ---------------------
    dev: bool = False  # `serve --dev`: plain HTTP, no Secure cookies, a loud warning
    # Production refuses non-Secure cookies unless this is set explicitly.
    allow_insecure_cookies: bool = False

    # --- storage ----------------------------------------------------------------------
    database_url: str = "sqlite+aiosqlite:///./jotauth.db"  # or postgresql+asyncpg://…
    redis_url: str | None = None  # shared login throttle and revocation fan-out
    # Audit events (and throttled-attempt counts) older than this are purged hourly.
    audit_retention_days: int = Field(90, ge=1, le=36500)
    # SQLite: the longest a write waits for the database lock (another process, or this one's
    # queued writers) before answering 503; the whole wait, not each step of it.
    sqlite_busy_timeout: float = Field(5.0, gt=0, le=60)
    # PostgreSQL: connections this process keeps open; a request finding them all busy
    # waits for one (up to 10 s, then 503). Mind the server's max_connections (default 100)
    # across every process.
    database_pool_size: int = Field(20, ge=1, le=500)
    secret_key: SecretStr | None = None  # key-encryption key source for private keys, CSRF HMAC

    # --- tokens -------------------------------------------------------------------------
    algorithm: Algorithm = "RS256"  # RS256, PS256, ES256 or EdDSA for access tokens
    access_token_ttl: int = Field(900, ge=10)  # seconds
    refresh_idle_ttl: int = Field(14 * 24 * 3600, ge=60)  # a session unused this long ends
    session_absolute_ttl: int = Field(30 * 24 * 3600, ge=60)  # however much it is used
    refresh_grace_period: int = Field(10, ge=0, le=120)  # s a used token still refreshes
    leeway: int = Field(30, ge=0, le=300)  # seconds of clock skew allowed on exp/nbf/iat
    max_token_bytes: int = Field(8192, ge=512, le=65536)  # longer tokens are refused unread
    # Verified access tokens the auth server remembers (its own /me, sessions, …): about
    # 1.8 KB each, so the default bounds the cache near 18 MB.
    verified_token_cache_size: int = Field(10_000, ge=0, le=1_000_000)

    # Cache-Control max-age of /.well-known/jotauth-revocations (guards poll it this often).
    revocations_max_age: int = Field(1, ge=0, le=60)

    # --- keys and JWKS --------------------------------------------------------------------
    jwks_max_age: int = Field(600, ge=0)  # Cache-Control max-age of /.well-known/jwks.json
    key_rotation_period: int = Field(30 * 24 * 3600, ge=0)  # 0 disables automatic rotation
    signing_key_files: Annotated[
        tuple[Path, ...], NoDecode
    ] = ()  # PEM files instead of keys in the store

    # --- cookies --------------------------------------------------------------------------
    # Cookie names; --dev and cookie_domain drop the __Host- prefix (it forbids both).
    access_cookie_name: str = "__Host-jot_access"
    refresh_cookie_name: str = "__Host-jot_refresh"  # HttpOnly, like the access cookie
    refresh_cookie_path: str = "/"  # narrow it to /api/auth to send it only there
    csrf_cookie_name: str = "XSRF-TOKEN"  # the double-submit cookie (Angular's default name)
    csrf_header_name: str = "X-XSRF-TOKEN"  # the header that must echo it
    cookie_domain: str | None = None  # parent domain for the hosted login ("best of both")

    # --- browsers and redirects -------------------------------------------------------------
    allowed_origins: Annotated[
        tuple[str, ...], NoDecode
    ] = ()  # login CSRF (Origin) and return_to allowlist
    signup_enabled: bool = False  # public POST /api/auth/signup
    # Enumeration-safe sign-up: every sign-up answers 202 and a mail (a verification link to a
    # new address, "you already have an account" to a registered one), never 409 (DESIGN §12).
    signup_enumeration_safe: bool = False
    # NIST SP 800-63B §5.1.1.2: at least 8 (the floor), no composition rules, a blocklist.
    password_min_length: int = Field(12, ge=8, le=256)  # characters (NIST SP 800-63B: 8+)

    # --- mail: verification and password reset (DESIGN §12) --------------------------------
    # smtp://host:port (plain; ?starttls=true upgrades with STARTTLS and refuses a server
    # without it), smtps://host:port (implicit TLS, RFC 8314), user:password@ for AUTH.
    # Without it, --dev mail goes to the dev mailbox page (/dev/mailbox), never to the log.
    smtp_url: SecretStr | None = None
    mail_from: str | None = None  # "Name <noreply@example.org>" or an address
    smtp_timeout: float = Field(10.0, gt=0, le=120)  # seconds per SMTP delivery
    # The outbox: a failed delivery is retried after mail_retry_delay x 2^(attempt-1) seconds
    # (capped at an hour), at most mail_max_attempts times; then the mail is given up ("dead").
    mail_max_attempts: int = Field(8, ge=1, le=100)
    mail_retry_delay: float = Field(30.0, gt=0, le=3600)  # seconds before the first retry
    mail_poll_interval: float = Field(1.0, gt=0, le=60)  # seconds between outbox passes
    # Mails to one address and from one client address per mail_window (mail bombing).
    mail_per_address: int = Field(3, ge=1)
    mail_per_ip: int = Field(30, ge=1)  # mails asked for by one client address per window
    mail_window: int = Field(3600, ge=1)  # seconds of the mail throttle's window
    password_reset_ttl: int = Field(1800, ge=60, le=86400)  # seconds a reset link works
    email_verification_ttl: int = Field(86400, ge=300, le=30 * 86400)  # seconds a link works
    # Login refused (403 email_not_verified) until the address is verified.
    require_verified_email: bool = False
    # Where the links in mails point ({base}/reset?token=…, {base}/verify?token=…); by default
    # the hosted pages of public_url (or issuer). An app with its own pages sets its URL.
    account_links_url: str | None = None

    # --- second factors and step-up (DESIGN §13) -------------------------------------------
    # "optional": users choose to enrol a second factor; "required": everyone must (a user
    # without one is held at login until they enrol an authenticator app).
    mfa_policy: Literal["optional", "required"] = "optional"
    # With mfa_policy "optional", users holding one of these roles must enrol anyway.
    mfa_required_roles: Annotated[tuple[str, ...], NoDecode] = ()
    # Password change, email change and factor management need a sign-in (or
    # re-authentication) at most this many seconds old; older: 403
    # insufficient_user_authentication with max_age (RFC 9470).
    recent_auth_max_age: int = Field(600, ge=30, le=86400)
    # Wrong second-factor proofs allowed per account within mfa_window seconds (across
    # mfa_tokens): past it 429, audited. One mfa_token also dies after a few wrong tries.
    mfa_attempts_per_account: int = Field(10, ge=1, le=1000)
    mfa_window: int = Field(900, ge=1)  # seconds of the second-factor throttle's window

    # --- branding of the hosted pages (login, consent, logout, errors) ----------------------
    brand_name: str = Field("jotauth", min_length=1, max_length=80)  # the pages' title
    brand_logo_url: str | None = None  # https URL or a path on this server
    brand_accent_color: str = Field("#3558d4", pattern=r"^#[0-9a-fA-F]{6}$")

    # --- password hashing and throttling ----------------------------------------------------
    argon2_time_cost: int = Field(2, ge=1)  # argon2id passes
    argon2_memory_cost: int = Field(19 * 1024, ge=8)  # KiB; OWASP: m=19 MiB, t=2, p=1
    argon2_parallelism: int = Field(1, ge=1)  # argon2id lanes
    hash_workers: int = Field(2, ge=1, le=64)  # bounded pool so a login storm cannot starve others
    # Hashes that may wait for a worker; past it login, sign-up and password change answer 503
    # with Retry-After instead of queueing without bound. None: 8 x hash_workers.
    hash_queue_limit: int | None = Field(None, ge=1)
    # Failed logins allowed per account and per client address within login_window seconds.
    login_attempts_per_account: int = Field(10, ge=1)
    login_attempts_per_ip: int = Field(50, ge=1)  # per client address
    login_window: int = Field(300, ge=1)  # seconds
    # Memory bound of the in-process throttle (the counters whose window ends soonest go first).
    login_throttle_max_counters: int = Field(100_000, ge=100)

    # --- server -------------------------------------------------------------------------------
    host: str = "127.0.0.1"  # interface `jotauth serve` binds
    port: int = Field(8000, ge=0, le=65535)  # port `jotauth serve` binds
    # Request heads past these bounds get 431 and a closed connection (nothing buffered more).
    max_request_header_bytes: int = Field(16 * 1024, ge=1024, le=1024 * 1024)
    max_request_headers: int = Field(100, ge=10, le=1000)  # header lines per request
    log_level: str = "info"  # JSON log lines at this level and above
    # Federation (DESIGN §14): how long a call to an upstream provider may take, in seconds.
    federation_timeout: float = Field(10.0, gt=0, le=60)
    # Passkeys (WebAuthn, DESIGN §13). The relying party id is the host of public_url (or of
    # issuer) unless set; it must be that host or a parent domain of it. A default that is an
    # IP address (WebAuthn allows none) leaves passkeys off, with a warning at start-up.
    webauthn_rp_id: str | None = None
    webauthn_rp_name: str | None = None  # the name authenticators show; brand_name by default
    # The exact origins a WebAuthn ceremony may come from: by default the public URL's origin
    # and every allowed_origins entry whose host is within the relying party id.
    webauthn_origins: Annotated[tuple[str, ...], NoDecode] = ()
    webauthn_challenge_ttl: int = Field(300, ge=30, le=900)  # seconds a WebAuthn challenge lasts
    # /metrics answers only `Authorization: Bearer <metrics_token>`; without a token it is open
    # in --dev and 404 elsewhere.
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = None  # the Bearer token /metrics asks for

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("JOTAUTH_CONFIG") or settings_cls.model_config.get("toml_file")
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))

    @field_validator(
        "audience",
        "signing_key_files",
        "allowed_origins",
        "webauthn_origins",
        "mfa_required_roles",
        mode="before",
    )
    @classmethod
    def _split_list(cls, value: object) -> object:
        # Environment variables hold lists as "a,b" or as a JSON array.
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return tuple(part.strip() for part in value.split(",") if part.strip())

    @field_validator(
        "access_cookie_name", "refresh_cookie_name", "csrf_cookie_name", "csrf_header_name"
    )
    @classmethod
    def _http_token(cls, value: str) -> str:
        # RFC 6265 §4.1.1 cookie-name = token (RFC 9110 §5.6.2): no space, ';', '=' or
        # control character can reach a Set-Cookie header.
        if not _HTTP_TOKEN.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid cookie or header name (RFC 9110 token)")
        return value

    @field_validator("cookie_domain")
    @classmethod
    def _cookie_domain_is_a_hostname(cls, value: str | None) -> str | None:
        # Injected verbatim into Set-Cookie's Domain attribute: only a registrable-looking host
        # name (at least one dot, LDH labels), never "com" or "example.com; SameSite=None".
        if value is None or value == "":
            return None
        name = value.removeprefix(".").lower()
        labels = name.split(".")
        if (
            len(name) > 253
            or len(labels) < 2
            or not all(_HOST_LABEL.fullmatch(label) for label in labels)
            or labels[-1].isdigit()
        ):
            raise ValueError(
                f"cookie_domain {value!r} must be a host name with at least one dot "
                "(e.g. example.com)"
            )
        return name

    @field_validator("brand_name", "mail_from")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        # Both reach mail headers (From, Subject): CR/LF there would inject headers.
        if value is not None and any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ValueError("must not contain control characters (CR, LF, …)")
        return value

    @field_validator("account_links_url")
    @classmethod
    def _links_are_http(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")) or any(
            ord(c) <= 0x20 or ord(c) >= 0x7F or c in "\\\"'<>" for c in value
        ):
            raise ValueError("account_links_url must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("brand_logo_url")
    @classmethod
    def _logo_is_https_or_a_path(cls, value: str | None) -> str | None:
        # Rendered into an <img src> and the pages' CSP img-src: only https or a local path.
        if not value:
            return None
        if not (
            value.startswith("https://") or (value.startswith("/") and not value.startswith("//"))
        ):
            raise ValueError("brand_logo_url must be an https:// URL or a path on this server")
        if any(ord(c) <= 0x20 or ord(c) >= 0x7F or c in "\\\"'<>;" for c in value):
            raise ValueError("brand_logo_url contains characters that are not allowed")
        return value

    @field_validator("allowed_origins", "webauthn_origins", mode="after")
    @classmethod
    def _origins_without_slash(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(origin.rstrip("/") for origin in value)

    @model_validator(mode="after")
    def _dev_cookie_names(self) -> Settings:
        # __Host- cookies are rejected by browsers without Secure, so --dev drops the prefix;
        # __Host- also forbids a Domain attribute, so a cookie_domain drops it too.
        if self.dev or self.cookie_domain:
            for name in ("access_cookie_name", "refresh_cookie_name"):
                value = getattr(self, name)
                if value.startswith("__Host-"):
                    object.__setattr__(self, name, value.removeprefix("__Host-"))
        return self

    @property
    def cookies_secure(self) -> bool:
        """Whether auth cookies carry the Secure flag (always, except in --dev)."""
        return not self.dev

    def warn_if_insecure(self) -> None:
        """Say loudly at start-up which strict defaults are turned off."""
        if self.dev:
            _log.warning(
                "DEVELOPMENT MODE: cookies are sent without Secure and without the __Host- "
                "prefix over plain HTTP. Never use --dev in production."
            )
