"""``JOTAUTH_SMTP_URL`` parsing and the outbox's retry schedule."""

from __future__ import annotations

import pytest

from jotauth.mail import RetryPolicy, SmtpConfig
from jotauth.mail.delivery import MAX_RETRY_DELAY_S


def test_plain_smtp_upgrades_when_offered_by_default() -> None:
    config = SmtpConfig.from_url("smtp://mail.example.org")
    assert (config.host, config.port, config.implicit_tls, config.starttls) == (
        "mail.example.org",
        25,
        False,
        None,
    )


def test_starttls_can_be_required_or_refused() -> None:
    assert SmtpConfig.from_url("smtp://m.example.org:587?starttls=true").starttls is True
    assert SmtpConfig.from_url("smtp://127.0.0.1:2525?starttls=false").starttls is False


def test_smtps_is_implicit_tls_on_465_with_credentials() -> None:
    config = SmtpConfig.from_url("smtps://user%40example.org:p%40ss%3Aword@m.example.org")
    assert (config.port, config.implicit_tls, config.starttls) == (465, True, False)
    assert (config.username, config.password) == ("user@example.org", "p@ss:word")
    assert "p@ss" not in repr(config)


@pytest.mark.parametrize(
    "url",
    [
        "http://m.example.org",
        "smtp://",
        "smtp://m.example.org:99999",
        "smtp://m.example.org?starttls=maybe",
        "smtp://m.example.org?verify=false",
        "smtps://m.example.org?starttls=true",
    ],
)
def test_urls_that_cannot_work_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        SmtpConfig.from_url(url)


def test_retries_back_off_exponentially_and_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=5, retry_delay=30)
    assert [policy.next_attempt_in(attempt) for attempt in range(1, 6)] == [
        30,
        60,
        120,
        240,
        None,
    ]
    assert RetryPolicy(max_attempts=100, retry_delay=30).next_attempt_in(40) == MAX_RETRY_DELAY_S
