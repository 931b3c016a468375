"""Passkeys (WebAuthn L2/L3, DESIGN §13) through py_webauthn: registration, management,
passwordless sign-in and the second factor.

``Passkeys`` holds the use cases, ``PasskeySecondFactor`` plugs them into the login step,
``relying_party_for`` reads the relying party (id, name, origins) from the settings. SQL
lives in ``credentials`` and ``challenges``; ``ceremonies`` is py_webauthn behind pure
functions.
"""

from __future__ import annotations

from jotauth.passkeys.challenges import ChallengeBinding, WebAuthnChallenges
from jotauth.passkeys.credentials import MAX_PASSKEYS_PER_USER, Passkey, PasskeyStore
from jotauth.passkeys.errors import (
    PasskeyChallengeInvalid,
    PasskeyCloned,
    PasskeyError,
    PasskeyExists,
    PasskeyLimit,
    PasskeyMalformed,
    PasskeyNotFound,
    PasskeyRefused,
    PasskeyRegistrationRefused,
    PasskeysUnavailable,
)
from jotauth.passkeys.relying_party import RelyingParty, relying_party_for
from jotauth.passkeys.second_factor import PasskeySecondFactor
from jotauth.passkeys.sign_in import PasskeySignIn
from jotauth.passkeys.use_cases import Asserted, FactorKeeping, Passkeys, user_handle

__all__ = [
    "MAX_PASSKEYS_PER_USER",
    "Asserted",
    "ChallengeBinding",
    "FactorKeeping",
    "Passkey",
    "PasskeyChallengeInvalid",
    "PasskeyCloned",
    "PasskeyError",
    "PasskeyExists",
    "PasskeyLimit",
    "PasskeyMalformed",
    "PasskeyNotFound",
    "PasskeyRefused",
    "PasskeyRegistrationRefused",
    "PasskeySecondFactor",
    "PasskeySignIn",
    "PasskeyStore",
    "Passkeys",
    "PasskeysUnavailable",
    "RelyingParty",
    "WebAuthnChallenges",
    "relying_party_for",
    "user_handle",
]
