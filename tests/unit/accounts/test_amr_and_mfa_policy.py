"""RFC 8176 amr of a two-step sign-in, and who the MFA policy covers."""

from __future__ import annotations

import pytest

from jotauth.accounts import MfaPolicy, sign_in_purpose
from jotauth.accounts.amr import combined_amr
from jotauth.settings import Settings
from jotauth.users import User


@pytest.mark.parametrize(
    ("first", "second", "amr"),
    [
        (("pwd",), ("otp",), ("pwd", "otp", "mfa")),
        (("fed",), ("hwk",), ("fed", "hwk", "mfa")),
        (("pwd",), (), ("pwd",)),  # nothing proved second: no mfa
        ((), ("otp",), ("otp",)),  # one factor only (a re-authentication without password)
        (("pwd",), ("otp", "otp"), ("pwd", "otp", "mfa")),  # each value once
        (("swk", "mfa"), ("otp",), ("swk", "mfa", "otp")),  # mfa once
    ],
)
def test_mfa_is_added_exactly_when_both_steps_proved_something(first, second, amr) -> None:
    assert combined_amr(first, second) == amr


def _user(*roles: str) -> User:
    return User(id="u", email="a@b.c", name="", roles=roles, scope=(), disabled=False, created_at=0)


def test_the_policy_covers_everyone_or_the_named_roles() -> None:
    assert not MfaPolicy.from_settings(Settings()).requires(_user("admin"))
    everyone = MfaPolicy.from_settings(Settings(mfa_policy="required"))
    assert everyone.requires(_user())
    admins = MfaPolicy.from_settings(Settings(mfa_required_roles="admin, billing"))
    assert admins.requires(_user("billing")) and not admins.requires(_user("teacher"))


def test_a_sign_in_for_the_own_authorization_endpoint_is_named_so() -> None:
    assert sign_in_purpose("/oauth2/authorize?client_id=x") == "authorize"
    for other in (None, "", "https://app.example/oauth2/authorize?x", "/oauth2/authorizex"):
        assert sign_in_purpose(other) == "login"
