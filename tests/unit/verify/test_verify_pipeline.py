"""One verify pipeline: ``verify`` and ``averify`` share a pure core, so over any key source
they agree on every token; the async path only adds the rate-limited key refetch."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from jotauth.jose import InvalidToken, Key, KeySet, MissingKeyId, UnknownKey, encode
from jotauth.verify import JWKSClient, SyncJWKSClient, TokenVerifier

ISSUER = "https://auth.example.test"
AUDIENCE = "lessons-api"
NOW = 1_800_000_000
JWKS_URL = "https://auth.example.test/.well-known/jwks.json"
KEY = Key.generate("ES256", kid="k1")
OTHER = Key.generate("ES256", kid="k2")
SPARE = Key.generate("ES256", kid="k0")  # two keys published: a token must name its kid


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"iss": ISSUER, "sub": "u", "aud": AUDIENCE, "iat": NOW, "exp": NOW + 60}
    base.update(overrides)
    return base


def verifier(keys: Any) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, keys=keys, algorithms=("ES256",), clock=lambda: NOW
    )


class JwksEndpoint:
    """A JWKS endpoint over httpx.MockTransport that counts its requests."""

    def __init__(self, *keys: Key) -> None:
        self.keys = list(keys)
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        document = KeySet([k.public_key() for k in self.keys]).to_jwks()
        return httpx.Response(200, content=json.dumps(document).encode())


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def without_kid(payload: dict[str, Any]) -> str:
    signing_input = f"{b64({'alg': 'ES256', 'typ': 'at+jwt'})}.{b64(payload)}"
    signature = base64.urlsafe_b64encode(KEY.sign(signing_input.encode())).rstrip(b"=")
    return f"{signing_input}.{signature.decode()}"


TOKENS = {
    "valid": encode(claims(), KEY),
    "expired": encode(claims(exp=NOW - 3600), KEY),
    "wrong audience": encode(claims(aud="other"), KEY),
    "unknown kid": encode(claims(), OTHER),
    "no kid": without_kid(claims()),
    "forged signature": encode(claims(), KEY)[:-4] + "AAAA",
    "garbage": "not.a.token",
    "empty": "",
}


def outcome(call: Any) -> object:
    try:
        return call().sub
    except InvalidToken as error:
        return type(error), error.code


@pytest.mark.parametrize("name", sorted(TOKENS))
async def test_verify_and_averify_agree_on_every_token(name: str) -> None:
    token = TOKENS[name]
    sync_result = outcome(
        lambda: verifier(KeySet([KEY.public_key(), SPARE.public_key()])).verify(token)
    )
    async_verifier = verifier(KeySet([KEY.public_key(), SPARE.public_key()]))
    try:
        async_result: object = (await async_verifier.averify(token)).sub
    except InvalidToken as error:
        async_result = type(error), error.code
    assert async_result == sync_result
    assert (name == "valid") == (sync_result == "u")


async def test_an_unknown_kid_costs_one_refetch_then_the_same_core_verifies() -> None:
    endpoint = JwksEndpoint(KEY, SPARE)
    client = JWKSClient(
        JWKS_URL, http_client=httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    )
    checker = verifier(client)
    assert (await checker.averify(encode(claims(), KEY))).sub == "u"
    assert endpoint.requests == 1  # the cold start
    endpoint.keys.append(OTHER)  # a rotation publishes k2
    assert (await checker.averify(encode(claims(sub="v"), OTHER))).sub == "v"
    assert endpoint.requests == 2  # exactly one refetch for the unknown kid
    await checker.averify(encode(claims(sub="w"), OTHER))
    assert endpoint.requests == 2  # now known: no more fetches


async def test_a_token_without_kid_never_triggers_a_refetch() -> None:
    endpoint = JwksEndpoint(KEY, SPARE)
    client = JWKSClient(
        JWKS_URL, http_client=httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    )
    checker = verifier(client)
    await checker.averify(encode(claims(), KEY))
    with pytest.raises(MissingKeyId):
        await checker.averify(TOKENS["no kid"])
    assert endpoint.requests == 1


async def test_averify_over_a_blocking_client_uses_the_same_path_as_verify() -> None:
    endpoint = JwksEndpoint(KEY, SPARE)
    client = SyncJWKSClient(
        JWKS_URL, http_client=httpx.Client(transport=httpx.MockTransport(endpoint))
    )
    checker = verifier(client)
    first = await checker.averify(TOKENS["valid"])
    assert checker.verify(TOKENS["valid"]) is first  # one cache for both entry points
    with pytest.raises(UnknownKey):
        await checker.averify(TOKENS["unknown kid"])
    assert endpoint.requests == 2  # the cold start, then one refetch for k2
