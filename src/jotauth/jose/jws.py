"""JWS compact serialization (RFC 7515 §7.1): sign, parse strictly, verify with a bound key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._encoding import b64url_decode, b64url_encode, dump_json, parse_json_object
from .errors import (
    AlgorithmMismatch,
    AlgorithmNone,
    BadHeader,
    BadSegments,
    HeaderKeyForbidden,
    InvalidKey,
    MalformedToken,
    TokenTooLarge,
    UnknownCritical,
)
from .jwk import Key

DEFAULT_MAX_TOKEN_BYTES = 8192
# Header parameters that carry or point to a key. Trusting them lets the token choose the
# key that verifies it (RFC 8725 §3.10), so they are refused outright.
_KEY_BEARING_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c"})


class ParsedToken:
    """A compact JWS split and decoded, nothing verified yet."""

    __slots__ = ("alg", "header", "kid", "payload_segment", "signature", "signing_input")

    def __init__(
        self,
        header: dict[str, Any],
        signing_input: bytes,
        payload_segment: bytes,
        signature: bytes,
    ) -> None:
        self.header = header
        self.alg: str = header["alg"]
        self.kid: str | None = header.get("kid")
        self.signing_input = signing_input
        self.payload_segment = payload_segment
        self.signature = signature

    def payload(self) -> dict[str, Any]:
        """Decode the payload as a strict JSON object."""
        return parse_json_object(b64url_decode(self.payload_segment))


HeaderCache = dict[bytes, dict[str, Any]]
_HEADER_CACHE_LIMIT = 256


def token_bytes(token: str | bytes, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> bytes:
    """The token as ASCII bytes, refusing oversized and non-text input before any work."""
    if isinstance(token, str):
        if len(token) > max_bytes:
            raise TokenTooLarge()
        try:
            return token.encode("ascii")
        except UnicodeEncodeError as exc:
            raise MalformedToken("the token contains non-ASCII characters") from exc
    if isinstance(token, bytes | bytearray):
        if len(token) > max_bytes:
            raise TokenTooLarge()
        return bytes(token)
    raise MalformedToken("the token must be text")


def parse_compact(
    token: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
    header_cache: HeaderCache | None = None,
) -> ParsedToken:
    """Split and decode a compact JWS, applying every structural and header rule.

    Checks, in order: size, ASCII, three segments, canonical base64url, JSON object
    header without duplicates, ``alg`` present and not ``none``, no key-bearing header
    parameters, no ``crit``. The signature is *not* checked here.
    """
    # Exact bytes have been through token_bytes already (the verifier passes them so).
    raw = (
        token
        if type(token) is bytes and len(token) <= max_bytes
        else token_bytes(token, max_bytes=max_bytes)
    )
    segments = raw.split(b".")
    if len(segments) != 3:
        raise BadSegments(
            "JWE and other serializations are not accepted"
            if len(segments) == 5
            else "a JWS compact token has exactly three dot-separated segments"
        )
    header_segment, payload_segment, signature_segment = segments
    if not header_segment:
        raise BadSegments("the header segment is empty")
    # Every token a key signs has the same header segment, so a verifier may keep the
    # already-validated headers by exact segment bytes (bounded; only valid ones stored).
    header = header_cache.get(header_segment) if header_cache is not None else None
    if header is None:
        header = parse_json_object(b64url_decode(header_segment))
        _check_header(header)
        if header_cache is not None:
            if len(header_cache) >= _HEADER_CACHE_LIMIT:
                header_cache.clear()
            header_cache[header_segment] = header
    signature = b64url_decode(signature_segment)
    signing_input = raw[: len(header_segment) + 1 + len(payload_segment)]
    return ParsedToken(header, signing_input, payload_segment, signature)


def _check_header(header: dict[str, Any]) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise BadHeader("the header has no alg")
    if alg.lower() == "none":
        raise AlgorithmNone()
    if _KEY_BEARING_HEADERS.intersection(header):
        raise HeaderKeyForbidden()
    if "crit" in header:
        # RFC 7515 §4.1.11: a recipient that does not understand a listed extension must
        # reject the JWS. We implement none (not even b64=false, RFC 7797).
        raise UnknownCritical()
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise BadHeader("kid must be a non-empty string")
    typ = header.get("typ")
    if typ is not None and not isinstance(typ, str):
        raise BadHeader("typ must be a string")


def verify_signature(parsed: ParsedToken, key: Key) -> None:
    """Verify ``parsed`` with ``key``, whose own algorithm must be the header's ``alg``."""
    if parsed.alg != key.alg:
        raise AlgorithmMismatch(f"the token says {parsed.alg}, its key is for {key.alg}")
    key.verify(parsed.signing_input, parsed.signature)


def encode(
    claims: Mapping[str, Any],
    key: Key,
    *,
    typ: str | None = "at+jwt",
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``claims`` into a compact JWS with ``key`` (header: alg, kid, typ)."""
    if not key.is_private:
        raise InvalidKey("signing needs a private key or a secret")
    header: dict[str, Any] = {"alg": key.alg, "kid": key.kid}
    if typ is not None:
        header["typ"] = typ
    if headers:
        for name, value in headers.items():
            if name in ("alg", "kid") or name in _KEY_BEARING_HEADERS or name == "crit":
                raise ValueError(f"header parameter {name!r} cannot be set")
            header[name] = value
    header_segment = b64url_encode(dump_json(header))
    payload_segment = b64url_encode(dump_json(dict(claims)))
    signing_input = f"{header_segment}.{payload_segment}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def decode_unverified(
    token: str | bytes, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a token WITHOUT verifying anything: never use them to decide."""
    parsed = parse_compact(token, max_bytes=max_bytes)
    return parsed.header, parsed.payload()
