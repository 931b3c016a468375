"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2-§3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from jotauth import jose
from jotauth.jose.jws import parse_compact, verify_signature
from jotauth.oauth.clients import ClientRegistry, OAuthClient
from jotauth.oauth.errors import NotRedirectable


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """A checked logout request: where to send the browser afterwards, if anywhere."""

    client: OAuthClient | None
    location: str | None
    user_id: str | None


class EndSession:
    """Checks ``id_token_hint``, ``client_id`` and ``post_logout_redirect_uri``."""

    def __init__(
        self,
        *,
        issuer: str,
        clients: ClientRegistry,
        key_set: Callable[[], jose.KeySet],
    ) -> None:
        self._issuer = issuer
        self._clients = clients
        self._key_set = key_set

    async def check(self, params: Mapping[str, str]) -> LogoutRequest:
        """Raises :class:`NotRedirectable` for a bad hint, client or unregistered URI."""
        hint = params.get("id_token_hint") or None
        hinted = self._hinted_claims(hint) if hint else None
        client_id = params.get("client_id") or None
        if hinted is not None:
            audience = hinted.get("aud")
            if client_id is None and isinstance(audience, str):
                client_id = audience
            if client_id is None or client_id != audience:
                raise NotRedirectable("The logout request names another application.")
        client = await self._clients.get(client_id) if client_id else None
        if client_id and client is None:
            raise NotRedirectable("This application is not registered with the sign-in service.")
        target = params.get("post_logout_redirect_uri") or None
        if target is None:
            return LogoutRequest(client=client, location=None, user_id=_sub(hinted))
        # Only exact registered URIs of an identified client: never an open redirect.
        if client is None or target not in client.post_logout_redirect_uris:
            raise NotRedirectable("The return address of this logout request is not registered.")
        state = params.get("state")
        location = target
        if state:
            location += ("&" if "?" in target else "?") + urlencode({"state": state[:512]})
        return LogoutRequest(client=client, location=location, user_id=_sub(hinted))

    def _hinted_claims(self, hint: str) -> Mapping[str, object]:
        """The claims of an ID token this provider signed (expired is fine: §2)."""
        try:
            parsed = parse_compact(hint)
            key = self._key_set().get(parsed.kid)
            if key is None:
                raise NotRedirectable("The id_token_hint was not issued here.")
            verify_signature(parsed, key)
            claims = parsed.payload()
        except jose.JoseError:
            raise NotRedirectable("The id_token_hint is not valid.") from None
        if claims.get("iss") != self._issuer:
            raise NotRedirectable("The id_token_hint was not issued here.")
        return claims


def _sub(claims: Mapping[str, object] | None) -> str | None:
    sub = claims.get("sub") if claims else None
    return sub if isinstance(sub, str) else None
