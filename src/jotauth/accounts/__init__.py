"""The application layer: the account use cases, free of HTTP.

``SignIn`` (login, sign-up, refresh), ``SignOut`` (logout, logout-all, end one session),
``OwnAccount`` (profile, sessions, password change) and ``Administration`` (what the CLI
does to accounts). They take the users and sessions services and return plain values
(:mod:`jotauth.accounts.results`) or raise the layers' typed errors. Nothing here imports
Starlette or FastAPI; the auth server's routes parse requests, call these and render.
"""

from __future__ import annotations

from dataclasses import dataclass

from jotauth.accounts.administration import Administration
from jotauth.accounts.counters import SignInCounters
from jotauth.accounts.errors import InvalidCredentials, UserInactive
from jotauth.accounts.own_account import OwnAccount
from jotauth.accounts.results import ClientInfo, OwnSessions, Profile, SignedIn
from jotauth.accounts.sign_in import SignIn
from jotauth.accounts.sign_out import SignOut
from jotauth.accounts.tokens import (
    AccessTokenIssuer,
    AccessTokenPolicy,
    IssuedAccessToken,
    OwnTokenVerifier,
)


@dataclass(frozen=True, slots=True)
class Accounts:
    """Every account use case, as the composition root builds them."""

    sign_in: SignIn
    sign_out: SignOut
    own_account: OwnAccount
    administration: Administration


__all__ = [
    "AccessTokenIssuer",
    "AccessTokenPolicy",
    "Accounts",
    "Administration",
    "ClientInfo",
    "InvalidCredentials",
    "IssuedAccessToken",
    "OwnAccount",
    "OwnSessions",
    "OwnTokenVerifier",
    "Profile",
    "SignIn",
    "SignInCounters",
    "SignOut",
    "SignedIn",
    "UserInactive",
]
