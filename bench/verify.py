"""Token verification speed, side by side in one process, on the same token.

Prints a table per algorithm: raw `cryptography` signature verify (the floor), jotauth
uncached verify, jotauth cached verify, PyJWT decode and joserfc decode; then the memory
of 10,000 cached tokens. Figures, not assertions: run it with `make bench`.

Method: the contenders run interleaved in short batches for several rounds and each keeps
its best batch, which filters out the noise of a shared machine while keeping every figure
from the same minutes.
"""

from __future__ import annotations

import argparse
import gc
import time
import timeit
import tracemalloc
from collections.abc import Callable

import jwt as pyjwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import import_key

from jotauth.jose import Key, KeySet, encode
from jotauth.jose.jws import parse_compact
from jotauth.verify import TokenVerifier

ISSUER = "https://auth.example.com"
AUDIENCE = "lessons-api"


def make_claims(now: int, serial: int = 0) -> dict[str, object]:
    return {
        "iss": ISSUER,
        "sub": f"user-{serial}",
        "aud": AUDIENCE,
        "exp": now + 900,
        "iat": now,
        "jti": f"{serial:032x}",
        "sid": "0f6c2b8e4d1a4f7e9c3b5a2d8e1f4c7b",
        "scope": "lessons:read lessons:write",
        "roles": ["student"],
    }


def raw_verifier(key: Key, token: str) -> Callable[[], None]:
    """The bare `cryptography` call on pre-decoded signature and signing input."""
    parsed = parse_compact(token)
    public = key.public_key().cryptography_key()
    data, signature = parsed.signing_input, parsed.signature
    if key.alg == "RS256":
        pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
        return lambda: public.verify(signature, data, pkcs1, sha256)  # type: ignore[call-arg,arg-type,union-attr]
    if key.alg == "ES256":
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        ecdsa = ec.ECDSA(hashes.SHA256())
        return lambda: public.verify(der, data, ecdsa)  # type: ignore[call-arg,arg-type,union-attr]
    return lambda: public.verify(signature, data)  # type: ignore[call-arg,union-attr]


def contenders(alg: str) -> dict[str, Callable[[], object]]:
    key = Key.generate(alg)  # type: ignore[arg-type]
    now = int(time.time())
    token = encode(make_claims(now), key)
    keyset = KeySet([key.public_key()])
    uncached = TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=keyset,
        algorithms=(alg,),
        cache_size=0,  # type: ignore[arg-type]
    )
    cached = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=keyset, algorithms=(alg,))  # type: ignore[arg-type]
    cached.verify(token)
    public = key.public_key().cryptography_key()
    pyjwt_key = pyjwt.PyJWK(key.public_key().public_jwk())
    joserfc_key = import_key(key.public_key().public_jwk())
    registry = joserfc_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": AUDIENCE}
    )

    def pyjwt_decode() -> object:
        return pyjwt.decode(token, pyjwt_key, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)

    def joserfc_decode() -> object:
        result = joserfc_jwt.decode(token, joserfc_key, algorithms=[alg])
        registry.validate(result.claims)
        return result

    del public
    return {
        "cryptography (raw verify)": raw_verifier(key, token),
        "jotauth verify (uncached)": lambda: uncached.verify(token),
        "jotauth verify (cached)": lambda: cached.verify(token),
        "PyJWT decode": pyjwt_decode,
        "joserfc decode": joserfc_decode,
    }


def measure(
    functions: dict[str, Callable[[], object]], rounds: int, batch: int
) -> dict[str, float]:
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, function in functions.items():
            best[name] = min(best[name], timeit.timeit(function, number=batch) / batch)
    return best


def cached_memory(count: int) -> float:
    key = Key.generate("RS256")
    now = int(time.time())
    tokens = [encode(make_claims(now, serial), key) for serial in range(count)]
    verifier = TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, keys=KeySet([key.public_key()]), cache_size=count
    )
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for token in tokens:
        verifier.verify(token)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(verifier.cache) == count
    return (after - before) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    for alg in ("RS256", "ES256", "EdDSA"):
        results = measure(contenders(alg), args.rounds, args.batch)
        floor = results["cryptography (raw verify)"]
        print(f"\n{alg}  (best of {args.rounds} interleaved batches of {args.batch})")
        print(f"  {'contender':<28}{'µs/token':>10}{'x raw verify':>14}")
        for name, seconds in results.items():
            print(f"  {name:<28}{seconds * 1e6:>10.2f}{seconds / floor:>14.2f}")
    print(f"\nmemory of 10,000 cached RS256 tokens (tracemalloc): {cached_memory(10_000):.1f} MB")


if __name__ == "__main__":
    main()
