"""What a token is worth after it was issued: revocation (RFC 7009), introspection
(RFC 7662) and the userinfo endpoint (OIDC Core §5.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jotauth import jose
from jotauth.accounts import OwnTokenVerifier
from jotauth.oauth.clients import OAuthClient
from jotauth.oauth.errors import InvalidToken, UnauthorizedClient
from jotauth.oauth.grant_records import GrantRecords
from jotauth.sessions import SessionInfo, SessionService
from jotauth.users import UserService

_INACTIVE: dict[str, Any] = {"active": False}


class TokenStatus:
    """Revokes, introspects and reads the user behind tokens of this provider."""

    def __init__(
        self,
        *,
        issuer: str,
        verifier: OwnTokenVerifier,
        records: GrantRecords,
        sessions: SessionService,
        users: UserService,
        clock: Callable[[], float],
    ) -> None:
        self._issuer = issuer
        self._verifier = verifier
        self._records = records
        self._sessions = sessions
        self._users = users
        self._clock = clock

    async def revoke(self, client: OAuthClient, token: str) -> None:
        """End the OAuth session of a refresh or access token issued to ``client``.

        Unknown tokens and other clients' tokens are ignored: RFC 7009 §2.2 answers 200
        either way, so a client cannot probe for tokens.
        """
        session_id = await self._session_of(token)
        if session_id is None:
            return
        record = await self._records.get(session_id)
        if record is not None and record.client_id == client.client_id:
            await self._sessions.revoke_session(session_id, reason="oauth_revoked")

    async def introspect(self, client: OAuthClient, token: str) -> dict[str, Any]:
        """RFC 7662 §2.2 for a confidential client (a resource server)."""
        if client.is_public:
            raise UnauthorizedClient("introspection is for confidential clients")
        claims = self._verifier.verify_or_none(token)
        if claims is not None:
            return await self._access_token_status(claims)
        session = await self._sessions.session_of_refresh_token(token)
        if session is None or not session.is_active(self._clock()):
            return _INACTIVE
        record = await self._records.get(session.id)
        if record is None:
            return _INACTIVE
        return {
            "active": True,
            "token_type": "refresh_token",
            "client_id": record.client_id,
            "scope": " ".join(record.scope),
            "sub": session.user_id,
            "exp": int(session.expires_at),
            "iss": self._issuer,
        }

    async def userinfo(self, token: str | None) -> dict[str, Any]:
        """The user's claims for the scope of a valid access token of a live session."""
        claims = self._verifier.verify_or_none(token)
        if claims is None or not claims.sid:
            raise InvalidToken()
        session = await self._live(claims.sid, claims.sub)
        user = await self._users.get_user(claims.sub) if session is not None else None
        if user is None or user.disabled:
            raise InvalidToken("the session of this token has ended")
        info: dict[str, Any] = {"sub": user.id}
        if "email" in claims.scope:
            info.update(email=user.email, email_verified=user.email_verified)
        if "profile" in claims.scope:
            info["name"] = user.name
        return info

    async def _access_token_status(self, claims: jose.Claims) -> dict[str, Any]:
        if claims.sid and await self._live(claims.sid, claims.sub) is None:
            return _INACTIVE
        record = await self._records.get(claims.sid) if claims.sid else None
        status: dict[str, Any] = {
            "active": True,
            "token_type": "Bearer",
            "scope": " ".join(sorted(claims.scope)),
            "sub": claims.sub,
            "iss": claims.iss,
            "aud": list(claims.aud),
            "exp": int(claims.exp),
        }
        if claims.iat is not None:
            status["iat"] = int(claims.iat)
        client_id = record.client_id if record else claims.raw.get("client_id")
        if client_id:
            status["client_id"] = client_id
        if claims.sid:
            status["sid"] = claims.sid
        return status

    async def _live(self, session_id: str, user_id: str) -> SessionInfo | None:
        session = await self._sessions.get_session(session_id)
        if session is None or session.user_id != user_id or not session.is_active(self._clock()):
            return None
        return session

    async def _session_of(self, token: str) -> str | None:
        session = await self._sessions.session_of_refresh_token(token)
        if session is not None:
            return session.id
        claims = self._verifier.verify_or_none(token)
        return claims.sid if claims is not None and claims.sid else None
