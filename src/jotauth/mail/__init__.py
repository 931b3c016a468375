"""Mail: the account mails (templates), their delivery from the durable outbox, SMTP.

``MailTemplates`` composes a mail (headers checked for injection at once); the caller
queues it in the store's outbox in the transaction that decides to send it; the server's
lifespan runs ``OutboxDelivery`` through an ``SmtpTransport`` (``JOTAUTH_SMTP_URL``) or, in
``--dev`` without SMTP, the ``DevMailbox`` shown at ``/dev/mailbox``. ``mail_transport_for``
picks the transport from the settings.
"""

from __future__ import annotations

from jotauth.mail.delivery import DeliveryOutcome, MailTransport, OutboxDelivery, RetryPolicy
from jotauth.mail.dev_mailbox import DevMail, DevMailbox
from jotauth.mail.errors import DeliveryFailed, MailError, MailHeaderRefused
from jotauth.mail.message import build_message, check_address, check_header_value, outgoing
from jotauth.mail.smtp import SmtpConfig, SmtpTransport
from jotauth.mail.templates import MailBranding, MailTemplates
from jotauth.settings import Settings

DEFAULT_SENDER = "jotauth <noreply@localhost>"


def mail_transport_for(settings: Settings) -> MailTransport | None:
    """SMTP when ``smtp_url`` is set, the dev mailbox in ``--dev`` without it, else None
    (no mail can go out: the features that need it answer 404 ``feature_disabled``)."""
    if settings.smtp_url is not None:
        config = SmtpConfig.from_url(settings.smtp_url.get_secret_value())
        return SmtpTransport(config, timeout=settings.smtp_timeout)
    if settings.dev:
        return DevMailbox()
    return None


__all__ = [
    "DEFAULT_SENDER",
    "DeliveryFailed",
    "DeliveryOutcome",
    "DevMail",
    "DevMailbox",
    "MailBranding",
    "MailError",
    "MailHeaderRefused",
    "MailTemplates",
    "MailTransport",
    "OutboxDelivery",
    "RetryPolicy",
    "SmtpConfig",
    "SmtpTransport",
    "build_message",
    "check_address",
    "check_header_value",
    "mail_transport_for",
    "outgoing",
]
