"""Signing in with another identity provider (DESIGN §14), free of HTTP.

``providers`` (the configured upstream providers, secrets sealed), ``pending`` (the sealed
state, nonce and PKCE verifier of a started sign-in), ``upstream`` (Authlib's httpx client,
ID tokens verified with jotauth's own verifier), ``identities`` (linked identities keyed by
issuer and subject) and ``flows`` (the use cases and the linking rules).
``jotauth.server.routes.federation`` is the HTTP side, ``jotauth.cli.providers`` the CLI.
"""

from jotauth.federation.errors import (
    FederationError,
    FederationRefused,
    FlowStateInvalid,
    IdentityAlreadyLinked,
    IdentityNotFound,
    InvalidProviderConfig,
    LastSignInMethod,
    LinkRequired,
    ProviderEmailUnverified,
    ProviderExists,
    ProviderUnavailable,
    UnknownProvider,
)
from jotauth.federation.flows import Completed, Federation, Started
from jotauth.federation.identities import LinkedIdentities, LinkedIdentity
from jotauth.federation.pending import PendingSignIns
from jotauth.federation.providers import (
    ProviderEndpoints,
    ProviderKind,
    ProviderRegistry,
    UpstreamProvider,
    discover,
)
from jotauth.federation.upstream import Assertion, UpstreamClient

__all__ = [
    "Assertion",
    "Completed",
    "Federation",
    "FederationError",
    "FederationRefused",
    "FlowStateInvalid",
    "IdentityAlreadyLinked",
    "IdentityNotFound",
    "InvalidProviderConfig",
    "LastSignInMethod",
    "LinkRequired",
    "LinkedIdentities",
    "LinkedIdentity",
    "PendingSignIns",
    "ProviderEmailUnverified",
    "ProviderEndpoints",
    "ProviderExists",
    "ProviderKind",
    "ProviderRegistry",
    "ProviderUnavailable",
    "Started",
    "UnknownProvider",
    "UpstreamClient",
    "UpstreamProvider",
    "discover",
]
