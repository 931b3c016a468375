"""Table definitions (SQLAlchemy Core). The migrations in ``migrations/versions`` create them.

Timestamps are POSIX seconds as double precision: every service takes an injectable clock that
returns ``time.time()``-style floats, and the arithmetic on expiry stays trivial and identical on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("scope", JSON, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    # Proved by following a link mailed to the address (0006).
    Column("email_verified", Boolean, nullable=False, server_default=false()),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("last_used_at", Double, nullable=False),
    Column("idle_expires_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("user_agent", String(512), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("revoked_at", Double, nullable=True),
    Column("revoked_reason", String(64), nullable=True),
    # 'cookie' or 'body' (native client): where the refresh token must be presented (0002).
    Column("refresh_delivery", String(8), nullable=True),
    # How the user signed in (RFC 8176 amr values, e.g. ["pwd"] or ["fed"]); None for
    # sessions from before it was recorded (0009).
    Column("amr", JSON, nullable=True),
    # When the user last proved who they are in this session: a re-authentication (step-up,
    # RFC 9470) moves it forward; None means created_at (0012).
    Column("auth_time", Double, nullable=True),
    Index("ix_sessions_user_id", "user_id"),
    # The revocation feed reads the sessions ended within the access-token lifetime (0005).
    Index("ix_sessions_revoked_at", "revoked_at"),
    # The purge of expired sessions (0010).
    Index("ix_sessions_expires_at", "expires_at"),
)

# One row per refresh token ever issued; only the SHA-256 of the token is stored (DESIGN §6).
# A rotated row keeps its successor sealed for the grace window so concurrent refreshes from
# several tabs can all be answered with the session's current head token.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(32), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("rotated_at", Double, nullable=True),
    Column("successor_hash", String(64), nullable=True),
    Column("successor_nonce", LargeBinary, nullable=True),
    Column("successor_sealed", LargeBinary, nullable=True),
    CheckConstraint("state IN ('active', 'rotated', 'revoked')", name="state"),
    Index("ix_refresh_tokens_session_id", "session_id"),
    # The rows still keeping a sealed successor, which each rotation re-examines, by age:
    # only those older than the grace window can be forgotten (0010, 0014).
    Index(
        "ix_refresh_tokens_sealed",
        "session_id",
        "created_at",
        sqlite_where=text("successor_sealed IS NOT NULL"),
        postgresql_where=text("successor_sealed IS NOT NULL"),
    ),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(255), primary_key=True),
    Column("alg", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("activated_at", Double, nullable=True),
    Column("retired_at", Double, nullable=True),
    Column("revoked_at", Double, nullable=True),
    Column("not_after", Double, nullable=True),
    # "access" signs access tokens; "id_token" holds the RS256 keys kept beside them for ID
    # tokens when access tokens use another algorithm (DESIGN §11: RS256 always offered).
    Column("ring", String(16), nullable=False, server_default="access"),
    Column("public_jwk", JSON, nullable=False),
    Column("private_key_nonce", LargeBinary, nullable=False),
    Column("private_key_sealed", LargeBinary, nullable=False),
    CheckConstraint("state IN ('next', 'current', 'retired', 'revoked')", name="state"),
)

# No foreign keys: the audit trail outlives the users and sessions it mentions.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", String(32), nullable=False),
    Column("at", Double, nullable=False),
    Column("user_id", String(32), nullable=True),
    Column("session_id", String(32), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("detail", JSON, nullable=True),
    Index("ix_audit_events_at", "at"),  # the retention purge (0001)
    Index("ix_audit_events_user_id", "user_id"),
    # The look-ups of AuditLog.list_events, newest first (0003).
    Index("ix_audit_events_session_id", "session_id"),
    Index("ix_audit_events_event", "event", "id"),
)

# Throttled attempts, aggregated: one row per (event, hour, address, user) with a count, so a
# flood of refused logins adds a row per address per hour, not one per request (0003).
# '' stands for "not known" in the key columns (a primary key cannot hold NULL).
throttled_attempts = Table(
    "throttled_attempts",
    metadata,
    Column("event", String(32), primary_key=True),
    Column("window_start", Double, primary_key=True),
    Column("ip", String(64), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("last_at", Double, nullable=False),
    Index("ix_throttled_attempts_window_start", "window_start"),
)

# --- OAuth 2.1 / OpenID Connect provider (DESIGN §11, migration 0004) ----------------------

# Registered clients. A confidential client's secret is stored as its SHA-256 only: secrets
# are 256-bit random values, so a fast hash loses nothing against guessing.
oauth_clients = Table(
    "oauth_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("client_type", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=True),
    Column("redirect_uris", JSON, nullable=False),
    Column("post_logout_redirect_uris", JSON, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("first_party", Boolean, nullable=False),
    Column("created_at", Double, nullable=False),
    # NULL: RS256, which every OpenID Connect client can verify.
    Column("id_token_signed_response_alg", String(16), nullable=True),
    CheckConstraint("client_type IN ('public', 'confidential')", name="client_type"),
)

# What a user approved for a third-party client: the consent page is not shown again for
# a request within these scopes. Removing the client (or the user) removes it.
oauth_consents = Table(
    "oauth_consents",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "client_id",
        String(64),
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("scope", String(1000), nullable=False),
    Column("granted_at", Double, nullable=False),
    Index("ix_oauth_consents_client_id", "client_id"),
)

# Authorization codes (RFC 6749 §4.1.2): only the SHA-256 of the code is stored; a code is
# used once (``used_at``), and ``issued_session_id`` names what its exchange issued so a
# second use can revoke it (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("browser_session_id", String(32), nullable=False),
    Column("redirect_uri", String(2048), nullable=False),
    Column("code_challenge", String(128), nullable=False),
    Column("scope", String(1000), nullable=False),
    Column("nonce", String(512), nullable=True),
    Column("auth_time", Double, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("used_at", Double, nullable=True),
    Column("issued_session_id", String(32), nullable=True),
    Index("ix_oauth_codes_expires_at", "expires_at"),
)

# An OAuth grant is a session (the §6 refresh-token family) owned by one client: a refresh
# token presented by another client is refused before anything rotates.
oauth_grants = Table(
    "oauth_grants",
    metadata,
    Column(
        "session_id",
        String(32),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("client_id", String(64), nullable=False),
    Column("scope", String(1000), nullable=False),
    Column("auth_time", Double, nullable=False),
    Column("browser_session_id", String(32), nullable=False),
    Index("ix_oauth_grants_client_id", "client_id"),
)

# --- accounts: verification, recovery, mail (DESIGN §12, migration 0006) -------------------

# Single-use links mailed to a user (password reset, address verification). Only the SHA-256
# of the token is stored: tokens are 256-bit random values, so a fast hash loses nothing
# against guessing, and a copy of the database opens no account. ``email`` is the address
# the link was sent to (a verification of a new address changes the account's address).
account_tokens = Table(
    "account_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("used_at", Double, nullable=True),
    CheckConstraint("purpose IN ('password_reset', 'verify_email')", name="purpose"),
    Index("ix_account_tokens_user_id", "user_id"),
)

# The durable outbox: a mail is written here in the transaction that decides to send it and
# delivered by a background task; a crash or an SMTP outage loses nothing. ``sending`` rows
# are leased (``lease_until``) so one instance delivers each; the bodies of sent mails are
# cleared (they hold single-use links).
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("recipient", String(320), nullable=False),
    Column("recipient_name", String(200), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("next_attempt_at", Double, nullable=False),
    Column("lease_until", Double, nullable=True),
    Column("sent_at", Double, nullable=True),
    Column("last_error", String(200), nullable=True),
    CheckConstraint("state IN ('pending', 'sending', 'sent', 'dead')", name="state"),
    Index("ix_mail_outbox_state", "state", "next_attempt_at"),
)

# --- Federation: signing in with another identity provider (DESIGN §14, migration 0009) ----

# Upstream providers (``jotauth providers add``). The client secret is sealed with the server
# secret (store/sealing.py, purpose "federation client secret", bound to the provider's name).
# Endpoints are stored as discovered when the provider was added, so starting a sign-in never
# waits on the provider's discovery document.
federation_providers = Table(
    "federation_providers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("issuer", String(2048), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("client_secret_nonce", LargeBinary, nullable=False),
    Column("client_secret_sealed", LargeBinary, nullable=False),
    Column("authorize_url", String(2048), nullable=False),
    Column("token_url", String(2048), nullable=False),
    Column("userinfo_url", String(2048), nullable=True),
    Column("emails_url", String(2048), nullable=True),
    Column("jwks_uri", String(2048), nullable=True),
    Column("iss_parameter_supported", Boolean, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("trusted_email_domains", JSON, nullable=False),
    Column("claims", JSON, nullable=False),
    Column("created_at", Double, nullable=False),
    # The provider's ID token may vouch for the second factor (amr "mfa"): migration 0015.
    Column("accept_mfa", Boolean, nullable=False, server_default=false()),
    CheckConstraint("kind IN ('oidc', 'oauth2')", name="kind"),
)

# A provider identity linked to an account, keyed by (issuer, subject) and never by email:
# the unique key is what makes "one provider identity, two accounts" impossible.
federated_identities = Table(
    "federated_identities",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("issuer", String(2048), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("email", String(320), nullable=True),
    Column("created_at", Double, nullable=False),
    Column("last_used_at", Double, nullable=False),
    UniqueConstraint("issuer", "subject", name="uq_federated_identities_issuer_subject"),
    Index("ix_federated_identities_user_id", "user_id"),
)

# --- Second factors (DESIGN §13, migration 0012) -------------------------------------------

# One TOTP factor per user (RFC 6238). The shared secret is sealed with the server secret
# (store/sealing.py, purpose "totp secret", bound to the user id) like signing keys: a copy of
# the database alone yields no codes. ``confirmed_at`` stays NULL until a first code proved
# the authenticator app holds the secret; ``last_used_step`` is the time step of the last
# accepted code, so a code (or an earlier one) is never accepted twice (RFC 6238 §5.2).
# ``pending_attempt`` binds an enrolment started with an mfa_token (the policy held the
# login) to that login attempt: only it may show the pending secret again or confirm it.
totp_factors = Table(
    "totp_factors",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("secret_nonce", LargeBinary, nullable=False),
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("confirmed_at", Double, nullable=True),
    Column("last_used_step", BigInteger, nullable=True),
    Column("pending_attempt", String(64), nullable=True),
)

# Recovery codes: only their SHA-256 (the codes carry 80 random bits, so a fast hash loses
# nothing against guessing); ``used_at`` marks a spent code. Regenerating replaces them all.
recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("used_at", Double, nullable=True),
    Index("ix_recovery_codes_user_id", "user_id"),
)

# The ``mfa_token`` between a first factor and the second: only its SHA-256, 5 minutes, used
# once, bound to what the first step decided (user, how the refresh token travels and how the
# access token is delivered, the first factor's amr, the purpose and, for a
# re-authentication, the session). ``attempts`` counts
# wrong proofs: a few are allowed, then the token is gone. ``enrollment`` marks a login the
# MFA policy holds until the user enrols a factor.
mfa_challenges = Table(
    "mfa_challenges",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("session_id", String(32), nullable=True),
    Column("refresh_delivery", String(8), nullable=True),
    Column("delivery", String(8), nullable=False),
    Column("first_amr", JSON, nullable=False),
    Column("enrollment", Boolean, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("used_at", Double, nullable=True),
    CheckConstraint("purpose IN ('login', 'reauth', 'authorize')", name="purpose"),
    Index("ix_mfa_challenges_user_id", "user_id"),
    Index("ix_mfa_challenges_expires_at", "expires_at"),
)

# --- Passkeys (WebAuthn, DESIGN §13, migration 0013) ---------------------------------------

# A registered WebAuthn credential. ``credential_id`` is the authenticator's id (base64url,
# unique: one credential, one account); ``public_key`` the COSE key from the attestation.
# ``sign_count`` is the last counter seen: one going backwards means a cloned authenticator
# (WebAuthn L2 §6.1.1). ``backup_eligible`` never changes for a credential (L3 §6.1.3);
# ``backup_state`` follows each assertion. ``aaguid`` names the authenticator model.
webauthn_credentials = Table(
    "webauthn_credentials",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("credential_id", String(1400), nullable=False, unique=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", JSON, nullable=False),
    Column("backup_eligible", Boolean, nullable=False),
    Column("backup_state", Boolean, nullable=False),
    Column("aaguid", String(36), nullable=False),
    Column("name", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("last_used_at", Double, nullable=True),
    Index("ix_webauthn_credentials_user_id", "user_id"),
)

# A WebAuthn challenge handed out and not used yet: only its SHA-256, a few minutes, used
# once, bound to its purpose (registration, passwordless sign-in, second factor) and to what
# asked for it (the user and their session, or the login attempt's mfa_token).
webauthn_challenges = Table(
    "webauthn_challenges",
    metadata,
    Column("challenge_hash", String(64), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("bound_to", String(64), nullable=True),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    CheckConstraint("purpose IN ('register', 'login', 'second_factor')", name="purpose"),
    Index("ix_webauthn_challenges_expires_at", "expires_at"),
)
