"""Whether a proved first factor is enough, or the login waits for a second (DESIGN §13).

A user with an enrolled second factor (TOTP, a passkey: recovery codes alone do not count,
they only stand in for a lost one) gets an ``mfa_token`` instead of a session; so does a user
the MFA policy requires one of, who then has to enrol before the login completes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jotauth.accounts.second_factor_methods import SecondFactorMethod, SecondFactorMethods
from jotauth.factors.challenges import (
    AccessDelivery,
    ChallengePurpose,
    MfaChallenge,
    MfaChallenges,
)
from jotauth.users import User

if TYPE_CHECKING:
    from jotauth.settings import Settings

# Methods that stand in for a lost factor: having only these is having no second factor.
BACKUP_METHODS = frozenset({"recovery_code"})
# Where a browser sign-in goes on to when it serves the provider's own authorization endpoint.
_AUTHORIZATION = "/oauth2/authorize?"


def sign_in_purpose(return_to: str | None) -> ChallengePurpose:
    """``authorize`` for a browser sign-in on its way to an authorization request of this
    server's own provider, else ``login`` (recorded on the attempt, for the audit trail)."""
    return "authorize" if return_to and return_to.startswith(_AUTHORIZATION) else "login"


@dataclass(frozen=True, slots=True)
class MfaPolicy:
    """Who must have a second factor: everyone, or the holders of some roles."""

    required_for_everyone: bool = False
    required_roles: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> MfaPolicy:
        """``mfa_policy`` and ``mfa_required_roles``."""
        return cls(
            required_for_everyone=settings.mfa_policy == "required",
            required_roles=frozenset(settings.mfa_required_roles),
        )

    def requires(self, user: User) -> bool:
        """Whether ``user`` must sign in with a second factor."""
        return self.required_for_everyone or bool(self.required_roles & set(user.roles))


@dataclass(frozen=True, slots=True)
class MfaRequired:
    """The first factor was right; the login continues at ``/api/auth/login/mfa``.

    ``methods`` are the names the user may use; ``challenges`` the data some of them need
    (a passkey's request options), by method name. ``enrollment_required``: the policy
    requires a second factor the user does not have yet (``methods`` is empty): the token
    lets them set up TOTP, and the first code finishes the login.
    """

    mfa_token: str = field(repr=False)
    expires_in: int
    methods: tuple[str, ...]
    # Whose login it is (for the use cases that go on with it: a sign-up's mail); never sent.
    user_id: str
    challenges: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    enrollment_required: bool = False


class SecondFactorGate:
    """Decides, after a first factor, whether a second one is needed, and starts it."""

    def __init__(
        self,
        *,
        methods: SecondFactorMethods,
        challenges: MfaChallenges,
        policy: MfaPolicy,
        clock: Callable[[], float],
    ) -> None:
        self._clock = clock
        self.methods = methods
        self.challenges = challenges
        self.policy = policy

    async def hold(
        self,
        user: User,
        *,
        purpose: ChallengePurpose,
        first_amr: Sequence[str],
        delivery: AccessDelivery = "cookie",
        refresh_delivery: str | None = None,
        session_id: str | None = None,
    ) -> MfaRequired | None:
        """An :class:`MfaRequired` when the user must prove a second factor (or enrol one),
        else None: the first factor suffices."""
        enrolled = await self.methods.enrolled_of(user.id)
        primary = [method for method in enrolled if method.name not in BACKUP_METHODS]
        enrol = not primary
        # A re-authentication proves the user again; it never starts an enrolment.
        if enrol and (purpose == "reauth" or not self.policy.requires(user)):
            return None
        token, challenge = await self.challenges.issue(
            user.id,
            purpose=purpose,
            first_amr=first_amr,
            delivery=delivery,
            refresh_delivery=refresh_delivery,
            session_id=session_id,
            enrollment=enrol,
        )
        return await self._described(token, challenge, enrolled)

    async def resume(self, mfa_token: str) -> MfaRequired:
        """The :class:`MfaRequired` of a still usable token again (a hosted page shown
        anew after a wrong code); ``MfaTokenInvalid`` when it is not usable any more."""
        challenge = await self.challenges.open(mfa_token)
        enrolled = () if challenge.enrollment else await self.methods.enrolled_of(challenge.user_id)
        return await self._described(mfa_token, challenge, enrolled)

    async def _described(
        self, token: str, challenge: MfaChallenge, enrolled: Sequence[SecondFactorMethod]
    ) -> MfaRequired:
        left = max(0, math.ceil(challenge.expires_at - self._clock()))
        if challenge.enrollment:
            return MfaRequired(
                mfa_token=token,
                expires_in=left,
                methods=(),
                user_id=challenge.user_id,
                enrollment_required=True,
            )
        extra: dict[str, Mapping[str, object]] = {}
        for method in enrolled:
            data = await method.challenge(challenge.user_id, challenge.attempt_id)
            if data is not None:
                extra[method.name] = data
        return MfaRequired(
            mfa_token=token,
            expires_in=left,
            methods=tuple(method.name for method in enrolled),
            user_id=challenge.user_id,
            challenges=extra,
        )

    async def has_second_factor(self, user_id: str) -> bool:
        """Whether the user has enrolled a second factor (recovery codes aside)."""
        enrolled = await self.methods.enrolled_of(user_id)
        return any(method.name not in BACKUP_METHODS for method in enrolled)
