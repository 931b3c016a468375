"""Errors of passkeys (WebAuthn): each names one :class:`ErrorCode`; API clients get
problem+json (:mod:`jotauth.problems`), the hosted pages show them on the form."""

from __future__ import annotations

from jotauth.errors import ErrorCode, JotauthError


class PasskeyError(JotauthError):
    """Base of the passkey layer's errors."""

    code = ErrorCode.PASSKEY_ERROR
    default_detail = "The passkey could not be used."


class PasskeysUnavailable(PasskeyError):
    """Passkeys are off: the relying party id would be an IP address (WebAuthn allows none)."""

    code = ErrorCode.PASSKEYS_UNAVAILABLE
    default_detail = "Passkeys are not enabled on this server."


class PasskeyMalformed(PasskeyError):
    """The credential is not a WebAuthn ``PublicKeyCredential`` in its JSON form (``toJSON()``):
    missing members, bad base64url, undecodable client data or CBOR."""

    code = ErrorCode.PASSKEY_MALFORMED
    default_detail = "The passkey response is not a valid WebAuthn credential."


class PasskeyChallengeInvalid(PasskeyError):
    """The challenge in the client data is unknown, used already, expired, or was handed out
    for another purpose, user, session or login attempt: ask for new options."""

    code = ErrorCode.PASSKEY_CHALLENGE_INVALID
    default_detail = "This passkey request has expired or was already used. Try again."


class PasskeyRegistrationRefused(PasskeyError):
    """The attestation does not verify: another origin or relying party id, no user presence,
    an unsupported algorithm."""

    code = ErrorCode.PASSKEY_REGISTRATION_REFUSED
    default_detail = "The passkey could not be verified for this site."


class PasskeyExists(PasskeyError):
    """The credential is registered already (to this account or another)."""

    code = ErrorCode.PASSKEY_EXISTS
    default_detail = "This passkey is already registered."


class PasskeyLimit(PasskeyError):
    """The account has as many passkeys as it may have."""

    code = ErrorCode.PASSKEY_LIMIT
    default_detail = "This account has too many passkeys: remove one first."


class PasskeyRefused(PasskeyError):
    """The assertion does not prove the sign-in: an unknown credential, another origin or
    relying party id, a bad signature, no user verification where it is required. One
    answer for all, like a wrong password."""

    code = ErrorCode.PASSKEY_REFUSED
    default_detail = "The passkey was not accepted."


class PasskeyCloned(PasskeyError):
    """A valid signature with a sign count that did not go up: two authenticators hold the
    same private key (WebAuthn L2 §6.1.1). Refused and audited."""

    code = ErrorCode.PASSKEY_CLONED
    default_detail = (
        "This passkey's signature counter went backwards, so it may have been copied. "
        "Sign in another way and remove it."
    )


class PasskeyNotFound(PasskeyError):
    """No passkey with that id on the caller's account (also another user's id)."""

    code = ErrorCode.PASSKEY_NOT_FOUND
    default_detail = "No passkey with that id."
