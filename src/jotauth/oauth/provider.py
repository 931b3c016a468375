"""The provider's use cases, composed from the services of the auth server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jotauth.accounts import AccessTokenIssuer, AccessTokenPolicy, OwnTokenVerifier
from jotauth.keys import SigningKeyRings
from jotauth.oauth.authorization import Authorization
from jotauth.oauth.clients import ClientRegistry
from jotauth.oauth.codes import AuthorizationCodes
from jotauth.oauth.consents import Consents
from jotauth.oauth.grant_records import GrantRecords
from jotauth.oauth.grants import Grants
from jotauth.oauth.id_tokens import IdTokenIssuer
from jotauth.oauth.logout import EndSession
from jotauth.oauth.token_status import TokenStatus
from jotauth.sessions import SessionService
from jotauth.store import Store
from jotauth.users import UserService


@dataclass(frozen=True, slots=True)
class OAuthProvider:
    """Every use case of the OAuth 2.1 / OIDC provider (DESIGN §11)."""

    clients: ClientRegistry
    authorization: Authorization
    grants: Grants
    status: TokenStatus
    end_session: EndSession
    # What discovery lists: exactly the algorithms there are keys for.
    id_token_algorithms: tuple[str, ...]


def build_provider(
    store: Store,
    *,
    policy: AccessTokenPolicy,
    sessions: SessionService,
    users: UserService,
    access_tokens: AccessTokenIssuer,
    verifier: OwnTokenVerifier,
    keys: SigningKeyRings,
    clock: Callable[[], float],
) -> OAuthProvider:
    """Compose the provider on an open store with the server's sessions, users and keys."""
    clients = ClientRegistry(
        store,
        reserved_ids=policy.audience,
        id_token_algorithms=keys.id_token_algorithms,
        clock=clock,
    )
    codes = AuthorizationCodes(store, clock=clock)
    records = GrantRecords(store)
    return OAuthProvider(
        clients=clients,
        authorization=Authorization(
            issuer=policy.issuer,
            clients=clients,
            codes=codes,
            consents=Consents(store, clock=clock),
            sessions=sessions,
            clock=clock,
        ),
        grants=Grants(
            clients=clients,
            codes=codes,
            records=records,
            sessions=sessions,
            users=users,
            access_tokens=access_tokens,
            id_tokens=IdTokenIssuer(
                issuer=policy.issuer, ttl=policy.ttl, signing_key=keys.id_token_key, clock=clock
            ),
            clock=clock,
        ),
        status=TokenStatus(
            issuer=policy.issuer,
            verifier=verifier,
            records=records,
            sessions=sessions,
            users=users,
            clock=clock,
        ),
        end_session=EndSession(
            issuer=policy.issuer, clients=clients, key_set=keys.id_token_key_set
        ),
        id_token_algorithms=keys.id_token_algorithms,
    )
