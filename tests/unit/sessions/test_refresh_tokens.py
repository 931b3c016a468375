"""Opaque refresh tokens: 256 random bits, URL-safe, looked up by SHA-256 only."""

from __future__ import annotations

import hashlib

import pytest

from jotauth.sessions import SessionInfo, hash_refresh_token, new_refresh_token
from jotauth.sessions.tokens import is_well_formed


def test_tokens_carry_256_bits_and_are_url_safe() -> None:
    tokens = {new_refresh_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == 43  # ceil(256 / 6) base64url characters, no padding
        assert is_well_formed(token)


def test_the_stored_form_is_the_hex_sha256_of_the_token() -> None:
    token = new_refresh_token()
    assert hash_refresh_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in hash_refresh_token(token)


@pytest.mark.parametrize(
    "candidate",
    [None, 42, b"A" * 43, "", "A" * 42, "A" * 44, "A" * 42 + "=", "A" * 42 + "+", "é" * 43],
)
def test_anything_that_cannot_be_ours_is_rejected_before_the_database(candidate: object) -> None:
    assert not is_well_formed(candidate)


def test_a_session_is_active_until_idle_or_absolute_expiry_or_revocation() -> None:
    session = SessionInfo(
        id="s",
        user_id="u",
        created_at=0.0,
        last_used_at=0.0,
        idle_expires_at=100.0,
        expires_at=200.0,
        user_agent="",
        ip="",
    )
    assert session.is_active(99.9)
    assert not session.is_active(100.0)
    later = SessionInfo(**{**_fields(session), "idle_expires_at": 300.0})
    assert not later.is_active(200.0)
    revoked = SessionInfo(**{**_fields(session), "revoked_at": 1.0, "revoked_reason": "logout"})
    assert not revoked.is_active(2.0)


def _fields(session: SessionInfo) -> dict[str, object]:
    return {name: getattr(session, name) for name in SessionInfo.__dataclass_fields__}
