"""The application layer: the account use cases, free of HTTP.

``SignIn`` (login, sign-up, refresh), ``SignOut`` (logout, logout-all, end one session),
``OwnAccount`` (profile, sessions, password change), ``Administration`` (what the CLI
does to accounts) and the second factors (DESIGN §13): ``SecondStep`` (``/login/mfa``),
``Reauthentication`` (step-up), ``SecondFactors`` (TOTP, recovery codes) over the
``SecondFactorMethod`` Protocol. They take the users and sessions services and return plain values
(:mod:`jotauth.accounts.results`) or raise the layers' typed errors. Nothing here imports
Starlette or FastAPI; the auth server's routes parse requests, call these and render.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jotauth.accounts.account_mail import AccountMail, LinkLifetimes, MailRate
from jotauth.accounts.administration import Administration
from jotauth.accounts.counters import SignInCounters
from jotauth.accounts.errors import (
    EmailNotVerified,
    InvalidCredentials,
    LastSignInMethod,
    UserInactive,
)
from jotauth.accounts.own_account import OwnAccount
from jotauth.accounts.quiet_work import Deferred, QuietWork
from jotauth.accounts.reauthentication import Reauthentication
from jotauth.accounts.recent_auth import RecentAuthentication
from jotauth.accounts.recovery import PasswordRecovery
from jotauth.accounts.registration import CheckYourMail, Registration
from jotauth.accounts.results import (
    AccountOverview,
    ClientInfo,
    OwnSessions,
    Profile,
    Reauthenticated,
    SignedIn,
)
from jotauth.accounts.second_factor_gate import (
    MfaPolicy,
    MfaRequired,
    SecondFactorGate,
    sign_in_purpose,
)
from jotauth.accounts.second_factor_methods import SecondFactorMethod, SecondFactorMethods
from jotauth.accounts.second_factors import SecondFactors, SecondFactorStatus, TotpSetup
from jotauth.accounts.second_step import SecondFactorProved, SecondStep
from jotauth.accounts.sign_in import SignIn
from jotauth.accounts.sign_out import SignOut
from jotauth.accounts.tokens import (
    AccessTokenIssuer,
    AccessTokenPolicy,
    IssuedAccessToken,
    OwnTokenVerifier,
)
from jotauth.accounts.verification import EmailVerification


@dataclass(frozen=True, slots=True)
class Accounts:
    """Every account use case, as the composition root builds them."""

    sign_in: SignIn
    sign_out: SignOut
    own_account: OwnAccount
    administration: Administration
    registration: Registration
    # Second factors (DESIGN §13): the login's second step, re-authentication, the user's
    # own factor management, and the recent-sign-in check of sensitive changes.
    second_step: SecondStep
    reauthentication: Reauthentication
    second_factors: SecondFactors
    recent_auth: RecentAuthentication
    # None when no mail can go out (no SMTP outside --dev): those features answer 404.
    recovery: PasswordRecovery | None = None
    verification: EmailVerification | None = None
    quiet_work: QuietWork = field(default_factory=QuietWork)


__all__ = [
    "AccessTokenIssuer",
    "AccessTokenPolicy",
    "AccountMail",
    "AccountOverview",
    "Accounts",
    "Administration",
    "CheckYourMail",
    "ClientInfo",
    "Deferred",
    "EmailNotVerified",
    "EmailVerification",
    "InvalidCredentials",
    "IssuedAccessToken",
    "LastSignInMethod",
    "LinkLifetimes",
    "MailRate",
    "MfaPolicy",
    "MfaRequired",
    "OwnAccount",
    "OwnSessions",
    "OwnTokenVerifier",
    "PasswordRecovery",
    "Profile",
    "QuietWork",
    "Reauthenticated",
    "Reauthentication",
    "RecentAuthentication",
    "Registration",
    "SecondFactorGate",
    "SecondFactorMethod",
    "SecondFactorMethods",
    "SecondFactorProved",
    "SecondFactorStatus",
    "SecondFactors",
    "SecondStep",
    "SignIn",
    "SignInCounters",
    "SignOut",
    "SignedIn",
    "TotpSetup",
    "UserInactive",
    "sign_in_purpose",
]
