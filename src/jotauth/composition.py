"""The one composition root: every service of jotauth built from one :class:`Settings`.

The auth server's lifespan (:mod:`jotauth.server.app`), every ``jotauth`` command and the demo
open their services here and nowhere else::

    async with open_services(settings) as services:
        await services.users.list_users()

Services get the policy values and secrets they need from here; this is the only module that
decides which implementation serves (stored or PEM-file signing keys, Redis or in-process
throttle).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from jotauth.keys import (
    KeyAudit,
    PemFileSigningKeys,
    RotationPolicy,
    SigningKeys,
    StoredSigningKeys,
)
from jotauth.server.startup import server_secret
from jotauth.server.tokens import AccessTokenIssuer, OwnTokenVerifier
from jotauth.sessions import SessionService
from jotauth.settings import Settings
from jotauth.store import AuditLog, KeyRepository, Store, open_store
from jotauth.throttle import LoginThrottle, login_throttle_for
from jotauth.users import PasswordHasher, UserService


@dataclass(frozen=True, slots=True)
class Signing:
    """The signing keys and what is built on them (only where the server secret is known)."""

    keys: SigningKeys
    tokens: AccessTokenIssuer
    verifier: OwnTokenVerifier
    secret_key: bytes = field(repr=False)  # also keys the CSRF HMAC of the HTTP layer


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the server and the admin commands work with, opened from one Settings."""

    settings: Settings
    clock: Callable[[], float]
    store: Store
    audit: AuditLog
    hasher: PasswordHasher
    throttle: LoginThrottle
    sessions: SessionService
    users: UserService
    # None when opened with signing=False: the user and session commands need no secret key.
    signing: Signing | None

    def require_signing(self) -> Signing:
        """The signing services; a programming error when opened without them."""
        if self.signing is None:
            raise RuntimeError("these services were opened with signing=False")
        return self.signing


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    migrate: bool = True,
    signing: bool = True,
    on_key_transition: Callable[[str], None] | None = None,
) -> AsyncIterator[Services]:
    """Open the store (migrating it unless ``migrate=False``) and the services on it.

    With ``signing`` the server secret is required (``StartupRefused`` before anything is
    opened, outside ``--dev``) and the signing keys are built but not loaded: the server calls
    ``start()``, ``jotauth keys list`` only ``load()``. Everything is closed on exit.
    """
    secret = server_secret(settings) if signing else None
    store = await open_store(settings, migrate=migrate)
    async with AsyncExitStack() as exits:
        exits.push_async_callback(store.close)
        audit = AuditLog(store, clock=clock)
        hasher = PasswordHasher(settings)
        exits.callback(hasher.close)
        # Lazy: a Redis throttle connects on its first use, so admin commands never do.
        throttle = login_throttle_for(settings)
        exits.push_async_callback(throttle.close)
        sessions = SessionService(store, settings, clock, audit=audit)
        users = UserService(
            store, hasher, settings, throttle=throttle, sessions=sessions, audit=audit, clock=clock
        )
        yield Services(
            settings=settings,
            clock=clock,
            store=store,
            audit=audit,
            hasher=hasher,
            throttle=throttle,
            sessions=sessions,
            users=users,
            signing=None
            if secret is None
            else _signing(
                settings, store, secret, clock=clock, audit=audit, on_transition=on_key_transition
            ),
        )


def _signing(
    settings: Settings,
    store: Store,
    secret_key: bytes,
    *,
    clock: Callable[[], float],
    audit: KeyAudit,
    on_transition: Callable[[str], None] | None,
) -> Signing:
    keys = signing_keys_for(
        settings, store, secret_key, clock=clock, audit=audit, on_transition=on_transition
    )
    return Signing(
        keys=keys,
        tokens=AccessTokenIssuer(settings, signing_key=keys.signing_key, clock=clock),
        verifier=OwnTokenVerifier(settings, key_set=keys.key_set, clock=clock),
        secret_key=secret_key,
    )


def signing_keys_for(
    settings: Settings,
    store: Store,
    secret_key: bytes,
    *,
    clock: Callable[[], float],
    audit: KeyAudit | None = None,
    on_transition: Callable[[str], None] | None = None,
) -> SigningKeys:
    """The signing-key strategy the settings ask for: PEM files, else keys sealed in the store."""
    if settings.signing_key_files:
        return PemFileSigningKeys(
            settings.signing_key_files, algorithm=settings.algorithm, clock=clock
        )
    return StoredSigningKeys(
        KeyRepository(store, secret_key=secret_key),
        rotation_policy(settings),
        clock=clock,
        audit=audit,
        on_transition=on_transition,
    )


def rotation_policy(settings: Settings) -> RotationPolicy:
    """When stored keys rotate, from the token and JWKS settings (DESIGN §4)."""
    return RotationPolicy(
        algorithm=settings.algorithm,
        rotation_period=float(settings.key_rotation_period),
        publish_ahead=float(settings.jwks_max_age),
        max_token_lifetime=float(settings.access_token_ttl + settings.leeway),
    )
