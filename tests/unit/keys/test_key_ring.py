"""KeyRing: the signing-key lifecycle of DESIGN §4 (next → current → retired → gone; revoked
unpublished at once) and the JWKS it publishes."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography import x509

from jotauth.jose import Key, UnknownKey, encode
from jotauth.keys import KeyLifecycleError, KeyRing, KeyState, ManagedKey, with_x5c
from jotauth.verify import TokenVerifier

T0 = 1_800_000_000.0
DAY = 86_400.0
TOKEN_LIFETIME = 900.0
CACHE_PERIOD = 600.0


@pytest.fixture(scope="module")
def keys() -> list[Key]:
    """Distinct keys for a ring (ES256 and EdDSA generate instantly)."""
    return [Key.generate("ES256" if i % 2 else "EdDSA", kid=f"key-{i}") for i in range(6)]


@pytest.fixture(scope="module")
def rsa_key() -> Key:
    return with_x5c(Key.generate("RS256", kid="rsa-1"))


def _published_kids(ring: KeyRing) -> set[str]:
    return {jwk["kid"] for jwk in ring.jwks()["keys"]}


def _states(ring: KeyRing) -> dict[str, KeyState]:
    return {managed.kid: managed.state for managed in ring}


# --- bootstrap --------------------------------------------------------------------------------


def test_empty_ring_publishes_nothing_and_needs_a_key() -> None:
    ring = KeyRing()
    assert ring.current() is None and ring.next() is None
    assert ring.jwks() == {"keys": []}
    assert ring.rotation_due(T0, 30 * DAY)


def test_first_key_signs_at_once(keys: list[Key]) -> None:
    ring = KeyRing()
    managed = ring.activate_first_key(keys[0], T0)

    assert managed.state is KeyState.CURRENT
    assert (managed.created_at, managed.activated_at) == (T0, T0)
    assert ring.current() == managed
    assert _published_kids(ring) == {"key-0"}


def test_a_second_first_key_is_refused(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    with pytest.raises(KeyLifecycleError):
        ring.activate_first_key(keys[1], T0)


# --- next → current → retired → gone ----------------------------------------------------------


def test_next_key_is_published_before_it_signs(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    upcoming = ring.publish_next_key(keys[1], T0 + DAY)

    assert upcoming.state is KeyState.NEXT and upcoming.published
    assert ring.current().kid == "key-0"  # type: ignore[union-attr]
    assert ring.next() == upcoming
    assert _published_kids(ring) == {"key-0", "key-1"}


def test_next_key_is_ready_only_after_one_cache_period(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    ring.publish_next_key(keys[1], T0 + DAY)

    assert not ring.next_ready(T0 + DAY + CACHE_PERIOD - 1, CACHE_PERIOD)
    assert ring.next_ready(T0 + DAY + CACHE_PERIOD, CACHE_PERIOD)
    assert not KeyRing().next_ready(T0, CACHE_PERIOD)  # nothing to be ready


def test_at_most_one_next_key(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.publish_next_key(keys[1], T0)
    with pytest.raises(KeyLifecycleError):
        ring.publish_next_key(keys[2], T0)


def test_promotion_retires_the_old_key_until_its_tokens_expire(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    ring.publish_next_key(keys[1], T0 + DAY)
    promote_at = T0 + DAY + CACHE_PERIOD

    changed = ring.promote_next(promote_at, max_token_lifetime=TOKEN_LIFETIME)

    retired, current = changed
    assert (retired.kid, retired.state) == ("key-0", KeyState.RETIRED)
    assert retired.retired_at == promote_at
    assert retired.not_after == promote_at + TOKEN_LIFETIME
    assert (current.kid, current.state, current.activated_at) == (
        "key-1",
        KeyState.CURRENT,
        promote_at,
    )
    assert ring.next() is None
    assert _published_kids(ring) == {"key-0", "key-1"}  # retired keys still verify


def test_promotion_without_a_next_key_is_refused(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    with pytest.raises(KeyLifecycleError):
        ring.promote_next(T0, max_token_lifetime=TOKEN_LIFETIME)


def test_retired_key_is_dropped_exactly_at_not_after(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    ring.publish_next_key(keys[1], T0)
    ring.promote_next(T0 + CACHE_PERIOD, max_token_lifetime=TOKEN_LIFETIME)
    not_after = T0 + CACHE_PERIOD + TOKEN_LIFETIME

    assert ring.drop_expired(not_after - 1) == []
    assert "key-0" in _published_kids(ring)
    assert ring.drop_expired(not_after) == ["key-0"]
    assert ring.get("key-0") is None
    assert _published_kids(ring) == {"key-1"}
    assert ring.drop_expired(not_after + DAY) == []


def test_full_rotation_cycle_keeps_one_current_and_one_next_at_most(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    now = T0
    for upcoming in keys[1:4]:
        now += 30 * DAY
        ring.drop_expired(now)
        ring.publish_next_key(upcoming, now)
        now += CACHE_PERIOD
        ring.promote_next(now, max_token_lifetime=TOKEN_LIFETIME)
        states = list(_states(ring).values())
        assert states.count(KeyState.CURRENT) == 1
        assert states.count(KeyState.NEXT) == 0
        assert ring.current().kid == upcoming.kid  # type: ignore[union-attr]
    assert _states(ring) == {"key-2": KeyState.RETIRED, "key-3": KeyState.CURRENT}


def test_rotation_is_due_after_one_period_of_signing(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    assert not ring.rotation_due(T0 + 30 * DAY - 1, 30 * DAY)
    assert ring.rotation_due(T0 + 30 * DAY, 30 * DAY)
    assert not ring.rotation_due(T0 + 365 * DAY, 0)  # 0 disables automatic rotation


# --- revocation -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["current", "next", "retired"])
def test_revoked_key_leaves_the_jwks_at_once(state: str, keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    ring.publish_next_key(keys[1], T0)
    if state == "retired":
        ring.promote_next(T0 + CACHE_PERIOD, max_token_lifetime=TOKEN_LIFETIME)
        ring.publish_next_key(keys[2], T0 + CACHE_PERIOD)
    kid = {"current": "key-0", "next": "key-1", "retired": "key-0"}[state]

    revoked = ring.revoke(kid, T0 + 2 * CACHE_PERIOD)

    assert revoked.state is KeyState.REVOKED and not revoked.published
    assert revoked.revoked_at == T0 + 2 * CACHE_PERIOD
    assert kid not in _published_kids(ring)
    assert ring.get(kid) == revoked  # remembered, so the kid can never come back


def test_revoking_the_current_key_leaves_no_signer_until_promotion(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    ring.publish_next_key(keys[1], T0)
    ring.revoke("key-0", T0 + 1)

    assert ring.current() is None
    ring.promote_next(T0 + 2, max_token_lifetime=TOKEN_LIFETIME)
    assert ring.current().kid == "key-1"  # type: ignore[union-attr]
    assert ring.get("key-0").state is KeyState.REVOKED  # type: ignore[union-attr]


def test_revoked_kid_can_never_sign_or_be_published_again(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    ring.revoke("key-0", T0 + 1)

    with pytest.raises(KeyLifecycleError):
        ring.activate_first_key(keys[0], T0 + 2)
    with pytest.raises(KeyLifecycleError):
        ring.publish_next_key(keys[0], T0 + 2)
    assert ring.get("key-0").state is KeyState.REVOKED  # type: ignore[union-attr]
    assert ring.drop_expired(T0 + 365 * DAY) == []  # revoked keys are not "expired" away
    assert ring.activate_first_key(keys[1], T0 + 3).kid == "key-1"


def test_revoke_is_idempotent_and_refuses_unknown_kids(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    first = ring.revoke("key-0", T0 + 1)
    assert ring.revoke("key-0", T0 + 2) == first
    with pytest.raises(KeyLifecycleError):
        ring.revoke("no-such-kid", T0)


# --- construction from stored rows -------------------------------------------------------------


@pytest.mark.parametrize("state", [KeyState.CURRENT, KeyState.NEXT])
def test_ring_with_two_current_or_two_next_keys_is_refused(
    state: KeyState, keys: list[Key]
) -> None:
    rows = [ManagedKey(key=keys[0], state=state, created_at=T0)]
    rows.append(ManagedKey(key=keys[1], state=state, created_at=T0))
    with pytest.raises(KeyLifecycleError):
        KeyRing(rows)


def test_ring_rebuilt_from_rows_publishes_exactly_next_current_and_retired(
    keys: list[Key],
) -> None:
    rows = [
        ManagedKey(key=keys[0], state=KeyState.RETIRED, created_at=T0, not_after=T0 + DAY),
        ManagedKey(key=keys[1], state=KeyState.CURRENT, created_at=T0, activated_at=T0),
        ManagedKey(key=keys[2], state=KeyState.NEXT, created_at=T0),
        ManagedKey(key=keys[3], state=KeyState.REVOKED, created_at=T0, revoked_at=T0),
    ]
    ring = KeyRing(rows)
    assert _published_kids(ring) == {"key-0", "key-1", "key-2"}
    assert [m.kid for m in ring.published()] == ["key-0", "key-1", "key-2"]


# --- the JWKS document ------------------------------------------------------------------------


def test_jwks_holds_public_signature_keys_only(keys: list[Key], rsa_key: Key) -> None:
    ring = KeyRing()
    ring.activate_first_key(rsa_key, T0)
    ring.publish_next_key(keys[0], T0)

    for jwk in ring.jwks()["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & jwk.keys()
        assert jwk["use"] == "sig"
        assert jwk["alg"] in {"RS256", "EdDSA"}
        assert Key.from_jwk(jwk).thumbprint() == Key.from_jwk(jwk).public_key().thumbprint()


def test_rsa_keys_in_the_jwks_carry_a_matching_x5c_and_x5t_s256(rsa_key: Key) -> None:
    ring = KeyRing()
    ring.activate_first_key(rsa_key, T0)
    (jwk,) = ring.jwks()["keys"]

    der = base64.b64decode(jwk["x5c"][0], validate=True)  # standard base64, RFC 7517 §4.7
    certificate = x509.load_der_x509_certificate(der)
    published = Key.from_jwk({k: v for k, v in jwk.items() if not k.startswith("x5")})
    assert (
        certificate.public_key().public_numbers() == published.cryptography_key().public_numbers()
    )  # type: ignore[union-attr]
    expected_x5t = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert jwk["x5t#S256"] == expected_x5t
    assert len(jwk["x5c"]) == 1


def _verifier_for(jwks: dict[str, Any], *, now: float) -> TokenVerifier:
    return TokenVerifier(
        issuer="https://auth.example.test",
        audience="lessons-api",
        keys=jwks,
        algorithms=("ES256", "EdDSA"),
        clock=lambda: now,
    )


def test_tokens_of_a_retired_key_verify_until_it_is_dropped(keys: list[Key]) -> None:
    ring = KeyRing()
    ring.activate_first_key(keys[0], T0)
    signed_at = T0 + DAY
    token = encode(
        {
            "iss": "https://auth.example.test",
            "sub": "user-42",
            "aud": "lessons-api",
            "iat": int(signed_at),
            "exp": int(signed_at + TOKEN_LIFETIME),
        },
        ring.current().key,  # type: ignore[union-attr]
    )
    ring.publish_next_key(keys[1], signed_at)
    ring.promote_next(signed_at + 1, max_token_lifetime=TOKEN_LIFETIME)

    assert _verifier_for(ring.jwks(), now=signed_at + 2).verify(token).sub == "user-42"
    ring.drop_expired(signed_at + 1 + TOKEN_LIFETIME)
    with pytest.raises(UnknownKey) as raised:
        _verifier_for(ring.jwks(), now=signed_at + 2).verify(token)
    assert raised.value.code == "unknown_kid"
