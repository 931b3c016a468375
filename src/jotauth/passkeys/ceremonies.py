"""The WebAuthn ceremonies themselves, through py_webauthn: options out, responses checked.

Pure functions over a :class:`RelyingParty` (no store, no HTTP). Options leave as the
WebAuthn JSON forms (``PublicKeyCredentialCreationOptionsJSON`` /
``PublicKeyCredentialRequestOptionsJSON``: what ``PublicKeyCredential.parse*OptionsFromJSON``
and @simplewebauthn/browser take); credentials come in as ``PublicKeyCredential.toJSON()``
gives them. Whatever a client sends that py_webauthn (or the CBOR and base64url under it)
cannot read becomes :class:`PasskeyMalformed`, a check that fails :class:`PasskeyRefused` or
:class:`PasskeyRegistrationRefused`: never an unhandled exception.
"""

from __future__ import annotations

import binascii
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from jotauth.passkeys.errors import PasskeyMalformed, PasskeyRefused, PasskeyRegistrationRefused
from jotauth.passkeys.relying_party import RelyingParty

# What reading untrusted WebAuthn bytes can raise besides py_webauthn's own errors (bad
# base64url, truncated CBOR or authenticator data, wrong JSON types deep inside).
_UNREADABLE = (
    WebAuthnException,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    struct.error,
    binascii.Error,
)
_TRANSPORTS = frozenset(transport.value for transport in AuthenticatorTransport)
Verification = Literal["required", "preferred"]


@dataclass(frozen=True, slots=True)
class NewCredential:
    """A verified registration: what the store keeps of it."""

    credential_id: str
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    backup_eligible: bool
    backup_state: bool
    aaguid: str


@dataclass(frozen=True, slots=True)
class VerifiedAssertion:
    """A verified assertion's counter and flags (the signature checked)."""

    sign_count: int
    backup_eligible: bool
    backup_state: bool
    user_verified: bool


@dataclass(frozen=True, slots=True)
class StoredKey:
    """What an assertion is checked against: the registered key and its last counter."""

    public_key: bytes
    sign_count: int


def creation_options(
    rp: RelyingParty,
    *,
    challenge: bytes,
    user_handle: bytes,
    user_name: str,
    display_name: str,
    exclude: Sequence[tuple[str, Sequence[str]]],
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptionsJSON`` for a new passkey of the user.

    Discoverable credentials are preferred (they make passwordless sign-in possible), user
    verification preferred (required later, at a passwordless sign-in), no attestation (no
    authenticator allowlist to check it against, and it would identify the device model).
    ``exclude`` (credential id, transports) keeps an authenticator from registering twice.
    """
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name or user_name,
        challenge=challenge,
        timeout=rp.timeout_ms,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(cid, transports) for cid, transports in exclude],
    )
    return _as_json(options_to_json(options))


def request_options(
    rp: RelyingParty,
    *,
    challenge: bytes,
    allow: Sequence[tuple[str, Sequence[str]]] = (),
    user_verification: Verification,
) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptionsJSON``; an empty ``allow`` asks for a discoverable
    credential (passwordless sign-in and the browser's autofill)."""
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=rp.timeout_ms,
        allow_credentials=[_descriptor(cid, transports) for cid, transports in allow] or None,
        user_verification=UserVerificationRequirement(user_verification),
    )
    return _as_json(options_to_json(options))


def parse_registration(credential: Mapping[str, Any]) -> RegistrationCredential:
    """The registration credential's JSON read (:class:`PasskeyMalformed` when it is not one)."""
    try:
        return parse_registration_credential_json(dict(credential))
    except _UNREADABLE as error:
        raise PasskeyMalformed() from error


def parse_assertion(credential: Mapping[str, Any]) -> AuthenticationCredential:
    """The assertion credential's JSON read (:class:`PasskeyMalformed` when it is not one)."""
    try:
        return parse_authentication_credential_json(dict(credential))
    except _UNREADABLE as error:
        raise PasskeyMalformed() from error


def challenge_of(credential: RegistrationCredential | AuthenticationCredential) -> bytes:
    """The challenge the client data says was signed (the key to find its binding by)."""
    try:
        return parse_client_data_json(credential.response.client_data_json).challenge
    except _UNREADABLE as error:
        raise PasskeyMalformed() from error


def user_handle_of(credential: AuthenticationCredential) -> bytes | None:
    """The ``userHandle`` of an assertion (a discoverable credential always sends it)."""
    return credential.response.user_handle


def verify_registration(
    rp: RelyingParty, credential: RegistrationCredential, *, challenge: bytes
) -> NewCredential:
    """Check the attestation: challenge, exact origin, RP ID hash, user presence."""
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
        )
    except _UNREADABLE as error:
        raise PasskeyRegistrationRefused() from error
    transports = tuple(
        transport
        for transport in (getattr(t, "value", t) for t in (credential.response.transports or ()))
        if transport in _TRANSPORTS
    )
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backup_state=verified.credential_backed_up,
        aaguid=verified.aaguid,
    )


def verify_assertion(
    rp: RelyingParty,
    credential: AuthenticationCredential,
    *,
    challenge: bytes,
    key: StoredKey,
    require_user_verification: bool,
) -> VerifiedAssertion:
    """Check the assertion: challenge, exact origin, RP ID hash, user presence (and
    verification when required) and the signature.

    The counter is *not* judged here: py_webauthn would refuse a stale one before checking
    the signature, and then anyone could make a key look cloned. The caller compares it once
    the signature proved the key signed it (:func:`counter_went_back`).
    """
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=key.public_key,
            credential_current_sign_count=0,
            require_user_verification=require_user_verification,
        )
    except _UNREADABLE as error:
        raise PasskeyRefused() from error
    return VerifiedAssertion(
        sign_count=verified.new_sign_count,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backup_state=verified.credential_backed_up,
        user_verified=verified.user_verified,
    )


def counter_went_back(stored: int, presented: int) -> bool:
    """WebAuthn L2 §6.1.1: a counter that does not exceed the stored one, when either is
    not zero, means two authenticators hold the key (a zero counter is "not supported",
    as synced passkeys report it)."""
    return (stored > 0 or presented > 0) and presented <= stored


def _descriptor(credential_id: str, transports: Sequence[str]) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(credential_id),
        transports=[AuthenticatorTransport(t) for t in transports if t in _TRANSPORTS] or None,
    )


def _as_json(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    return value
