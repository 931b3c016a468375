"""``jotauth token verify --jwks URL`` against the loopback JWKS endpoint."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from jotauth.cli.token import token as token_command
from jotauth.jose import Key

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"


def _verify(token: str, url: str) -> Result:
    arguments = ["verify", token, "--jwks", url, "--iss", ISSUER, "--aud", AUDIENCE]
    return CliRunner().invoke(token_command, arguments)


def test_verify_against_a_jwks_url_prints_the_claims(
    jwks_server: Any, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"], remote_keys["r"]])
    result = _verify(token_for(remote_keys["r"]), jwks_server.url)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sub"] == "user-42"


def test_unknown_kid_at_a_jwks_url_is_an_invalid_token(
    jwks_server: Any, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.serve_keys([remote_keys["a"]])
    result = _verify(token_for(remote_keys["c"]), jwks_server.url)
    assert result.exit_code == 1
    assert "invalid: unknown_kid" in result.stderr


def test_unreachable_jwks_url_is_an_error_not_an_invalid_token(
    jwks_server: Any, remote_keys: dict[str, Key], token_for: Any
) -> None:
    jwks_server.stop()
    result = _verify(token_for(remote_keys["a"]), jwks_server.url)
    assert result.exit_code == 2
    assert "error: keys_unavailable" in result.stderr
