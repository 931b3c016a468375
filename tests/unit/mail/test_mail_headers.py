"""Header injection (CWE-93) is refused when a mail is composed and again when it is built."""

from __future__ import annotations

import pytest

from jotauth.mail import (
    MailBranding,
    MailHeaderRefused,
    MailTemplates,
    build_message,
    check_address,
    outgoing,
)
from jotauth.store import OutgoingMail

HOSTILE = [
    "ada@example.org\r\nBcc: eve@example.org",
    "ada@example.org\nBcc: eve@example.org",
    "ada@example.org\rBcc: eve@example.org",
    "ada@example.org\x00",
    "ada@example.org\u2028Bcc: eve@example.org",
]


def compose(**changes: str) -> OutgoingMail:
    values = {
        "recipient": "ada@example.org",
        "recipient_name": "Ada",
        "subject": "Hello",
        "text_body": "text",
        "html_body": "<p>html</p>",
        **changes,
    }
    return outgoing(**values)


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["recipient", "recipient_name", "subject"])
def test_cr_lf_and_controls_in_any_header_value_are_refused(field: str, value: str) -> None:
    with pytest.raises(MailHeaderRefused):
        compose(**{field: value})


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.org, eve@example.org",
        "Ada <ada@example.org>",
        "ada",
        "@example.org",
        "a b@x.org",
    ],
)
def test_an_address_is_one_plain_address(address: str) -> None:
    with pytest.raises(MailHeaderRefused):
        check_address(address)


def test_a_row_with_an_injected_header_is_refused_when_the_message_is_built() -> None:
    # As if a row had been written by hand or by another version.
    row = OutgoingMail(
        recipient="ada@example.org",
        recipient_name="Ada\r\nBcc: eve@example.org",
        subject="Hi",
        text_body="t",
        html_body="h",
    )
    with pytest.raises(MailHeaderRefused):
        build_message(row, sender="jotauth <noreply@example.org>", message_id="<1@example.org>")


def test_a_built_message_has_both_parts_and_the_headers_it_needs() -> None:
    message = build_message(
        compose(), sender="jotauth <noreply@example.org>", message_id="<abc@example.org>"
    )
    assert message["To"] == "Ada <ada@example.org>"
    assert message["Message-ID"] == "<abc@example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content().strip() == "text"
    assert "<p>html</p>" in message.get_body(("html",)).get_content()
    assert "Bcc" not in message


def test_the_templates_escape_the_name_in_html_and_carry_the_branding() -> None:
    templates = MailTemplates(
        MailBranding(
            name="Acme", accent_color="#112233", logo_url="http://not-https.example/x.png"
        ),
        links_base="https://auth.acme.test/",
    )
    mail = templates.password_reset(
        to="ada@example.org", name="<b>Ada</b>", token="tok123", valid_minutes=30
    )
    assert mail.subject == "Reset your Acme password"
    assert "https://auth.acme.test/reset?token=tok123" in mail.text_body
    assert "&lt;b&gt;Ada&lt;/b&gt;" in mail.html_body and "<b>Ada</b>" not in mail.html_body
    assert "#112233" in mail.html_body
    assert "not-https" not in mail.html_body  # only an https logo reaches a mail
    assert "30 minutes" in mail.text_body
