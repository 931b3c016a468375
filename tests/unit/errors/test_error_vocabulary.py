"""One closed vocabulary: every error of every layer has exactly one code from ErrorCode."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import jotauth
from jotauth.errors import ErrorCode, JotauthError
from jotauth.guard import KeysUnavailable, RefreshFailed, TokenRejected
from jotauth.jose import ClaimsError, KeySetUnavailable, MissingClaim, TokenExpired
from jotauth.problems import PROBLEM_SPECS

# Alembic's env.py runs a migration when imported; it defines no errors.
_NOT_IMPORTABLE = ("jotauth.store.migrations",)


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(jotauth.__path__, "jotauth."):
        if not module.name.startswith(_NOT_IMPORTABLE):
            importlib.import_module(module.name)


def _every_error_class() -> list[type[JotauthError]]:
    _import_every_module()
    found: list[type[JotauthError]] = []
    pending = list(JotauthError.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.append(cls)
            pending.extend(cls.__subclasses__())
    return found


def test_every_error_class_in_the_package_has_a_code_of_the_closed_set():
    classes = _every_error_class()
    assert len(classes) > 60  # the walk found every layer, not just this module's imports
    for cls in classes:
        assert isinstance(cls.code, ErrorCode), cls
        assert cls.code in PROBLEM_SPECS, cls


def test_each_code_is_defined_by_one_class_and_shared_only_by_its_subclasses():
    definers: dict[ErrorCode, list[str]] = {}
    for cls in _every_error_class():
        if "code" in vars(cls):
            definers.setdefault(cls.code, []).append(cls.__qualname__)
    assert {code: names for code, names in definers.items() if len(names) > 1} == {}


def test_code_values_are_unique_and_lower_snake_case():
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values)) == len(ErrorCode.__members__)
    assert all(value.isascii() and value == value.lower() and " " not in value for value in values)


def test_an_error_with_a_code_outside_the_set_cannot_be_defined():
    with pytest.raises(ValueError):
        ErrorCode("no_such_code")
    with pytest.raises(TypeError, match="must be an ErrorCode"):

        class Invented(JotauthError):
            code = "invented"  # type: ignore[assignment]


def test_renamed_codes_say_one_thing_each():
    from jotauth.accounts import InvalidCredentials
    from jotauth.guard import MalformedAuthorization
    from jotauth.server.problems import MissingRefreshToken, NotAuthenticated
    from jotauth.users import WrongPassword

    assert WrongPassword.code == "wrong_password" != InvalidCredentials.code
    assert NotAuthenticated.code == "missing_token"
    assert MissingRefreshToken.code == "missing_refresh_token"
    assert MalformedAuthorization.code == "malformed_authorization"


def test_the_failures_server_and_guard_share_are_one_class_each():
    from jotauth import guard
    from jotauth.http import errors as shared
    from jotauth.server import problems as server
    from jotauth.store import StoreUnavailable

    for failure in ("CsrfFailed", "MissingCredentials", "MalformedAuthorization"):
        assert issubclass(getattr(guard, failure), getattr(shared, failure))
    assert issubclass(server.CsrfFailed, shared.CsrfFailed)
    assert issubclass(server.NotAuthenticated, shared.MissingCredentials)
    assert issubclass(server.MalformedAuthorizationHeader, shared.MalformedAuthorization)
    assert issubclass(server.ServiceUnavailable, StoreUnavailable)
    assert issubclass(KeysUnavailable, KeySetUnavailable)
    assert KeysUnavailable.code == KeySetUnavailable.code == "keys_unavailable"


def test_claim_errors_name_their_claim():
    assert TokenExpired().claim == "exp"
    assert MissingClaim("the sub claim is required", claim="sub").claim == "sub"
    assert ClaimsError().claim is None


def test_token_rejected_reports_the_verifiers_code():
    rejected = TokenRejected(TokenExpired())
    assert rejected.reported_code is ErrorCode.EXPIRED
    assert rejected.error.code == "expired" and rejected.detail == "the token has expired"


@pytest.mark.parametrize(
    ("answered", "reported"),
    [
        ("session_expired", ErrorCode.SESSION_EXPIRED),
        ("refresh_reused", ErrorCode.REFRESH_REUSED),
        (None, ErrorCode.REFRESH_FAILED),
        ("made_up_by_the_peer", ErrorCode.REFRESH_FAILED),
        # A code meaning something else (403, 503) is never passed on as a refusal.
        ("csrf_failed", ErrorCode.REFRESH_FAILED),
        ("store_unavailable", ErrorCode.REFRESH_FAILED),
    ],
)
def test_refresh_failed_passes_on_only_session_ending_codes(answered, reported):
    error = RefreshFailed(code=answered)
    assert error.reported_code is reported
    assert PROBLEM_SPECS[error.reported_code].status == 401
