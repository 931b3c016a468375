"""Errors of federation (DESIGN §14): each names one :class:`ErrorCode`; the hosted pages show
them to browsers as HTML, API clients get problem+json (:mod:`jotauth.problems`)."""

from __future__ import annotations

# Raised by unlinking and by removing a passkey alike: defined once, in the account layer.
from jotauth.accounts.errors import LastSignInMethod as LastSignInMethod
from jotauth.errors import ErrorCode, JotauthError


class FederationError(JotauthError):
    """Base of the federation layer's errors."""

    code = ErrorCode.FEDERATION_ERROR
    default_detail = "Signing in with the other provider failed."


class UnknownProvider(FederationError):
    code = ErrorCode.UNKNOWN_PROVIDER
    default_detail = "No sign-in provider of that name is configured."


class ProviderExists(FederationError):
    code = ErrorCode.PROVIDER_EXISTS
    default_detail = "A provider of that name is already configured."


class InvalidProviderConfig(FederationError, ValueError):
    """``providers add`` with settings that cannot work (bad URL, discovery mismatch)."""


class FlowStateInvalid(FederationError):
    """The callback's ``state`` (or the browser's pending-sign-in cookie) is missing, forged,
    expired or for another provider: CSRF on the redirect back (RFC 6749 §10.12)."""

    code = ErrorCode.FEDERATION_STATE_INVALID
    default_detail = (
        "This sign-in was not started in this browser, or it took too long. Start again."
    )


class FederationRefused(FederationError):
    """The provider's answer cannot be trusted or was an error: a bad ID token (signature,
    issuer, audience, nonce), an RFC 9207 ``iss`` mix-up, an OAuth error response."""

    code = ErrorCode.FEDERATION_REFUSED
    default_detail = "The sign-in provider's answer could not be verified."


class ProviderUnavailable(FederationError):
    """The provider did not answer (connection failed, timed out, 5xx)."""

    code = ErrorCode.PROVIDER_UNAVAILABLE
    default_detail = "The sign-in provider did not answer. Try again in a moment."


class ProviderEmailUnverified(FederationError):
    """No account is created from an address the provider has not verified (anyone could
    claim someone else's address there, and own the account it would create)."""

    code = ErrorCode.PROVIDER_EMAIL_UNVERIFIED
    default_detail = (
        "The sign-in provider did not confirm that this email address is yours, so no "
        "account was created. Verify the address with the provider, or sign up here."
    )


class LinkRequired(FederationError):
    """An account with the provider's email exists, and the provider is not trusted to vouch
    for it: linking needs the account holder signed in first (pre-account takeover)."""

    code = ErrorCode.LINK_REQUIRED
    default_detail = (
        "An account with this email address already exists. Sign in to it with your "
        "password, then link this provider from your account page."
    )


class IdentityAlreadyLinked(FederationError):
    """The provider identity (issuer, subject) belongs to another account."""

    code = ErrorCode.IDENTITY_ALREADY_LINKED
    default_detail = "This identity at the provider is already linked to another account."


class IdentityNotFound(FederationError):
    code = ErrorCode.IDENTITY_NOT_FOUND
    default_detail = "No linked identity with that id."
