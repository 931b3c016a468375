"""The public surface: the handful of names ``jotauth`` exports, loaded lazily, and the
README's import paths."""

import subprocess
import sys

import pytest

import jotauth
import jotauth.guard
import jotauth.jose


def test_import_jotauth_loads_no_framework_and_no_http_client():
    probe = (
        "import sys, jotauth; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('starlette', 'fastapi', 'flask', 'httpx', 'cryptography') or m.startswith('jotauth.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("TokenVerifier", "jotauth.verify"),
        ("JWKSClient", "jotauth.verify"),
        ("SyncJWKSClient", "jotauth.verify"),
        ("Claims", "jotauth.jose"),
        ("InvalidToken", "jotauth.jose"),
        ("TokenExpired", "jotauth.jose"),
        ("KeySetUnavailable", "jotauth.jose"),
        ("JWTAuthMiddleware", "jotauth.guard"),
        ("GuardError", "jotauth.guard"),
    ],
)
def test_top_level_names_are_the_layers_own_objects(name, module):
    assert name in jotauth.__all__
    assert getattr(jotauth, name) is getattr(sys.modules[module], name)
    assert name in dir(jotauth)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'parse_compact'"):
        jotauth.parse_compact  # noqa: B018


def test_readme_import_paths_stay_valid():
    from jotauth.guard import CsrfPolicy, JWTAuthMiddleware
    from jotauth.guard.fastapi import CurrentUser, install_problem_handler, require_scopes
    from jotauth.guard.flask import JotAuth, current_user, jwt_required
    from jotauth.verify import JWKSClient, TokenVerifier

    imported = (CsrfPolicy, JWTAuthMiddleware, CurrentUser, install_problem_handler)
    imported += (require_scopes, JotAuth, current_user, jwt_required, JWKSClient, TokenVerifier)
    assert all(value is not None for value in imported)


@pytest.mark.parametrize(
    ("package", "internal"),
    [
        (jotauth.jose, "parse_compact"),
        (jotauth.jose, "verify_signature"),
        (jotauth.jose, "ParsedToken"),
        (jotauth.jose, "ClaimsPolicy"),
        (jotauth.guard, "Authenticator"),
        (jotauth.guard, "RequestView"),
        (jotauth.guard, "PathRules"),
        (jotauth.guard, "Credentials"),
    ],
)
def test_internals_are_not_exported(package, internal):
    assert internal not in package.__all__
    assert not hasattr(package, internal)  # importable from its own module only
