"""The WebAuthn relying party read from the settings: defaults, and the settings refused."""

from __future__ import annotations

from typing import Any

import pytest

from jotauth.passkeys import relying_party_for
from jotauth.passkeys.ceremonies import counter_went_back
from jotauth.settings import Settings, StartupRefused


def settings(**values: Any) -> Settings:
    return Settings(**{"secret_key": "unit-secret-key-0123456789abcdefghij", **values})


def test_the_rp_id_defaults_to_the_public_urls_host() -> None:
    rp = relying_party_for(settings(public_url="https://auth.example.org"))
    assert rp is not None
    assert (rp.id, rp.name, rp.origins) == (
        "auth.example.org",
        "jotauth",
        ("https://auth.example.org",),
    )


def test_localhost_with_a_port_works_for_development() -> None:
    rp = relying_party_for(settings(issuer="http://localhost:8123", dev=True))
    assert rp is not None and rp.id == "localhost"
    assert rp.origins == ("http://localhost:8123",)


def test_a_parent_domain_admits_the_allowed_origins_within_it() -> None:
    rp = relying_party_for(
        settings(
            public_url="https://auth.example.org",
            webauthn_rp_id="example.org",
            allowed_origins=("https://app.example.org", "https://other.test"),
            brand_name="Example",
        )
    )
    assert rp is not None and rp.name == "Example"
    assert rp.origins == ("https://auth.example.org", "https://app.example.org")


def test_an_ip_address_host_turns_passkeys_off(caplog: pytest.LogCaptureFixture) -> None:
    assert relying_party_for(settings(issuer="http://127.0.0.1:8000", dev=True)) is None
    assert "passkeys are off" in caplog.text


@pytest.mark.parametrize(
    "values",
    [
        {"public_url": "https://auth.example.org", "webauthn_rp_id": "evil.test"},
        {"public_url": "https://auth.example.org", "webauthn_rp_id": "ample.org"},
        {"public_url": "https://auth.example.org", "webauthn_rp_id": "10.0.0.1"},
        {"public_url": "https://auth.example.org", "webauthn_origins": ("https://evil.test",)},
        {
            "public_url": "https://auth.example.org",
            "webauthn_origins": ("http://auth.example.org",),
        },
        {
            "public_url": "https://auth.example.org",
            "webauthn_origins": ("https://auth.example.org/x",),
        },
    ],
    ids=["other-domain", "suffix-not-a-label", "ip", "origin-outside", "plain-http", "with-path"],
)
def test_wrong_relying_party_settings_refuse_to_start(values: dict[str, Any]) -> None:
    with pytest.raises(StartupRefused):
        relying_party_for(settings(**values))


@pytest.mark.parametrize(
    ("stored", "presented", "cloned"),
    [(0, 0, False), (0, 1, False), (5, 6, False), (5, 5, True), (5, 3, True), (5, 0, True)],
)
def test_a_counter_that_does_not_move_on_means_a_clone(
    stored: int, presented: int, cloned: bool
) -> None:
    assert counter_went_back(stored, presented) is cloned
