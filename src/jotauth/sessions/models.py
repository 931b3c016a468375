"""Sessions as the rest of the system sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from jotauth.settings import Settings

# Where a session's refresh token travels: an HttpOnly cookie (browsers), a JSON body (native
# clients) or the OAuth token endpoint (clients of the provider). Recorded at login; a refresh
# presenting it another way is refused.
RefreshDelivery = Literal["cookie", "body", "oauth"]


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long sessions live (seconds) and how long a rotated token joins its successor."""

    idle_ttl: int
    absolute_ttl: int
    grace_period: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        """The policy the settings describe."""
        return cls(
            idle_ttl=settings.refresh_idle_ttl,
            absolute_ttl=settings.session_absolute_ttl,
            grace_period=settings.refresh_grace_period,
        )


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One login (a refresh-token family). Times are POSIX seconds."""

    id: str
    user_id: str
    created_at: float
    last_used_at: float
    idle_expires_at: float  # last use + refresh_idle_ttl, capped by expires_at
    expires_at: float  # absolute: created_at + session_absolute_ttl
    user_agent: str
    ip: str
    revoked_at: float | None = None
    revoked_reason: str | None = None
    # How its refresh token travels: "cookie", "body" (first-party) or "oauth" (a client of
    # the provider, at /oauth2/token); None for sessions from before it was recorded.
    refresh_delivery: RefreshDelivery | None = None
    # How the user signed in, as RFC 8176 ``amr`` values (["pwd"], ["fed"]); () for sessions
    # from before it was recorded.
    amr: tuple[str, ...] = ()
    # When the user last proved who they are here (a re-authentication moves it); None:
    # at ``created_at`` (sessions from before 0012, and ones never re-authenticated).
    auth_time: float | None = None

    @property
    def authenticated_at(self) -> float:
        """When the user last authenticated in this session (the ``auth_time`` claim)."""
        return self.created_at if self.auth_time is None else self.auth_time

    def is_active(self, now: float) -> bool:
        """Not revoked and not expired at ``now``."""
        return self.revoked_at is None and now < self.idle_expires_at and now < self.expires_at


@dataclass(frozen=True, slots=True)
class IssuedRefresh:
    """What login and refresh hand to the client: the session and its current refresh token."""

    session: SessionInfo
    refresh_token: str = field(repr=False)
