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


@pytest.mark.parametrize(
    ("alias", "address"),
    [
        ("victim@example\u3002com", "victim@example.com"),  # ideographic full stop
        ("victim@example\uff0ecom", "victim@example.com"),  # fullwidth full stop
        ("victim@example\uff61com", "victim@example.com"),  # halfwidth ideographic full stop
        ("ada@xn--bcher-kva.example", "ada@bücher.example"),  # punycode and Unicode
        ("ada@BÜCHER.Example", "ada@bücher.example"),
        ("ada@XN--BCHER-KVA.EXAMPLE", "ada@bücher.example"),
        ("ada@faß.de", "ada@faß.de"),  # IDNA2008, not transitional: ß stays itself
    ],
)
def test_every_spelling_of_a_domain_is_one_address(alias: str, address: str) -> None:
    assert normalise_email(alias) == normalise_email(address) == address


@pytest.mark.parametrize(
    "raw",
    [
        "adm\u0456n@example.com",  # Cyrillic i (U+0456) among Latin letters
        "p\u0430ypal@example.com",  # Cyrillic a (U+0430)
        "g\u03bfogle@example.com",  # Greek omicron
        "\u0430dmin.\u0456van@example.com",  # Cyrillic and Latin, however few of each
    ],
)
def test_a_local_part_mixing_scripts_is_refused_as_a_homoglyph(raw: str) -> None:
    with pytest.raises(InvalidEmail) as caught:
        normalise_email(raw)
    assert caught.value.code == "invalid_email"
    assert "scripts" in caught.value.detail


@pytest.mark.parametrize(
    "raw",
    [
        "иван.петров@пример.рф",  # one script: Cyrillic
        "σοφία@example.gr",  # one script: Greek
        "たなかtaro2@example.jp",  # Japanese with Latin (UTS #39 highly restrictive)
        "山田タロウ@example.jp",
        "kim김@example.kr",  # Korean with Latin
        "user_1-2.3+tag@example.com",  # digits and punctuation belong to every script
    ],
)
def test_single_script_and_cjk_with_latin_local_parts_are_accepted(raw: str) -> None:
    assert normalise_email(raw) == raw


@pytest.mark.parametrize(
    "raw", ["ada@xn--zz.example", "ada@ab--cd.example", "ada@my_host.example", "ada@" + "b" * 64]
)
def test_domains_that_are_not_valid_idna_are_refused(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        normalise_email(raw)


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
