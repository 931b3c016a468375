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

import dataclasses
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from jotauth.accounts import (
    AccessTokenIssuer,
    AccessTokenPolicy,
    AccountMail,
    Accounts,
    Administration,
    EmailVerification,
    LinkLifetimes,
    MailRate,
    MfaPolicy,
    OwnAccount,
    OwnTokenVerifier,
    PasswordRecovery,
    Reauthentication,
    RecentAuthentication,
    Registration,
    SecondFactorGate,
    SecondFactorMethods,
    SecondFactors,
    SecondStep,
    SignIn,
    SignInCounters,
    SignOut,
)
from jotauth.accounts.administration import FactorRemoval
from jotauth.extras import require_drivers
from jotauth.factors.challenges import MfaChallenges
from jotauth.factors.methods import EnrolledFactors, RecoveryCodeMethod, TotpMethod
from jotauth.factors.recovery_codes import RecoveryCodes
from jotauth.factors.totp import TotpFactors, remove_totp
from jotauth.federation import (
    Federation,
    LinkedIdentities,
    PendingSignIns,
    ProviderRegistry,
    UpstreamClient,
)
from jotauth.keys import (
    ID_TOKEN_DEFAULT_ALGORITHM,
    KeyAudit,
    PemFileSigningKeys,
    RotationPolicy,
    SigningKeyRings,
    SigningKeys,
    StoredSigningKeys,
    id_token_algorithms,
)
from jotauth.mail import (
    DEFAULT_SENDER,
    DeliveryOutcome,
    MailBranding,
    MailTemplates,
    MailTransport,
    OutboxDelivery,
    RetryPolicy,
    mail_transport_for,
)
from jotauth.oauth import OAuthProvider, build_provider
from jotauth.oauth.clients import ClientRegistry
from jotauth.passkeys import (
    FactorKeeping,
    Passkeys,
    PasskeySecondFactor,
    PasskeySignIn,
    PasskeyStore,
    WebAuthnChallenges,
    relying_party_for,
)
from jotauth.revocations.feed import RevocationAnnouncer, RevocationFeed
from jotauth.sessions import SessionPolicy, SessionService
from jotauth.settings import Settings, StartupRefused
from jotauth.store import AuditLog, KeyRepository, Outbox, Store, open_store
from jotauth.throttle import (
    LoginThrottle,
    login_throttle_for,
    mail_throttle_for,
    second_factor_throttle_for,
)
from jotauth.users import AccountTokens, PasswordHasher, UserService

# Only for --dev without JOTAUTH_SECRET_KEY: a fixed, publicly known value, so a dev server
# restarted on the same SQLite file can still open its keys. Never used otherwise.
_DEV_SECRET = b"jotauth-development-only-insecure-secret-key"


def server_secret(settings: Settings) -> bytes:
    """The secret key bytes (key-encryption, refresh successors and the CSRF HMAC)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    if settings.dev:
        return _DEV_SECRET
    raise StartupRefused("JOTAUTH_SECRET_KEY is required outside --dev")


@dataclass(frozen=True, slots=True)
class Signing:
    """The signing keys and what is built on them (only where the server secret is known)."""

    keys: SigningKeyRings  # the access-token ring and the RS256 ID-token ring beside it
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
    administration: Administration
    # None when opened with signing=False: the user and session commands need no secret key.
    signing: Signing | None
    # The use cases that sign tokens (login, refresh, …): only with the signing services.
    accounts: Accounts | None
    revocations: RevocationFeed
    oauth_clients: ClientRegistry
    # The OAuth 2.1 / OpenID Connect provider: it signs tokens, so only with signing.
    oauth: OAuthProvider | None
    # The durable mail outbox and its delivery (None when no mail can go out: no SMTP URL
    # outside --dev). The server's lifespan runs the delivery loop.
    outbox: Outbox
    mail: OutboxDelivery | None
    # Sign-in through other identity providers (their secrets are sealed: only with signing).
    federation: Federation | None = None
    # Passkeys (WebAuthn) and their passwordless sign-in: None without signing, or when the
    # relying party id would be an IP address (relying_party_for warns then).
    passkeys: Passkeys | None = None
    passkey_sign_in: PasskeySignIn | None = None

    def require_signing(self) -> Signing:
        """The signing services; a programming error when opened without them."""
        if self.signing is None:
            raise RuntimeError("these services were opened with signing=False")
        return self.signing

    def require_oauth(self) -> OAuthProvider:
        """The OAuth provider; a programming error when opened without signing."""
        if self.oauth is None:
            raise RuntimeError("these services were opened with signing=False")
        return self.oauth

    def require_federation(self) -> Federation:
        """Federation; a programming error when opened without signing."""
        if self.federation is None:
            raise RuntimeError("these services were opened with signing=False")
        return self.federation

    def require_accounts(self) -> Accounts:
        """The token-signing use cases; a programming error when opened without signing."""
        if self.accounts is None:
            raise RuntimeError("these services were opened with signing=False")
        return self.accounts


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    migrate: bool = True,
    signing: bool = True,
    on_key_transition: Callable[[str], None] | None = None,
    counters: SignInCounters | None = None,
    mail_outcomes: Callable[[DeliveryOutcome], None] | None = None,
) -> AsyncIterator[Services]:
    """Open the store (migrating it unless ``migrate=False``) and the services on it.

    With ``signing`` the server secret is required (``StartupRefused`` before anything is
    opened, outside ``--dev``) and the signing keys are built but not loaded: the server calls
    ``start()``, ``jotauth keys list`` only ``load()``. Everything is closed on exit.
    """
    secret = server_secret(settings) if signing else None
    require_drivers(database_url=settings.database_url, redis_url=settings.redis_url)
    store = await open_store(settings, migrate=migrate)
    async with AsyncExitStack() as exits:
        exits.push_async_callback(store.close)
        audit = AuditLog(store, clock=clock)
        hasher = PasswordHasher(settings)
        exits.callback(hasher.close)
        # Lazy: a Redis throttle connects on its first use, so admin commands never do.
        throttle = login_throttle_for(settings)
        exits.push_async_callback(throttle.close)
        # Access tokens of an ended session stay valid until they expire (plus leeway): that
        # is how long resource servers must be told to refuse them.
        refuse_for = settings.access_token_ttl + settings.leeway
        sessions = SessionService(
            store,
            SessionPolicy.from_settings(settings),
            audit=audit,
            # Without the server secret (admin commands) nothing rotates refresh tokens, so
            # no successor sealed by this instance is ever opened.
            secret=secret or secrets.token_bytes(32),
            clock=clock,
            on_revoked=await _revocation_announcer(settings, exits, keep_for=refuse_for),
        )
        outbox = Outbox(store, clock=clock)
        users = UserService(
            store,
            hasher,
            throttle=throttle,
            audit=audit,
            min_password_length=settings.password_min_length,
            clock=clock,
            account_tokens=AccountTokens(store, outbox, clock=clock),
        )
        mail = _mail_delivery(settings, outbox, clock=clock, on_outcome=mail_outcomes)
        mail_throttle = mail_throttle_for(settings)
        exits.push_async_callback(mail_throttle.close)
        recovery_codes = RecoveryCodes(store, audit=audit, clock=clock)
        administration = Administration(
            users=users,
            sessions=sessions,
            factor_removals=second_factor_removals(
                store, recovery_codes, PasskeyStore(store, audit=audit, clock=clock)
            ),
            audit=audit,
        )
        second_factor_throttle = second_factor_throttle_for(settings)
        exits.push_async_callback(second_factor_throttle.close)
        # One rule for every sensitive change (password, address, factors, passkeys, a first
        # password after federation): a sign-in of the last recent_auth_max_age seconds.
        recent = RecentAuthentication(
            sessions=sessions, max_age=settings.recent_auth_max_age, clock=clock
        )
        # Shared by the federation flows and /me (which reads them with the session check).
        identities = LinkedIdentities(store, audit=audit, clock=clock)
        signed = (
            None
            if secret is None
            else _signing(
                settings, store, secret, clock=clock, audit=audit, on_transition=on_key_transition
            )
        )
        totp = (
            None
            if signed is None
            else TotpFactors(
                store, secret=signed.secret_key, issuer=settings.brand_name, clock=clock
            )
        )
        # Passkeys before the account use cases: the login's second step offers them.
        passkeys = (
            None
            if totp is None
            else _passkeys(
                settings,
                store,
                users,
                sessions,
                audit,
                clock=clock,
                recent=recent,
                keeping=FactorKeeping(
                    policy=MfaPolicy.from_settings(settings),
                    totp_enabled=totp.enabled,
                    remove_recovery_codes=recovery_codes.remove,
                ),
            )
        )
        accounts = (
            None
            if signed is None or totp is None
            else _accounts(
                settings,
                users,
                sessions,
                signed,
                administration,
                clock=clock,
                counters=counters,
                account_mail=None if mail is None else _account_mail(settings, users, outbox, mail),
                mail_throttle=mail_throttle,
                audit=audit,
                factors=_FactorServices(
                    store=store,
                    recovery_codes=recovery_codes,
                    throttle=second_factor_throttle,
                    totp=totp,
                    passkeys=passkeys,
                    recent=recent,
                ),
                identities=identities,
            )
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
            administration=administration,
            signing=signed,
            accounts=accounts,
            outbox=outbox,
            mail=mail,
            revocations=RevocationFeed(
                sessions.revoked_since,
                keep_for=refuse_for,
                max_age=settings.revocations_max_age,
                revoked_keys=(lambda: {}) if signed is None else _revoked_keys_of(signed.keys),
                clock=clock,
            ),
            oauth_clients=ClientRegistry(
                store,
                reserved_ids=settings.audience,
                id_token_algorithms=id_token_algorithms(settings.algorithm),
                clock=clock,
            ),
            oauth=None
            if signed is None
            else build_provider(
                store,
                policy=AccessTokenPolicy.from_settings(settings),
                sessions=sessions,
                users=users,
                access_tokens=signed.tokens,
                verifier=signed.verifier,
                keys=signed.keys,
                clock=clock,
            ),
            federation=None
            if signed is None or accounts is None
            else _federation(
                settings, store, signed, accounts, users, audit, identities, clock=clock
            ),
            passkeys=passkeys,
            passkey_sign_in=None
            if passkeys is None or accounts is None
            else PasskeySignIn(passkeys=passkeys, users=users, sign_in=accounts.sign_in),
        )


def _federation(
    settings: Settings,
    store: Store,
    signing: Signing,
    accounts: Accounts,
    users: UserService,
    audit: AuditLog,
    identities: LinkedIdentities,
    *,
    clock: Callable[[], float],
) -> Federation:
    return Federation(
        providers=ProviderRegistry(store, secret=signing.secret_key, clock=clock),
        identities=identities,
        users=users,
        sign_in=accounts.sign_in,
        upstream=UpstreamClient(
            timeout=settings.federation_timeout, leeway=settings.leeway, clock=clock
        ),
        pending=PendingSignIns(signing.secret_key, clock=clock),
        base_url=settings.public_url or settings.issuer,
        audit=audit,
        recent=accounts.recent_auth,
        clock=clock,
    )


def _passkeys(
    settings: Settings,
    store: Store,
    users: UserService,
    sessions: SessionService,
    audit: AuditLog,
    *,
    clock: Callable[[], float],
    recent: RecentAuthentication,
    keeping: FactorKeeping,
) -> Passkeys | None:
    relying_party = relying_party_for(settings)
    if relying_party is None:
        return None
    return Passkeys(
        relying_party=relying_party,
        credentials=PasskeyStore(store, audit=audit, clock=clock),
        challenges=WebAuthnChallenges(store, ttl=relying_party.challenge_ttl, clock=clock),
        users=users,
        recent=recent,
        keeping=keeping,
        store=store,
        audit=audit,
        clock=clock,
    )


def _revoked_keys_of(keys: SigningKeys) -> Callable[[], dict[str, float]]:
    """The revoked keys of a key ring, by kid, with when they were revoked."""

    def revoked() -> dict[str, float]:
        return {
            managed.kid: managed.revoked_at
            for managed in keys.managed_keys()
            if managed.revoked_at is not None
        }

    return revoked


def second_factor_methods(
    store: Store,
    totp: TotpFactors,
    recovery_codes: RecoveryCodes,
    passkeys: Passkeys | None = None,
) -> SecondFactorMethods:
    """The second-factor methods of the login step, in the order an ``mfa_required`` answer
    offers them: TOTP, recovery codes, passkeys (when they are on)."""
    methods: list[TotpMethod | RecoveryCodeMethod | PasskeySecondFactor] = [
        TotpMethod(totp),
        RecoveryCodeMethod(recovery_codes),
    ]
    if passkeys is not None:
        methods.append(PasskeySecondFactor(passkeys))
    return SecondFactorMethods(methods, store=store, enrolled=EnrolledFactors(methods))


def second_factor_removals(
    store: Store, recovery_codes: RecoveryCodes, passkeys: PasskeyStore
) -> dict[str, FactorRemoval]:
    """What ``jotauth users reset-mfa`` removes, by kind (none needs the server secret)."""

    async def remove_recovery_codes(user_id: str) -> bool:
        return await recovery_codes.remove(user_id) > 0

    async def remove_totp_factor(user_id: str) -> bool:
        return await remove_totp(store, user_id)

    async def remove_passkeys(user_id: str) -> bool:
        return await passkeys.remove_all(user_id) > 0

    return {
        "totp": remove_totp_factor,
        "recovery_code": remove_recovery_codes,
        "passkey": remove_passkeys,
    }


@dataclass(frozen=True, slots=True)
class _FactorServices:
    """What the second-factor use cases share with the rest of the composition."""

    store: Store
    recovery_codes: RecoveryCodes
    throttle: LoginThrottle
    totp: TotpFactors
    passkeys: Passkeys | None  # the passkey method, when passkeys are on
    recent: RecentAuthentication


def _accounts(
    settings: Settings,
    users: UserService,
    sessions: SessionService,
    signing: Signing,
    administration: Administration,
    *,
    clock: Callable[[], float],
    counters: SignInCounters | None,
    account_mail: AccountMail | None,
    mail_throttle: LoginThrottle,
    audit: AuditLog,
    factors: _FactorServices,
    identities: LinkedIdentities,
) -> Accounts:
    totp = factors.totp
    gate = SecondFactorGate(
        methods=second_factor_methods(
            factors.store, totp, factors.recovery_codes, factors.passkeys
        ),
        challenges=MfaChallenges(factors.store, clock=clock),
        policy=MfaPolicy.from_settings(settings),
        clock=clock,
    )
    sign_in = SignIn(
        users=users,
        sessions=sessions,
        tokens=signing.tokens,
        counters=counters,
        require_verified_email=settings.require_verified_email,
        gate=gate,
    )
    recent = factors.recent
    reauthentication = Reauthentication(
        users=users, sessions=sessions, tokens=signing.tokens, gate=gate
    )
    rate = MailRate(mail_throttle, audit)
    return Accounts(
        sign_in=sign_in,
        sign_out=SignOut(sessions=sessions, clock=clock),
        own_account=OwnAccount(
            users=users,
            sessions=sessions,
            clock=clock,
            store=factors.store,
            identities=identities,
            factors=gate.methods,
            recent=recent,
        ),
        administration=administration,
        second_step=SecondStep(
            gate=gate,
            sign_in=sign_in,
            reauthentication=reauthentication,
            users=users,
            totp=totp,
            recovery_codes=factors.recovery_codes,
            throttle=factors.throttle,
            audit=audit,
        ),
        reauthentication=reauthentication,
        second_factors=SecondFactors(
            users=users,
            gate=gate,
            totp=totp,
            recovery_codes=factors.recovery_codes,
            recent=recent,
            audit=audit,
        ),
        recent_auth=recent,
        registration=Registration(
            sign_in=sign_in,
            users=users,
            mail=account_mail,
            rate=rate,
            audit=audit,
            quiet=settings.signup_enumeration_safe,
            hold_session=settings.require_verified_email,
        ),
        recovery=None
        if account_mail is None
        else PasswordRecovery(
            users=users,
            sessions=sessions,
            mail=account_mail,
            rate=rate,
            audit=audit,
        ),
        verification=None
        if account_mail is None
        else EmailVerification(
            users=users, mail=account_mail, rate=rate, audit=audit, recent=recent
        ),
    )


def _mail_delivery(
    settings: Settings,
    outbox: Outbox,
    *,
    clock: Callable[[], float],
    on_outcome: Callable[[DeliveryOutcome], None] | None,
) -> OutboxDelivery | None:
    """The outbox's delivery through SMTP or the dev mailbox; None when neither applies."""
    transport: MailTransport | None = mail_transport_for(settings)
    if transport is None:
        return None
    return OutboxDelivery(
        outbox,
        transport,
        sender=settings.mail_from or DEFAULT_SENDER,
        retry=RetryPolicy(
            max_attempts=settings.mail_max_attempts, retry_delay=settings.mail_retry_delay
        ),
        clock=clock,
        on_outcome=on_outcome,
    )


def account_links_base(settings: Settings) -> str:
    """Where the links in account mails point (the hosted pages unless an app's own)."""
    return (settings.account_links_url or settings.public_url or settings.issuer).rstrip("/")


def _account_mail(
    settings: Settings, users: UserService, outbox: Outbox, delivery: OutboxDelivery
) -> AccountMail:
    templates = MailTemplates(
        MailBranding(
            name=settings.brand_name,
            accent_color=settings.brand_accent_color,
            logo_url=settings.brand_logo_url,
        ),
        links_base=account_links_base(settings),
    )
    return AccountMail(
        users=users,
        outbox=outbox,
        templates=templates,
        lifetimes=LinkLifetimes(
            password_reset=settings.password_reset_ttl,
            email_verification=settings.email_verification_ttl,
        ),
        queued=delivery.wake,
    )


async def _revocation_announcer(
    settings: Settings, exits: AsyncExitStack, *, keep_for: float
) -> RevocationAnnouncer | None:
    """Redis pub/sub announcements of ended sessions, when Redis is configured (it connects
    on first use, so admin commands that end no session never do)."""
    if not settings.redis_url:
        return None
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.Redis.from_url(
        settings.redis_url, socket_timeout=1, socket_connect_timeout=1
    )
    exits.push_async_callback(client.aclose)
    return RevocationAnnouncer(client, keep_for=keep_for)


def _signing(
    settings: Settings,
    store: Store,
    secret_key: bytes,
    *,
    clock: Callable[[], float],
    audit: KeyAudit,
    on_transition: Callable[[str], None] | None,
) -> Signing:
    keys = SigningKeyRings(
        signing_keys_for(
            settings, store, secret_key, clock=clock, audit=audit, on_transition=on_transition
        ),
        access_algorithm=settings.algorithm,
        rs256=None
        if settings.algorithm == ID_TOKEN_DEFAULT_ALGORITHM
        else _id_token_keys(settings, store, secret_key, clock=clock, audit=audit),
    )
    policy = AccessTokenPolicy.from_settings(settings)
    return Signing(
        keys=keys,
        tokens=AccessTokenIssuer(policy, signing_key=keys.signing_key, clock=clock),
        verifier=OwnTokenVerifier(policy, key_set=keys.key_set, clock=clock),
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


def _id_token_keys(
    settings: Settings,
    store: Store,
    secret_key: bytes,
    *,
    clock: Callable[[], float],
    audit: KeyAudit | None,
) -> SigningKeys:
    """The RS256 ring for ID tokens, stored and rotated like the access ring (also when the
    access keys come from PEM files: RS256 is promised to every OIDC client, DESIGN §11)."""
    policy = dataclasses.replace(rotation_policy(settings), algorithm=ID_TOKEN_DEFAULT_ALGORITHM)
    return StoredSigningKeys(
        KeyRepository(store, secret_key=secret_key, ring="id_token"),
        policy,
        clock=clock,
        audit=audit,
    )


def rotation_policy(settings: Settings) -> RotationPolicy:
    """When stored keys rotate, from the token and JWKS settings (DESIGN §4)."""
    return RotationPolicy(
        algorithm=settings.algorithm,
        rotation_period=float(settings.key_rotation_period),
        publish_ahead=float(settings.jwks_max_age),
        max_token_lifetime=float(settings.access_token_ttl + settings.leeway),
    )
