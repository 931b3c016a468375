"""Delivery over SMTP with aiosmtplib: plain, STARTTLS or implicit TLS, with AUTH.

``JOTAUTH_SMTP_URL``:

* ``smtp://host:port`` — STARTTLS when the server offers it (aiosmtplib's default);
  ``?starttls=true`` requires it (a server without it is a failed delivery, never a
  plain-text fallback), ``?starttls=false`` never upgrades (a relay on loopback);
* ``smtps://host:port`` — implicit TLS from the first byte (RFC 8314 §3.3, port 465);
* ``user:password@`` — SMTP AUTH (percent-encoded), only ever sent over TLS unless the
  URL says ``starttls=false`` explicitly;
* ``?ca_file=/path/ca.pem`` — trust this CA (a private relay) besides the system's.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from jotauth.mail.errors import DeliveryFailed

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to connect, parsed from an ``smtp://`` or ``smtps://`` URL."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool | None = None  # None: when offered; True: required; False: never
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse ``url``; ``ValueError`` naming what is wrong (never echoing a password)."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise ValueError("the SMTP URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("the SMTP URL has no host")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError as error:
            raise ValueError("the SMTP URL has an invalid port") from error
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls", "ca_file"}
        if unknown:
            raise ValueError(f"unknown SMTP URL parameters: {', '.join(sorted(unknown))}")
        starttls: bool | None = None
        if "starttls" in query:
            if query["starttls"].lower() not in _BOOLEANS:
                raise ValueError("starttls must be true or false")
            starttls = _BOOLEANS[query["starttls"].lower()]
        implicit = parts.scheme == "smtps"
        if implicit and starttls:
            raise ValueError("smtps:// is TLS already; starttls applies to smtp:// only")
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=implicit,
            starttls=False if implicit else starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            ca_file=query.get("ca_file"),
        )


class SmtpTransport:
    """Sends one message per connection (mail here is rare: a reset, a verification)."""

    def __init__(self, config: SmtpConfig, *, timeout: float = 10.0) -> None:
        self._config = config
        self._timeout = timeout
        self._tls = ssl.create_default_context(cafile=config.ca_file)

    @property
    def description(self) -> str:
        """Where mail goes, without credentials (for the start-up log)."""
        scheme = "smtps" if self._config.implicit_tls else "smtp"
        return f"{scheme}://{self._config.host}:{self._config.port}"

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message``; :class:`DeliveryFailed` (``permanent`` for a 5xx refusal of
        the recipient) when the server did not take it."""
        config = self._config
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                use_tls=config.implicit_tls,
                start_tls=config.starttls,
                username=config.username,
                password=config.password,
                tls_context=self._tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            permanent = all(refusal.code >= 500 for refusal in error.recipients)
            raise DeliveryFailed("the recipient was refused", permanent=permanent) from error
        except aiosmtplib.SMTPResponseException as error:
            raise DeliveryFailed(f"the SMTP server answered {error.code}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # The type only: driver messages can name hosts and users.
            raise DeliveryFailed(f"SMTP delivery failed: {type(error).__name__}") from error
