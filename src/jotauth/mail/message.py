"""Turn an outbox entry into an RFC 5322 message, refusing header injection."""

from __future__ import annotations

import email.policy
import email.utils
from email.headerregistry import Address
from email.message import EmailMessage

from jotauth.mail.errors import MailHeaderRefused
from jotauth.store import OutgoingMail

_MAX_HEADER_CHARS = 300


def check_header_value(value: str, what: str) -> str:
    """``value`` unchanged when it may go in a header; :class:`MailHeaderRefused` when it
    holds CR, LF or any other control character (they would start a new header line)."""
    if not isinstance(value, str) or len(value) > _MAX_HEADER_CHARS:
        raise MailHeaderRefused(f"the {what} is too long for a mail header")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" for c in value):
        raise MailHeaderRefused(f"the {what} contains control characters")
    return value


def check_address(address: str) -> str:
    """An address fit for ``To``/``From``: one ``local@domain``, no control characters,
    no display-name or group syntax smuggled in (``a@b, c@d`` would add a recipient)."""
    check_header_value(address, "address")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c in address for c in ' ,;<>()[]\\"'):
        raise MailHeaderRefused("the address is not a single plain address")
    return address


def outgoing(
    *, recipient: str, recipient_name: str, subject: str, text_body: str, html_body: str
) -> OutgoingMail:
    """An :class:`OutgoingMail` whose headers are checked now, before it is queued."""
    return OutgoingMail(
        recipient=check_address(recipient),
        recipient_name=check_header_value(recipient_name, "name"),
        subject=check_header_value(subject, "subject"),
        text_body=text_body,
        html_body=html_body,
    )


def build_message(mail: OutgoingMail, *, sender: str, message_id: str) -> EmailMessage:
    """The MIME message (text and HTML alternatives) for ``mail``.

    The headers are checked again here (rows written by another version, or by hand), and
    the SMTP policy of :mod:`email` refuses CR/LF in any header besides.
    """
    check_header_value(sender, "sender")
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    name = check_header_value(mail.recipient_name, "name")
    recipient = check_address(mail.recipient)
    local, _, domain = recipient.rpartition("@")
    try:
        message["To"] = Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError) as error:  # e.g. non-ASCII local parts without SMTPUTF8
        raise MailHeaderRefused("the address cannot be written in a mail header") from error
    message["Subject"] = check_header_value(mail.subject, "subject")
    message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message
