"""Login throttling per account and per client address, in process or in Redis.

``throttle = login_throttle_for(settings)`` picks Redis when ``settings.redis_url`` is set (shared
by every instance) and an in-process counter otherwise.
"""

from jotauth.settings import Settings
from jotauth.throttle.base import LoginThrottle, ThrottleUnavailable, account_key, ip_key
from jotauth.throttle.memory import InMemoryLoginThrottle


def login_throttle_for(settings: Settings) -> LoginThrottle:
    """The throttle the settings ask for: Redis with ``redis_url``, else in-process."""
    if settings.redis_url:
        from jotauth.throttle.redis_backend import RedisLoginThrottle

        return RedisLoginThrottle(settings)
    return InMemoryLoginThrottle(settings)


def mail_throttle_for(settings: Settings) -> LoginThrottle:
    """The throttle of account mails (reset, verification, sign-up notices): at most
    ``mail_per_address`` mails to one address and ``mail_per_ip`` asked for by one client
    address per ``mail_window`` seconds (mail bombing), counted alike whether the address has
    an account or not, so the limit tells nothing either."""
    limits = settings.model_copy(
        update={
            "login_window": settings.mail_window,
            "login_attempts_per_account": settings.mail_per_address,
            "login_attempts_per_ip": settings.mail_per_ip,
        }
    )
    if settings.redis_url:
        from jotauth.throttle.redis_backend import RedisLoginThrottle

        return RedisLoginThrottle(limits, prefix="jotauth:mail-throttle:")
    return InMemoryLoginThrottle(limits)


def second_factor_throttle_for(settings: Settings) -> LoginThrottle:
    """The throttle of second-factor proofs: at most ``mfa_attempts_per_account`` wrong
    proofs per account per ``mfa_window`` seconds, across mfa_tokens (a guesser who knows
    the password and starts new logins gets no more tries). Counted per account only: the
    login throttle already limits client addresses."""
    limits = settings.model_copy(
        update={
            "login_window": settings.mfa_window,
            "login_attempts_per_account": settings.mfa_attempts_per_account,
        }
    )
    if settings.redis_url:
        from jotauth.throttle.redis_backend import RedisLoginThrottle

        return RedisLoginThrottle(limits, prefix="jotauth:mfa-throttle:")
    return InMemoryLoginThrottle(limits)


__all__ = [
    "InMemoryLoginThrottle",
    "LoginThrottle",
    "ThrottleUnavailable",
    "account_key",
    "ip_key",
    "login_throttle_for",
    "mail_throttle_for",
    "second_factor_throttle_for",
]
