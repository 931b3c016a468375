"""The pending sign-in: what the callback needs to know about the request it answers.

It travels in an HttpOnly cookie of the auth server, sealed (AES-GCM under a key derived
from the server secret for this one purpose, :mod:`jotauth.store.sealing`), so nothing is
written to the store before the provider has answered and an abandoned sign-in leaves no
trace. ``state`` in the redirect must equal the sealed one (RFC 6749 §10.12: the redirect
back is bound to the browser that started it); ``nonce`` binds the ID token to it (OIDC Core
§3.1.2.1); the PKCE verifier never leaves this server (RFC 7636).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from jotauth.federation.errors import FlowStateInvalid
from jotauth.store import SealBroken, Sealer

_PURPOSE = b"jotauth federation pending sign-in v1"
_ASSOCIATED = b"pending-sign-in"
# Long enough to type a password and a second factor at the provider.
PENDING_TTL = 600
_MAX_SEALED = 3800  # a cookie must stay under 4 KB with its name and attributes


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """One started sign-in (or link) with a provider."""

    provider: str
    state: str
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    return_to: str | None
    expires_at: float
    # Set when a signed-in user links the provider to their account instead of signing in.
    link_user_id: str | None = None

    @classmethod
    def new(
        cls, provider: str, *, return_to: str | None, link_user_id: str | None, now: float
    ) -> PendingSignIn:
        """Fresh random ``state``, ``nonce`` and PKCE verifier (256 bits each)."""
        return cls(
            provider=provider,
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            # RFC 7636 §4.1: 43-128 characters of the unreserved set.
            code_verifier=secrets.token_urlsafe(48),
            return_to=return_to,
            expires_at=now + PENDING_TTL,
            link_user_id=link_user_id,
        )


class PendingSignIns:
    """Seals a :class:`PendingSignIn` into a cookie value and opens it again."""

    def __init__(self, secret: bytes, *, clock: Callable[[], float]) -> None:
        self._sealer = Sealer(secret, purpose=_PURPOSE)
        self._clock = clock

    def seal(self, pending: PendingSignIn) -> str:
        """The cookie value (base64url, cookie-octet safe)."""
        plain = json.dumps(asdict(pending), separators=(",", ":")).encode("utf-8")
        nonce, sealed = self._sealer.seal(plain, associated_data=_ASSOCIATED)
        value = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        if len(value) > _MAX_SEALED:
            raise FlowStateInvalid("the return address is too long")
        return value

    def open(self, value: str | None, *, provider: str) -> PendingSignIn:
        """The pending sign-in of a cookie value, for ``provider``, not expired; else
        :class:`FlowStateInvalid` (missing, tampered with, another provider's, too old)."""
        if not value or len(value) > _MAX_SEALED:
            raise FlowStateInvalid()
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            plain = self._sealer.open(raw[:12], raw[12:], associated_data=_ASSOCIATED)
            pending = PendingSignIn(**json.loads(plain))
        except (binascii.Error, ValueError, TypeError, SealBroken):
            raise FlowStateInvalid() from None
        if pending.provider != provider or self._clock() >= pending.expires_at:
            raise FlowStateInvalid()
        return pending
