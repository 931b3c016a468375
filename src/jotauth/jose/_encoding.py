"""Strict base64url (RFC 7515 §2, RFC 4648 §5) and strict JSON for token segments."""

from __future__ import annotations

import base64
import binascii
import json
import json.scanner
from typing import Any

import pybase64

from .errors import BadBase64, BadJson, DuplicateJsonKey

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# base64url -> standard alphabet; '+', '/' and '=' become '*', which validating decoding
# rejects, so one C-level translate both converts and screens the input.
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/***")
_PADDING = (b"", b"", b"==", b"=")
# Bits of the last character that carry no data, by length mod 4 (RFC 4648 §3.5).
_UNUSED_BITS_MASK = (0, 0, 0x0F, 0x03)
_VALUE = bytes(_ALPHABET.index(c) if c in _ALPHABET else 0 for c in range(256))
# pybase64's SIMD decoder, bound once: every uncached token decodes its payload and signature.
# A 342-character RS256 signature took 2.1 µs through binascii.a2b_base64, 1.0 µs through this
# (the translate included): two such segments are a third of what verification adds to the
# signature check itself (issue 15). Positional arguments: keywords cost it another 0.3 µs.
_DECODE = pybase64.b64decode


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as JWS requires."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str | bytes) -> bytes:
    """Decode unpadded, canonical base64url; anything else raises :class:`BadBase64`.

    Padding, whitespace, the standard alphabet and non-zero unused trailing bits are all
    rejected, so exactly one string decodes to a given byte sequence (RFC 4648 §3.5): a
    verified-token cache keyed by token text then cannot be fed equivalent variants.
    """
    if isinstance(segment, str):
        try:
            segment = segment.encode("ascii")
        except UnicodeEncodeError as exc:
            raise BadBase64() from exc
    remainder = len(segment) % 4
    if remainder == 1:
        raise BadBase64()
    if remainder and _VALUE[segment[-1]] & _UNUSED_BITS_MASK[remainder]:
        raise BadBase64("a segment has non-zero unused trailing bits (non-canonical base64url)")
    try:
        # validate=True: anything outside the alphabet (and the '*' above) is refused.
        return _DECODE(segment.translate(_TO_STANDARD) + _PADDING[remainder], None, True)
    except (binascii.Error, ValueError) as exc:
        raise BadBase64() from exc


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # RFC 7515 §5.2: duplicate member names must be rejected, or two parsers may disagree
    # on which value counts.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise DuplicateJsonKey()
    return result


def _reject_constant(name: str) -> Any:
    raise BadJson(f"{name} is not JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant
)
# The C scanner behind _DECODER, called directly: JSONDecoder.decode adds two regex passes
# for surrounding whitespace that compact token JSON never has (it falls back below).
_SCAN_ONCE = json.scanner.make_scanner(_DECODER)  # type: ignore[arg-type]


def parse_json_object(data: bytes) -> dict[str, Any]:
    """Parse UTF-8 JSON that must be an object, rejecting duplicates, NaN and Infinity."""
    try:
        text = data.decode("utf-8")
        try:
            value, end = _SCAN_ONCE(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):
            value = _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # DuplicateJsonKey and BadJson from the hooks are not ValueErrors: they pass through.
        raise BadJson() from exc
    if not isinstance(value, dict):
        raise BadJson("the header or payload is JSON but not an object")
    return value


def dump_json(value: Any) -> bytes:
    """Compact JSON, as signed into tokens and used for thumbprints."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )
