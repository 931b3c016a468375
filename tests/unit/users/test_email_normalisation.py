"""Email addresses as account names: one canonical spelling, hostile input refused cleanly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jotauth.users import InvalidEmail, normalise_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  Alice@Example.COM \n", "alice@example.com"),
        ("\uff21\uff44\uff4d\uff49\uff4e@example.com", "admin@example.com"),  # fullwidth ADMIN
        ("\ufb01le@example.com", "file@example.com"),  # "fi" ligature
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
        ("E\u0301lodie@exemple.fr", "élodie@exemple.fr"),  # decomposed accent composes
        ("user+tag@sub.example.co.uk", "user+tag@sub.example.co.uk"),
        ("用户@例子.广告", "用户@例子.广告"),
    ],
)
def test_addresses_normalise_to_one_canonical_form(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "no-at-sign",
        "@example.com",
        "alice@",
        "a@b@example.com",
        "alice@exa mple.com",
        "ali ce@example.com",
        "alice\x00@example.com",
        "alice@example.com\r\nBcc: victim@example.com",
        "alice\u202e@example.com",  # right-to-left override
        "al\u200bice@example.com",  # zero-width space
        "alice\u2028@example.com",  # line separator
        "alice@\ud800.com",  # lone surrogate
        "alice@example..com",
        "alice@.example.com",
        "alice@-example.com",
        '"alice"@example.com',
        "alice@[127.0.0.1]",
        "a" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
        "a" * 100_000 + "@example.com",
    ],
)
def test_hostile_or_malformed_addresses_are_refused_with_a_code(raw: str) -> None:
    with pytest.raises(InvalidEmail) as caught:
        normalise_email(raw)
    assert caught.value.code == "invalid_email"


def test_longest_allowed_address_is_accepted() -> None:
    address = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".cd"
    assert len(address) <= 254
    assert normalise_email(address) == address


def test_non_string_input_is_refused() -> None:
    with pytest.raises(InvalidEmail):
        normalise_email(None)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80) | st.emails().map(str))
def test_normalisation_is_idempotent_and_only_ever_raises_invalid_email(raw: str) -> None:
    try:
        canonical = normalise_email(raw)
    except InvalidEmail:
        return
    assert normalise_email(canonical) == canonical
    assert canonical == canonical.strip() and "@" in canonical
    assert len(canonical.encode("utf-8")) <= 254
