"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the mail tests.

``with smtp_server() as smtp:`` starts it on a free port (``smtp.url`` is the
``JOTAUTH_SMTP_URL``); ``smtp.stop()`` / ``smtp.start()`` take it down and bring it back on
the same port (an SMTP outage); ``smtp.wait_for(n)`` waits for ``n`` messages;
``smtp.links(message)`` are the URLs in a message's text part. Optional TLS (implicit or
STARTTLS) with a self-signed certificate and AUTH PLAIN/LOGIN with one account.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from tests.support.ports import free_port

_LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Received:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else ""

    @property
    def links(self) -> list[str]:
        return _LINK.findall(self.text)


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)
    refuse_with: str | None = None  # e.g. "550 no such user" for every recipient

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        raw = bytes(envelope.original_content or envelope.content or b"")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.condition:
            self.received.append(
                Received(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=message,  # type: ignore[arg-type]
                    raw=raw,
                )
            )
            self.condition.notify_all()
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd in a thread, restartable on its port."""

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self._tls = tls
        self._implicit = implicit_tls
        self._credentials = credentials
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=false"

    @property
    def received(self) -> list[Received]:
        with self.handler.condition:
            return list(self.handler.received)

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self._tls is not None and self._implicit:
            kwargs["ssl_context"] = self._tls
        elif self._tls is not None:
            kwargs.update(tls_context=self._tls, require_starttls=True)
        if self._credentials is not None:
            user, password = self._credentials

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
            ) -> AuthResult:
                ok = isinstance(auth_data, LoginPassword) and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                ) == (user, password)
                return AuthResult(success=ok, handled=False)

            kwargs.update(
                authenticator=authenticate,
                auth_required=True,
                auth_require_tls=self._tls is not None,
            )
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mail_to(self, address: str, subject_part: str, *, timeout: float = 20.0) -> Received:
        """The newest message to ``address`` whose subject contains ``subject_part``, waiting
        up to ``timeout`` seconds for it (AssertionError otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for mail in reversed(self.received):
                if address in mail.rcpt_tos and subject_part in str(mail.message["Subject"]):
                    return mail
            time.sleep(0.1)
        raise AssertionError(f"no mail {subject_part!r} reached {address}")

    def wait_for(self, count: int, *, timeout: float = 15.0) -> list[Received]:
        """At least ``count`` messages, or AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.handler.condition:
            while len(self.handler.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} mails, the SMTP server got {len(self.handler.received)}"
                    )
                self.handler.condition.wait(left)
            return list(self.handler.received)


@contextlib.contextmanager
def smtp_server(**options: Any) -> Iterator[SmtpServer]:
    """A running :class:`SmtpServer`, stopped afterwards."""
    server = SmtpServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 with a fresh self-signed certificate, and the
    certificate's path (the client's ``ca_file``)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "smtp-cert.pem"
    key_path = directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path
