"""What the account use cases return: plain values, nothing HTTP about them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jotauth.accounts.tokens import IssuedAccessToken
from jotauth.sessions import IssuedRefresh, SessionInfo
from jotauth.users import User


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a request comes from, as recorded on sessions and audit events."""

    ip: str = ""
    user_agent: str = ""

    @classmethod
    def bounded(cls, ip: str | None, user_agent: str | None) -> ClientInfo:
        """Truncated to what the store keeps (addresses 64, user agents 512 characters)."""
        return cls(ip=(ip or "")[:64], user_agent=(user_agent or "")[:512])


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A user with a live session: what login, sign-up and refresh deliver."""

    user: User
    issued: IssuedRefresh
    access: IssuedAccessToken

    @property
    def session(self) -> SessionInfo:
        """The session (refresh-token family) the tokens belong to."""
        return self.issued.session

    @property
    def session_id(self) -> str:
        """The session id (the ``sid`` claim)."""
        return self.issued.session.id


@dataclass(frozen=True, slots=True)
class Profile:
    """The account behind an access token, as ``/me`` shows it."""

    id: str
    email: str
    name: str
    roles: tuple[str, ...]
    scope: tuple[str, ...]
    email_verified: bool = False


@dataclass(frozen=True, slots=True)
class AccountOverview:
    """Everything ``/me`` shows, read in one transaction with the session check."""

    session: SessionInfo
    profile: Profile
    has_password: bool
    # The federation layer's LinkedIdentity values (that layer builds on this one).
    identities: tuple[Any, ...] = ()
    # The names of the enrolled second-factor methods, in offer order.
    second_factors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OwnSessions:
    """A user's active sessions, and which of them made the request."""

    sessions: tuple[SessionInfo, ...]
    current_session_id: str


@dataclass(frozen=True, slots=True)
class Reauthenticated:
    """The user proved who they are again in their session (step-up, RFC 9470): the session
    has a fresh ``auth_time`` and ``amr``, and ``access`` carries them. The refresh token
    is unchanged."""

    user: User
    session: SessionInfo
    access: IssuedAccessToken

    @property
    def session_id(self) -> str:
        """The session id (the ``sid`` claim)."""
        return self.session.id
