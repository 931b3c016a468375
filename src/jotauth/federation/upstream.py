"""Talking to an upstream provider: Authlib's httpx OAuth 2 client for the authorization URL
(``state``, ``nonce``, PKCE S256, always) and the code exchange, jotauth's own
:class:`~jotauth.verify.TokenVerifier` for the ID token against the provider's JWKS, issuer and
audience, and the user endpoints of OAuth 2 providers that are not OIDC (GitHub's shape).
"""

from __future__ import annotations

import hmac
import importlib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx

from jotauth.federation.errors import FederationRefused, ProviderUnavailable
from jotauth.federation.pending import PendingSignIn
from jotauth.federation.providers import UpstreamProvider
from jotauth.jose import Algorithm, InvalidToken, KeySetUnavailable
from jotauth.users import InvalidEmail, normalise_email
from jotauth.verify import JWKSClient, TokenVerifier

with warnings.catch_warnings():
    # Authlib 1.9 runs its httpx client on the "httpx2" package where installed and warns
    # when it falls back to httpx (what jotauth depends on); the fallback is what we use.
    # Importing authlib.deprecate first: it installs an "always" filter for its warning,
    # which must come before ours (the last filter added is the first one matched).
    import authlib.deprecate  # noqa: F401

    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError


def _transport_module() -> ModuleType:
    """The HTTP package Authlib's client raises errors of (httpx2 where installed)."""
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return httpx


_HTTP = _transport_module()

# What upstream ID tokens may be signed with (the provider's JWKS binds each key to one).
ID_TOKEN_ALGORITHMS: tuple[Algorithm, ...] = ("RS256", "PS256", "ES256", "EdDSA")
_MAX_SUBJECT = 255


@dataclass(frozen=True, slots=True)
class Assertion:
    """Who the provider says the user is. ``(issuer, subject)`` is the identity; the email
    is only a hint for linking, trusted as the rules in :mod:`jotauth.federation.linking` say."""

    provider: str
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str
    # The provider's verified ID token says amr (RFC 8176) contains "mfa": whether that
    # counts is the provider's configuration (UpstreamProvider.accept_mfa), not this.
    mfa: bool = False


class UpstreamClient:
    """The OAuth 2 / OIDC client side of federation, one HTTP timeout for every call."""

    def __init__(self, *, timeout: float, leeway: float, clock: Callable[[], float]) -> None:
        self._timeout = timeout
        self._leeway = leeway
        self._clock = clock

    def _client(self, provider: UpstreamProvider, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            scope=" ".join(provider.scopes) or None,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self._timeout,
        )

    async def authorization_url(
        self, provider: UpstreamProvider, pending: PendingSignIn, *, redirect_uri: str
    ) -> str:
        """The provider's authorization URL for ``pending`` (no request is sent)."""
        extra: dict[str, str] = {"nonce": pending.nonce} if provider.kind == "oidc" else {}
        async with self._client(provider, redirect_uri) as client:
            url, _state = client.create_authorization_url(
                provider.authorize_url,
                state=pending.state,
                code_verifier=pending.code_verifier,
                **extra,
            )
        return str(url)

    async def assertion(
        self,
        provider: UpstreamProvider,
        pending: PendingSignIn,
        *,
        code: str,
        redirect_uri: str,
    ) -> Assertion:
        """Exchange ``code`` (with the PKCE verifier) and find out who signed in.

        Raises :class:`ProviderUnavailable` (no answer, 5xx) and :class:`FederationRefused`
        (an error answer, a token that does not verify, missing claims).
        """
        async with self._client(provider, redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    provider.token_url,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
            except OAuthError as error:
                raise FederationRefused(
                    f"The provider refused the sign-in ({_printable(error.error)})."
                ) from None
            except _HTTP.HTTPStatusError as error:
                if error.response.status_code >= 500:
                    raise ProviderUnavailable() from None
                raise FederationRefused(
                    f"The provider's token endpoint answered HTTP {error.response.status_code}."
                ) from None
            except _HTTP.HTTPError:
                raise ProviderUnavailable() from None
            except ValueError:
                raise FederationRefused("The provider's token answer is not JSON.") from None
            access_token = token.get("access_token")
            if not isinstance(access_token, str) or not access_token:
                raise FederationRefused("The provider's token answer has no access token.")
            mfa = False
            if provider.kind == "oidc":
                claims = await self._id_token_claims(provider, pending, token.get("id_token"))
                # From the signed ID token only, read before userinfo is merged in: an
                # unsigned answer must not vouch for a second factor.
                mfa = _amr_has_mfa(claims.get("amr"))
                if not _has_email(claims, provider.claims) and provider.userinfo_url:
                    userinfo = await self._get_json(client, provider.userinfo_url, access_token)
                    # OIDC Core §5.3.2: userinfo of another subject is a substitution attack.
                    if not isinstance(userinfo, dict) or userinfo.get("sub") != claims.get("sub"):
                        raise FederationRefused("The userinfo answer is for another subject.")
                    claims = {**userinfo, **claims}
            else:
                claims = await self._oauth2_claims(client, provider, access_token)
        return _assertion(provider, claims, mfa=mfa)

    async def _id_token_claims(
        self, provider: UpstreamProvider, pending: PendingSignIn, id_token: object
    ) -> dict[str, Any]:
        if not isinstance(id_token, str) or not id_token:
            raise FederationRefused("The provider sent no ID token.")
        if provider.jwks_uri is None:
            raise FederationRefused("The provider has no JWKS to verify its ID token with.")
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            verifier = TokenVerifier(
                issuer=provider.issuer,
                audience=provider.client_id,
                keys=JWKSClient(provider.jwks_uri, http_client=http),
                algorithms=ID_TOKEN_ALGORITHMS,
                leeway=self._leeway,
                # ID tokens are typed JWT or not at all (OIDC Core §2); an at+jwt access token
                # presented as an ID token is refused (RFC 8725 §3.11). aud is our client id.
                typ=("JWT", None),
                cache_size=0,
                clock=self._clock,
            )
            try:
                verified = await verifier.averify(id_token)
            except KeySetUnavailable:
                raise ProviderUnavailable(
                    "The provider's signing keys could not be fetched."
                ) from None
            except InvalidToken as error:
                raise FederationRefused(
                    f"The provider's ID token is not valid ({error.code})."
                ) from None
        claims = dict(verified.raw)
        # OIDC Core §3.1.3.7: with several audiences, azp must name us.
        audiences = claims.get("aud")
        if (
            isinstance(audiences, list)
            and len(audiences) > 1
            and claims.get("azp") != provider.client_id
        ):
            raise FederationRefused("The ID token was issued to another client (azp).")
        nonce = claims.get("nonce")
        # The nonce binds the ID token to this browser's request (replay, OIDC Core §15.5.2).
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce, pending.nonce):
            raise FederationRefused("The ID token's nonce does not match this sign-in.")
        return claims

    async def _oauth2_claims(
        self, client: AsyncOAuth2Client, provider: UpstreamProvider, access_token: str
    ) -> dict[str, Any]:
        assert provider.userinfo_url is not None
        user = await self._get_json(client, provider.userinfo_url, access_token)
        if not isinstance(user, dict):
            raise FederationRefused("The provider's user endpoint did not answer an object.")
        claims = dict(user)
        if provider.emails_url:
            # GitHub's /user/emails: [{email, primary, verified}]; the primary address counts.
            emails = await self._get_json(client, provider.emails_url, access_token)
            primary = (
                next(
                    (e for e in emails if isinstance(e, dict) and e.get("primary") is True),
                    None,
                )
                if isinstance(emails, list)
                else None
            )
            if primary is not None:
                claims["__email"] = primary.get("email")
                claims["__email_verified"] = primary.get("verified") is True
        return claims

    async def _get_json(self, client: AsyncOAuth2Client, url: str, access_token: str) -> object:
        try:
            # withhold_token: the header is ours; Authlib would refuse a token it deems about
            # to expire (60 s leeway) and try to refresh it, though it is valid now.
            response = await client.request(
                "GET",
                url,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                withhold_token=True,
            )
        except _HTTP.HTTPError:
            raise ProviderUnavailable() from None
        except OAuthError as error:
            raise FederationRefused(
                f"The provider refused the sign-in ({_printable(error.error)})."
            ) from None
        if response.status_code >= 500:
            raise ProviderUnavailable()
        if response.status_code != 200:
            raise FederationRefused(f"The provider's {url} answered HTTP {response.status_code}.")
        try:
            return response.json()
        except ValueError:
            raise FederationRefused(f"The provider's {url} did not answer JSON.") from None


def _claim(claims: Mapping[str, Any], path: str) -> object:
    """The value at a dotted ``path`` of ``claims`` (``""``: not mapped)."""
    value: object = claims
    for part in path.split(".") if path else ():
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value if path else None


def _has_email(claims: Mapping[str, Any], mapping: Mapping[str, str]) -> bool:
    return isinstance(_claim(claims, mapping.get("email", "")), str)


def _amr_has_mfa(amr: object) -> bool:
    """Whether an ``amr`` claim (RFC 8176: an array of strings) lists ``mfa``; any other
    shape (a bare string, a number) vouches for nothing."""
    return type(amr) is list and all(type(value) is str for value in amr) and "mfa" in amr


def _assertion(
    provider: UpstreamProvider, claims: Mapping[str, Any], *, mfa: bool = False
) -> Assertion:
    mapping = provider.claims
    subject = _claim(claims, mapping.get("sub", "sub"))
    if isinstance(subject, int) and not isinstance(subject, bool):
        subject = str(subject)  # GitHub's ids are numbers
    if not isinstance(subject, str) or not subject or len(subject) > _MAX_SUBJECT:
        raise FederationRefused("The provider did not say who signed in (no usable subject).")
    email_value = claims.get("__email", _claim(claims, mapping.get("email", "")))
    verified_value = claims.get(
        "__email_verified", _claim(claims, mapping.get("email_verified", ""))
    )
    email: str | None = None
    if isinstance(email_value, str) and email_value:
        try:
            email = normalise_email(email_value)
        except InvalidEmail:
            email = None
    name = _claim(claims, mapping.get("name", ""))
    return Assertion(
        provider=provider.name,
        issuer=provider.issuer,
        subject=subject,
        email=email,
        # Only a literal true counts (OIDC Core §5.1): "true", 1 or absence are not a promise.
        email_verified=email is not None and verified_value is True,
        name=name[:200] if isinstance(name, str) else "",
        mfa=mfa,
    )


def _printable(value: object) -> str:
    text = str(value or "error")
    return "".join(c for c in text if 0x20 < ord(c) < 0x7F)[:64]
