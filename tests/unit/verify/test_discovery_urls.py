"""Where an issuer's metadata is looked for (OIDC Discovery §4, RFC 8414 §3.1)."""

from __future__ import annotations

import pytest

from jotauth.verify.discovery import check_url, metadata_urls


@pytest.mark.parametrize(
    ("issuer", "openid", "oauth"),
    [
        ("https://idp.example.com", "https://idp.example.com/.well-known/openid-configuration",
         "https://idp.example.com/.well-known/oauth-authorization-server"),
        ("https://tenant.auth0.com/", "https://tenant.auth0.com/.well-known/openid-configuration",
         "https://tenant.auth0.com/.well-known/oauth-authorization-server"),
        ("https://sso.example.com/realms/demo",
         "https://sso.example.com/realms/demo/.well-known/openid-configuration",
         "https://sso.example.com/.well-known/oauth-authorization-server/realms/demo"),
        ("https://org.okta.com:8443/oauth2/default/",
         "https://org.okta.com:8443/oauth2/default/.well-known/openid-configuration",
         "https://org.okta.com:8443/.well-known/oauth-authorization-server/oauth2/default"),
    ],
)  # fmt: skip
def test_metadata_urls(issuer: str, openid: str, oauth: str) -> None:
    assert metadata_urls(issuer) == (openid, oauth)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]/x", "http://a.localhost"]
)
def test_plain_http_is_allowed_to_loopback_only(url: str) -> None:
    check_url(url, what="the issuer")


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/x", "http://idp.example.com", "http://127.0.0.1.example.com/", "file:///x"],
)
def test_plain_http_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        check_url(url, what="the issuer")
