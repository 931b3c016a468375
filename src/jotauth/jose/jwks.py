"""JWK Sets (RFC 7517 §5): publish ours, import others' strictly."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import InvalidKey, InvalidKeySet, MissingKeyId, UnknownKey
from .jwk import ALGORITHMS, Algorithm, Key

DEFAULT_MAX_KEYS = 50
_log = logging.getLogger("jotauth.jose")


class KeySet:
    """Verification keys by ``kid``; each key carries its own algorithm."""

    __slots__ = ("_by_kid", "_only", "get")

    def __init__(self, keys: Iterable[Key] = ()) -> None:
        self._by_kid: dict[str, Key] = {}
        for key in keys:
            if key.kid in self._by_kid:
                raise InvalidKeySet(f"two keys share the kid {key.kid!r}")
            self._by_kid[key.kid] = key
        self._only = next(iter(self._by_kid.values())) if len(self._by_kid) == 1 else None
        # ``get(kid)``: the key for ``kid``, or None; no kid finds the only key of a set of
        # one (a JWKS with one key may leave kid out). A dict's own method, so a verifier's
        # look-up on every cached token costs no Python frame; the set is never changed.
        table: dict[str | None, Key] = {kid: key for kid, key in self._by_kid.items()}
        if self._only is not None:
            table[None] = self._only
        self.get: Callable[[str | None], Key | None] = table.get

    @classmethod
    def from_jwks(
        cls,
        document: object,
        *,
        algorithms: Iterable[Algorithm] = ALGORITHMS,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> KeySet:
        """Import the signature keys of a JWKS document.

        A document that is not an object with a ``keys`` array is an error. Individual keys
        that are not for signatures, use an algorithm outside ``algorithms``, or are
        malformed are skipped (a JWKS may legitimately hold encryption keys), as are keys
        beyond ``max_keys``, so a hostile endpoint cannot make us hold unbounded state.
        """
        if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
            raise InvalidKeySet()
        allowed = set(algorithms)
        rsa_algs = [alg for alg in allowed if alg in ("RS256", "PS256")]
        keys: list[Key] = []
        seen: set[str] = set()
        for jwk in document["keys"]:
            if len(keys) >= max_keys:
                _log.warning("JWKS holds more than %d keys; the rest are ignored", max_keys)
                break
            if not isinstance(jwk, Mapping):
                # Not a JWK at all: the document is garbage, not a set with a bad key in it,
                # and must not replace keys a client already holds.
                raise InvalidKeySet("a JWKS entry is not a JSON object")
            if jwk.get("kty") == "oct":
                continue
            alg = jwk.get("alg")
            if alg is None and jwk.get("kty") == "RSA" and len(rsa_algs) == 1:
                alg = rsa_algs[0]
            try:
                key = Key.from_jwk(jwk, alg=alg) if alg is not None else Key.from_jwk(jwk)
            except InvalidKey as exc:
                _log.info("skipping a JWKS key: %s", exc.detail)
                continue
            if key.alg not in allowed or key.kid in seen:
                continue
            seen.add(key.kid)
            keys.append(key)
        return cls(keys)

    def require(self, kid: str | None) -> Key:
        """The key for ``kid``, or :class:`UnknownKey`/:class:`MissingKeyId`."""
        key = self.get(kid)
        if key is None:
            raise MissingKeyId() if kid is None else UnknownKey()
        return key

    def __iter__(self) -> Any:
        return iter(self._by_kid.values())

    def __len__(self) -> int:
        return len(self._by_kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid

    def to_jwks(self) -> dict[str, Any]:
        """The public JWKS document for these keys."""
        return {"keys": [key.public_jwk() for key in self._by_kid.values()]}
