"""The settings object: environment variables, TOML file, derived cookie names."""

from __future__ import annotations

from pathlib import Path

import pytest

from jotauth.settings import Settings


def test_list_settings_come_from_comma_separated_or_json_environment_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOTAUTH_AUDIENCE", "lessons-api, admin-api")
    monkeypatch.setenv("JOTAUTH_ALLOWED_ORIGINS", '["https://app.example.com/"]')
    settings = Settings()
    assert settings.audience == ("lessons-api", "admin-api")
    assert settings.allowed_origins == ("https://app.example.com",)


def test_jotauth_config_names_the_toml_file_and_environment_wins_over_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "auth.toml"
    config.write_text('issuer = "https://auth.example.com"\naccess_token_ttl = 60\n')
    monkeypatch.setenv("JOTAUTH_CONFIG", str(config))
    monkeypatch.setenv("JOTAUTH_ACCESS_TOKEN_TTL", "120")
    settings = Settings()
    assert settings.issuer == "https://auth.example.com"
    assert settings.access_token_ttl == 120


def test_unknown_keys_in_the_toml_file_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "auth.toml"
    config.write_text("acess_token_ttl = 60\n")  # a typo must not be silently ignored
    monkeypatch.setenv("JOTAUTH_CONFIG", str(config))
    with pytest.raises(ValueError, match="acess_token_ttl"):
        Settings()


def test_dev_mode_drops_the_host_prefix_that_browsers_refuse_without_secure() -> None:
    production, dev = Settings(), Settings(dev=True)
    assert production.access_cookie_name == "__Host-jot_access"
    assert production.cookies_secure
    assert dev.access_cookie_name == "jot_access"
    assert dev.refresh_cookie_name == "jot_refresh"
    assert not dev.cookies_secure


def test_lifetimes_below_their_floor_are_refused() -> None:
    with pytest.raises(ValueError, match="access_token_ttl"):
        Settings(access_token_ttl=1)


@pytest.mark.parametrize(
    "domain",
    ["com", "example.com; SameSite=None", "exa mple.com", "-bad.example.com", "a..b", "10.0.0.1"],
)
def test_a_cookie_domain_that_is_not_a_dotted_host_name_is_refused(domain: str) -> None:
    with pytest.raises(ValueError, match="cookie_domain"):
        Settings(cookie_domain=domain)


def test_a_cookie_domain_is_normalised() -> None:
    assert Settings(cookie_domain=".Example.COM").cookie_domain == "example.com"


@pytest.mark.parametrize("field", ["access_cookie_name", "refresh_cookie_name", "csrf_cookie_name"])
@pytest.mark.parametrize("name", ["jot access", "jot;access", "jot=access", "", "jöt"])
def test_cookie_names_must_be_http_tokens(field: str, name: str) -> None:
    with pytest.raises(ValueError, match="not a valid cookie"):
        Settings(**{field: name})
