"""The access-token key ring and, beside it, the RS256 ring for ID tokens.

OpenID Connect Core §15.1 makes RS256 the one algorithm every relying party can verify, and
DESIGN §11 promises it for ID tokens whatever signs the access tokens. When access tokens
are RS256 one ring serves both; otherwise (ES256, PS256, EdDSA) a second ring of RS256 keys
lives beside it with its own rotation. :class:`SigningKeyRings` is a :class:`SigningKeys`
(the server, the CLI and the rotation loop use it unchanged): access tokens are signed by
and verified against the access ring only, the JWKS publishes both rings.
"""

from __future__ import annotations

from typing import Any

from jotauth import jose
from jotauth.jose import Algorithm
from jotauth.keys.errors import SigningKeysError
from jotauth.keys.lifecycle import ManagedKey
from jotauth.keys.signing import RotationResult, SigningKeys

ID_TOKEN_DEFAULT_ALGORITHM: Algorithm = "RS256"


def id_token_algorithms(access_algorithm: Algorithm) -> tuple[Algorithm, ...]:
    """The ID-token algorithms a server signing access tokens with ``access_algorithm``
    has keys for: RS256 first, then the access tokens' own."""
    if access_algorithm == ID_TOKEN_DEFAULT_ALGORITHM:
        return (ID_TOKEN_DEFAULT_ALGORITHM,)
    return (ID_TOKEN_DEFAULT_ALGORITHM, access_algorithm)


class SigningKeyRings:
    """Both rings behind the :class:`SigningKeys` interface, plus the ID-token look-ups."""

    def __init__(
        self, access: SigningKeys, *, access_algorithm: Algorithm, rs256: SigningKeys | None
    ) -> None:
        """``rs256`` is the ID-token ring; None when ``access_algorithm`` is RS256 already."""
        if (rs256 is None) != (access_algorithm == ID_TOKEN_DEFAULT_ALGORITHM):
            raise ValueError("an RS256 ID-token ring exactly when access tokens are not RS256")
        self._access = access
        self._access_algorithm = access_algorithm
        self._rs256 = rs256
        self._rings = (access,) if rs256 is None else (access, rs256)
        self._jwks_for: tuple[object, ...] = ()
        self._jwks: dict[str, Any] = {"keys": []}
        self._id_key_set_for: tuple[object, ...] = ()
        self._id_key_set = jose.KeySet()

    @property
    def id_token_algorithms(self) -> tuple[Algorithm, ...]:
        """The ID-token algorithms that work: RS256 first, then the access tokens' one."""
        return id_token_algorithms(self._access_algorithm)

    def id_token_key(self, alg: str) -> jose.Key:
        """The key that signs ID tokens with ``alg`` now (one of :attr:`id_token_algorithms`)."""
        if alg == ID_TOKEN_DEFAULT_ALGORITHM and self._rs256 is not None:
            return self._rs256.signing_key()
        if alg == self._access_algorithm:
            return self._access.signing_key()
        raise SigningKeysError(f"no signing key for ID tokens with {alg}")

    def id_token_key_set(self) -> jose.KeySet:
        """Every published key that may have signed an ID token (for ``id_token_hint``)."""
        if self._rs256 is None:
            return self._access.key_set()
        sets = tuple(ring.key_set() for ring in self._rings)
        if sets != self._id_key_set_for:
            # Rebuilt only when a ring published a new snapshot (the hot path stays a lookup).
            self._id_key_set_for = sets
            self._id_key_set = jose.KeySet(key for keys in sets for key in keys)
        return self._id_key_set

    # --- SigningKeys --------------------------------------------------------------------------

    def signing_key(self) -> jose.Key:
        """The key that signs access tokens now."""
        return self._access.signing_key()

    def jwks(self) -> dict[str, Any]:
        """The public JWKS of both rings."""
        documents = tuple(ring.jwks() for ring in self._rings)
        if documents != self._jwks_for:
            self._jwks_for = documents
            self._jwks = {"keys": [key for document in documents for key in document["keys"]]}
        return self._jwks

    def key_set(self) -> jose.KeySet:
        """The access ring's keys only: an ID-token key never verifies an access token."""
        return self._access.key_set()

    def managed_keys(self) -> list[ManagedKey]:
        """Every key of both rings (for ``jotauth keys list``)."""
        return [key for ring in self._rings for key in ring.managed_keys()]

    async def start(self) -> None:
        """Start both rings."""
        for ring in self._rings:
            await ring.start()

    async def load(self) -> None:
        """Reload both rings."""
        for ring in self._rings:
            await ring.load()

    async def tick(self) -> None:
        """One rotation step of each ring."""
        for ring in self._rings:
            await ring.tick()

    async def rotate(self, *, force: bool = False) -> RotationResult:
        """Rotate both rings; the result reports the access ring."""
        result = await self._access.rotate(force=force)
        if self._rs256 is not None:
            await self._rs256.rotate(force=force)
        return result

    async def revoke(self, kid: str) -> RotationResult:
        """Revoke ``kid`` in whichever ring holds it."""
        if self._rs256 is not None:
            await self._rs256.load()
            if any(k.kid == kid for k in self._rs256.managed_keys()):
                return await self._rs256.revoke(kid)
        return await self._access.revoke(kid)
