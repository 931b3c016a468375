"""SmtpTransport against aiosmtpd on loopback: plain, STARTTLS (required), implicit TLS, AUTH."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jotauth.mail import DeliveryFailed, SmtpConfig, SmtpTransport, build_message, outgoing
from tests.support.smtp import self_signed_tls, smtp_server


def message():
    mail = outgoing(
        recipient="ada@example.org",
        recipient_name="Ada",
        subject="Hello",
        text_body="hello https://auth.example.test/reset?token=abc\n",
        html_body="<p>hello</p>",
    )
    return build_message(mail, sender="jotauth <noreply@example.org>", message_id="<1@example.org>")


async def test_plain_delivery_on_loopback() -> None:
    with smtp_server() as smtp:
        await SmtpTransport(SmtpConfig.from_url(smtp.url)).send(message())
        (received,) = await asyncio.to_thread(smtp.wait_for, 1)
    assert received.rcpt_tos == ["ada@example.org"]
    assert received.mail_from == "noreply@example.org"
    assert received.links == ["https://auth.example.test/reset?token=abc"]


async def test_starttls_required_with_auth(tmp_path: Path) -> None:
    context, ca = self_signed_tls(tmp_path)
    with smtp_server(tls=context, credentials=("mailer", "s3cret")) as smtp:
        url = f"smtp://mailer:s3cret@127.0.0.1:{smtp.port}?starttls=true&ca_file={ca}"
        await SmtpTransport(SmtpConfig.from_url(url)).send(message())
        assert len(await asyncio.to_thread(smtp.wait_for, 1)) == 1
        wrong = f"smtp://mailer:wrong@127.0.0.1:{smtp.port}?starttls=true&ca_file={ca}"
        with pytest.raises(DeliveryFailed) as caught:
            await SmtpTransport(SmtpConfig.from_url(wrong)).send(message())
        assert not caught.value.permanent and "wrong" not in caught.value.detail


async def test_implicit_tls(tmp_path: Path) -> None:
    context, ca = self_signed_tls(tmp_path)
    with smtp_server(tls=context, implicit_tls=True) as smtp:
        url = f"smtps://127.0.0.1:{smtp.port}?ca_file={ca}"
        await SmtpTransport(SmtpConfig.from_url(url)).send(message())
        assert len(await asyncio.to_thread(smtp.wait_for, 1)) == 1


async def test_an_untrusted_certificate_is_a_failed_delivery(tmp_path: Path) -> None:
    context, _ca = self_signed_tls(tmp_path)
    with smtp_server(tls=context, implicit_tls=True) as smtp:
        with pytest.raises(DeliveryFailed):
            await SmtpTransport(SmtpConfig.from_url(f"smtps://127.0.0.1:{smtp.port}")).send(
                message()
            )
        assert smtp.received == []


async def test_required_starttls_never_falls_back_to_plain_text() -> None:
    with smtp_server() as smtp:  # offers no STARTTLS
        url = f"smtp://127.0.0.1:{smtp.port}?starttls=true"
        with pytest.raises(DeliveryFailed):
            await SmtpTransport(SmtpConfig.from_url(url)).send(message())
        assert smtp.received == []


async def test_nothing_listening_is_a_temporary_failure() -> None:
    from tests.support.ports import free_port

    url = f"smtp://127.0.0.1:{free_port()}?starttls=false"
    with pytest.raises(DeliveryFailed) as caught:
        await SmtpTransport(SmtpConfig.from_url(url), timeout=2).send(message())
    assert not caught.value.permanent
