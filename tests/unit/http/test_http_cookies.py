"""The one cookie module: the RFC 6265 value grammar, reading Cookie and Set-Cookie headers,
the Set-Cookie formatter, deletion cookies and the cookie-prefix rules."""

from email.utils import formatdate

import pytest

from jotauth.http.cookies import (
    EPOCH,
    CookieConfigError,
    CookieSpec,
    cookie_value,
    deletion_cookie,
    format_set_cookie,
    is_cookie_value,
    set_cookie_value,
)

ACCESS = CookieSpec("jot_access", "/", True, "lax", True, None)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("jot=abc", "abc"),
        ("a=1; jot=abc; b=2", "abc"),
        ('jot="abc"', "abc"),
        ("xjot=1; jot=only; jotx=2", "only"),
        ("xjot=no; jot=yes", "yes"),
        ("jot=", None),
        ("jotx=1", None),
        ("jot", None),
        (None, None),
        ("", None),
    ],
)
def test_cookie_value_takes_the_exact_name(header, value):
    assert cookie_value(header, "jot") == value


def test_set_cookie_value_reads_only_the_named_cookie():
    assert set_cookie_value(b"jot=abc; Path=/", "jot") == "abc"
    assert set_cookie_value(b"jotx=abc; Path=/", "jot") is None
    assert set_cookie_value(b"garbage", "jot") is None


@pytest.mark.parametrize("value", ["abc", "a.b-c_d~e+f/g=", "!#$%&'()*+-./:<=>?@[]^_`{|}~"])
def test_cookie_octets_are_cookie_values(value):
    assert is_cookie_value(value)


@pytest.mark.parametrize(
    "value", ["", "a b", 'a"b', "a,b", "a;b", "a\\b", "\xe9", "a\x00b", "a\tb"]
)
def test_anything_else_is_not_a_cookie_value(value):
    assert not is_cookie_value(value)


def test_set_cookie_has_the_canonical_attribute_order_and_expiry():
    header = format_set_cookie(ACCESS, "tok", 900, now=0).decode()
    assert header == (
        "jot_access=tok; Path=/; Max-Age=900; Expires=Thu, 01 Jan 1970 00:15:00 GMT; Secure; "
        "HttpOnly; SameSite=Lax"
    )


def test_domain_and_flags_come_from_the_spec():
    spec = CookieSpec("XSRF-TOKEN", "/", False, "strict", False, "example.org")
    assert format_set_cookie(spec, "x", 60, now=0).decode() == (
        "XSRF-TOKEN=x; Path=/; Max-Age=60; Expires=Thu, 01 Jan 1970 00:01:00 GMT; "
        "Domain=example.org; SameSite=Strict"
    )


@pytest.mark.parametrize(
    "now", [0, 1.5, 951_782_400, 1_700_000_000.25, 1_798_761_599, 2_147_483_647, 4_102_444_799]
)
def test_expires_is_the_date_email_utils_writes(now):
    # The formatter left email.utils.formatdate for a cheaper one (issue 15): same text.
    header = format_set_cookie(ACCESS, "tok", 1_209_600, now=now).decode()
    assert f"; Expires={formatdate(now + 1_209_600, usegmt=True)};" in header


@pytest.mark.parametrize("value", ["a;b", "a b", "\xe9", "a\r\nSet-Cookie: x=1"])
def test_a_value_outside_the_grammar_is_never_formatted(value):
    # Header injection or a cookie the browser would cut short: a bug upstream, refused.
    with pytest.raises(ValueError, match="cookie-octet"):
        format_set_cookie(ACCESS, value, 60)


def test_deletion_cookie_keeps_path_and_domain_and_expires_at_the_epoch():
    spec = CookieSpec("jot_refresh", "/api/auth", True, "strict", False, "example.org")
    assert deletion_cookie(spec).decode() == (
        f"jot_refresh=; Path=/api/auth; Max-Age=0; Expires={EPOCH}; Domain=example.org; "
        "HttpOnly; SameSite=Strict"
    )


@pytest.mark.parametrize("name", ["__Host-jot", "__Secure-jot"])
def test_prefixed_cookies_are_deleted_with_secure_even_on_plain_http(name):
    # Browsers ignore a __Host-/__Secure- Set-Cookie without Secure, deletion included.
    spec = CookieSpec(name, "/", True, "lax", False, None)
    assert b"; Secure;" in deletion_cookie(spec)


@pytest.mark.parametrize(
    "spec",
    [
        CookieSpec("__Host-a", "/api", True, "lax", True, None),
        CookieSpec("__Host-a", "/", True, "lax", False, None),
        CookieSpec("__Host-a", "/", True, "lax", True, "example.org"),
        CookieSpec("__Secure-a", "/", True, "lax", False, None),
        CookieSpec("a", "api", True, "lax", True, None),
    ],
)
def test_prefix_rules_refuse_cookies_a_browser_would_drop(spec):
    with pytest.raises(CookieConfigError):
        spec.check_prefix_rules()


def test_prefix_rules_accept_valid_cookies():
    CookieSpec("__Host-a", "/", True, "lax", True, None).check_prefix_rules()
    CookieSpec("__Secure-a", "/x", True, "lax", True, "example.org").check_prefix_rules()
    CookieSpec("a", "/x", True, "lax", False, "example.org").check_prefix_rules()


def test_a_cookie_sent_twice_is_refused_whichever_the_values():
    from jotauth.http.errors import DuplicateCookie

    for header in ("a=1; a=2", "a=1; b=2; a=1", " a=1 ;a=3"):
        with pytest.raises(DuplicateCookie) as caught:
            cookie_value(header, "a")
        assert caught.value.name == "a"


def test_names_containing_the_name_are_other_cookies():
    header = "__Host-jot_access=1; jot_access=2; jot_access_old=3"
    assert cookie_value(header, "jot_access") == "2"
    assert cookie_value(header, "__Host-jot_access") == "1"
