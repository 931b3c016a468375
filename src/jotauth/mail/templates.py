"""The mails' text and HTML bodies (Jinja2), branded like the hosted pages.

Each mail is written twice, as plain text and as HTML (autoescaped), from the templates in
``mail/templates/``; the subject is built here. Every header value is checked for
injection when the mail is composed (:func:`jotauth.mail.message.outgoing`), before it is
queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from jotauth.mail.message import outgoing
from jotauth.store import OutgoingMail


@dataclass(frozen=True, slots=True)
class MailBranding:
    """Product name, accent colour and logo of the mails (the hosted pages' settings)."""

    name: str = "jotauth"
    accent_color: str = "#3558d4"
    logo_url: str | None = None  # only an absolute https URL reaches a mail


class MailTemplates:
    """Composes each kind of account mail for one server (its branding and link base)."""

    def __init__(self, branding: MailBranding, *, links_base: str) -> None:
        self._branding = branding
        self._links_base = links_base.rstrip("/")
        self._env = Environment(
            loader=PackageLoader("jotauth.mail", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        logo = branding.logo_url
        self._env.globals["brand"] = {
            "name": branding.name,
            "accent_color": branding.accent_color,
            "logo_url": logo if logo and logo.startswith("https://") else None,
        }

    def link(self, page: str, token: str | None = None) -> str:
        """The URL of an account page (``reset``, ``verify``, ``forgot``)."""
        return f"{self._links_base}/{page}" + (f"?token={token}" if token else "")

    def password_reset(self, *, to: str, name: str, token: str, valid_minutes: int) -> OutgoingMail:
        """ "Reset your password": the single-use link to ``/reset``."""
        return self._compose(
            "password_reset",
            to=to,
            name=name,
            subject=f"Reset your {self._branding.name} password",
            link=self.link("reset", token),
            valid_minutes=valid_minutes,
        )

    def verify_email(
        self, *, to: str, name: str, token: str, valid_hours: int, new_address: bool
    ) -> OutgoingMail:
        """ "Confirm your address": the single-use link to ``/verify``."""
        return self._compose(
            "verify_email",
            to=to,
            name=name,
            subject=f"Confirm your email address for {self._branding.name}",
            link=self.link("verify", token),
            valid_hours=valid_hours,
            new_address=new_address,
        )

    def email_change_notice(self, *, to: str, name: str, new_email: str) -> OutgoingMail:
        """To the old address: a change to ``new_email`` was asked for."""
        return self._compose(
            "email_change_notice",
            to=to,
            name=name,
            subject=f"Your {self._branding.name} email address is being changed",
            new_email=new_email,
            forgot_link=self.link("forgot"),
        )

    def already_registered(self, *, to: str, name: str) -> OutgoingMail:
        """Enumeration-safe sign-up: someone signed up with an address that has an account."""
        return self._compose(
            "already_registered",
            to=to,
            name=name,
            subject=f"You already have a {self._branding.name} account",
            forgot_link=self.link("forgot"),
        )

    def _compose(
        self, template: str, *, to: str, name: str, subject: str, **values: Any
    ) -> OutgoingMail:
        context = {"name": name, "subject": subject, **values}
        return outgoing(
            recipient=to,
            recipient_name=name,
            subject=subject,
            text_body=self._env.get_template(f"{template}.txt").render(context),
            html_body=self._env.get_template(f"{template}.html").render(context),
        )
