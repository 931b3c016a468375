"""Keys bound to exactly one algorithm: signing, verification, JWK and PEM import/export.

A :class:`Key` is the only thing that can verify a signature, and it uses *its own*
algorithm. The token header's ``alg`` is only compared with it, never used to choose how to
verify: that is what closes algorithm confusion (RS256 public key used as an HS256 secret)
and ``alg: none`` (RFC 8725 §2.1, §3.1).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ._encoding import b64url_decode, b64url_encode, dump_json
from .errors import (
    BadBase64,
    BadSignature,
    BadSignatureLength,
    InvalidKey,
    SignatureOutOfRange,
    WeakKey,
)

Algorithm = Literal["RS256", "PS256", "ES256", "EdDSA", "HS256"]
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)
ASYMMETRIC_ALGORITHMS: tuple[Algorithm, ...] = ("RS256", "PS256", "ES256", "EdDSA")

MIN_RSA_BITS = 2048
MIN_HMAC_BYTES = 32
# Order of the P-256 group: ECDSA signature components must lie in [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

_PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
_PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


def _int_to_b64(value: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(size, "big"))


def _b64_to_int(value: object, name: str) -> int:
    return int.from_bytes(_member_bytes(value, name), "big")


def _member_bytes(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidKey(f"JWK member {name!r} must be a non-empty base64url string")
    try:
        return b64url_decode(value)
    except BadBase64 as exc:
        raise InvalidKey(f"JWK member {name!r} is not base64url") from exc


class Key:
    """A signing or verification key bound to one JWS algorithm.

    Build one with :meth:`generate`, :meth:`from_jwk`, :meth:`from_pem`,
    :meth:`from_cryptography` or :meth:`hmac`. Instances are immutable.
    """

    __slots__ = (
        "_certificate",
        "_private",
        "_public",
        "_secret",
        "_signature_length",
        "alg",
        "kid",
    )

    _RSA_PKCS1: ClassVar[padding.PKCS1v15] = padding.PKCS1v15()
    _RSA_PSS: ClassVar[padding.PSS] = padding.PSS(
        mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH
    )
    _SHA256: ClassVar[hashes.SHA256] = hashes.SHA256()
    _ECDSA: ClassVar[ec.ECDSA] = ec.ECDSA(hashes.SHA256())

    alg: Algorithm
    kid: str

    def __init__(
        self,
        alg: Algorithm,
        *,
        private: _PrivateKey | None = None,
        public: _PublicKey | None = None,
        secret: bytes | None = None,
        kid: str | None = None,
        certificate: bytes | None = None,
    ) -> None:
        """Prefer the named constructors; this one checks that key and algorithm fit."""
        if alg not in ALGORITHMS:
            raise InvalidKey(f"unsupported algorithm {alg!r}")
        self.alg = alg
        self._private = private
        self._public = public if public is not None else (private.public_key() if private else None)
        self._secret = secret
        self._certificate = certificate
        self._signature_length = self._check_fits()
        self.kid = kid if kid is not None else self.thumbprint()
        if not isinstance(self.kid, str) or not self.kid:
            raise InvalidKey("kid must be a non-empty string")

    def _check_fits(self) -> int:
        alg, public = self.alg, self._public
        if alg == "HS256":
            secret = self._secret
            if secret is None or public is not None:
                raise InvalidKey("HS256 takes a secret, not an asymmetric key")
            if len(secret) < MIN_HMAC_BYTES:
                raise WeakKey(f"HS256 secrets must be at least {MIN_HMAC_BYTES} random bytes")
            if _looks_like_public_key(secret):
                # The classic RS/HS confusion: a PEM public key used as an HMAC secret.
                raise InvalidKey("an asymmetric key's encoding cannot be used as an HMAC secret")
            return 32
        if self._secret is not None:
            raise InvalidKey(f"{alg} takes an asymmetric key, not a secret")
        if alg in ("RS256", "PS256"):
            if not isinstance(public, rsa.RSAPublicKey):
                raise InvalidKey(f"{alg} needs an RSA key")
            if public.key_size < MIN_RSA_BITS:
                raise WeakKey(f"RSA keys must have at least {MIN_RSA_BITS} bits")
            return (public.key_size + 7) // 8
        if alg == "ES256":
            if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
                public.curve, ec.SECP256R1
            ):
                raise InvalidKey("ES256 needs a P-256 key")
            return 64
        if not isinstance(public, ed25519.Ed25519PublicKey):
            raise InvalidKey("EdDSA needs an Ed25519 key")
        return 64

    # --- construction -----------------------------------------------------------------

    @classmethod
    def generate(cls, alg: Algorithm, *, kid: str | None = None, rsa_bits: int = 2048) -> Key:
        """A fresh random private key for ``alg`` (RSA 2048 bits unless told otherwise)."""
        if alg in ("RS256", "PS256"):
            return cls(alg, private=rsa.generate_private_key(65537, rsa_bits), kid=kid)
        if alg == "ES256":
            return cls(alg, private=ec.generate_private_key(ec.SECP256R1()), kid=kid)
        if alg == "EdDSA":
            return cls(alg, private=ed25519.Ed25519PrivateKey.generate(), kid=kid)
        if alg == "HS256":
            return cls(alg, secret=secrets.token_bytes(32), kid=kid)
        raise InvalidKey(f"unsupported algorithm {alg!r}")

    @classmethod
    def hmac(cls, secret: bytes, *, kid: str | None = None) -> Key:
        """An HS256 key; refuses secrets under 32 bytes and encoded public keys."""
        return cls("HS256", secret=secret, kid=kid)

    @classmethod
    def from_cryptography(
        cls, key: _PrivateKey | _PublicKey, alg: Algorithm, *, kid: str | None = None
    ) -> Key:
        """Wrap a ``cryptography`` key object."""
        if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            return cls(alg, private=key, kid=kid)
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return cls(alg, private=key, kid=kid)
        if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
            return cls(alg, public=key, kid=kid)
        raise InvalidKey(f"unsupported key type {type(key).__name__}")

    @classmethod
    def from_pem(
        cls,
        pem: bytes,
        alg: Algorithm,
        *,
        kid: str | None = None,
        password: bytes | None = None,
    ) -> Key:
        """Load a PEM private key (PKCS#8 or traditional), public key or certificate."""
        if alg == "HS256":
            raise InvalidKey("HS256 secrets are not PEM keys")
        try:
            if b"PRIVATE KEY" in pem:
                loaded: Any = serialization.load_pem_private_key(pem, password=password)
            elif b"CERTIFICATE" in pem:
                from cryptography import x509

                loaded = x509.load_pem_x509_certificate(pem).public_key()
            else:
                loaded = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError) as exc:
            raise InvalidKey("the PEM data is not a supported key") from exc
        return cls.from_cryptography(loaded, alg, kid=kid)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], *, alg: Algorithm | None = None) -> Key:
        """Import a JWK (RFC 7517/7518/8037). The algorithm comes from ``alg`` or the JWK.

        Without either, an EC P-256 key means ES256 and an Ed25519 key means EdDSA; an RSA
        key is ambiguous (RS256 or PS256) and is refused.
        """
        if not isinstance(jwk, Mapping):
            raise InvalidKey("a JWK is a JSON object")
        kty = jwk.get("kty")
        jwk_alg = jwk.get("alg")
        if jwk_alg is not None and alg is not None and jwk_alg != alg:
            raise InvalidKey(f"the JWK is for {jwk_alg}, not {alg}")
        chosen = alg or jwk_alg or _default_alg(jwk)
        if chosen not in ALGORITHMS:
            raise InvalidKey(f"unsupported or missing algorithm for JWK ({chosen!r})")
        use = jwk.get("use")
        if use is not None and use != "sig":
            raise InvalidKey("the JWK is not a signature key (use != sig)")
        kid = jwk.get("kid")
        if kid is not None and (not isinstance(kid, str) or not kid):
            raise InvalidKey("kid must be a non-empty string")
        certificate = None
        x5c = jwk.get("x5c")
        if isinstance(x5c, list) and x5c and isinstance(x5c[0], str):
            import base64

            try:
                certificate = base64.b64decode(x5c[0], validate=True)
            except ValueError as exc:
                raise InvalidKey("x5c holds standard base64 DER certificates") from exc
        try:
            if kty == "RSA":
                key = cls(chosen, kid=kid, certificate=certificate, **_rsa_from_jwk(jwk))
            elif kty == "EC":
                key = cls(chosen, kid=kid, **_ec_from_jwk(jwk))
            elif kty == "OKP":
                key = cls(chosen, kid=kid, **_okp_from_jwk(jwk))
            elif kty == "oct":
                key = cls(chosen, kid=kid, secret=_member_bytes(jwk.get("k"), "k"))
            else:
                raise InvalidKey(f"unsupported kty {kty!r}")
        except (ValueError, TypeError) as exc:
            if isinstance(exc, InvalidKey):
                raise
            raise InvalidKey("the JWK's key material is invalid") from exc
        return key

    def with_certificate(self, certificate_der: bytes) -> Key:
        """The same key, publishing ``certificate_der`` as ``x5c`` (RSA keys in our JWKS)."""
        return Key(
            self.alg,
            private=self._private,
            public=None if self._private else self._public,
            secret=self._secret,
            kid=self.kid,
            certificate=certificate_der,
        )

    # --- use ----------------------------------------------------------------------------

    @property
    def is_private(self) -> bool:
        """Whether this key can sign."""
        return self._private is not None or self._secret is not None

    @property
    def certificate(self) -> bytes | None:
        """DER certificate published as ``x5c``, if any."""
        return self._certificate

    @property
    def signature_length(self) -> int:
        """Exact byte length of this key's JWS signatures."""
        return self._signature_length

    def sign(self, data: bytes) -> bytes:
        """The JWS signature of ``data`` (ECDSA as raw ``r || s``, RFC 7518 §3.4)."""
        alg, private = self.alg, self._private
        if alg == "HS256":
            assert self._secret is not None
            return hmac.digest(self._secret, data, "sha256")
        if private is None:
            raise InvalidKey("a public key cannot sign")
        if alg == "RS256":
            assert isinstance(private, rsa.RSAPrivateKey)
            return private.sign(data, self._RSA_PKCS1, self._SHA256)
        if alg == "PS256":
            assert isinstance(private, rsa.RSAPrivateKey)
            return private.sign(data, self._RSA_PSS, self._SHA256)
        if alg == "ES256":
            assert isinstance(private, ec.EllipticCurvePrivateKey)
            r, s = decode_dss_signature(private.sign(data, self._ECDSA))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        assert isinstance(private, ed25519.Ed25519PrivateKey)
        return private.sign(data)

    def verify(self, data: bytes, signature: bytes) -> None:
        """Raise :class:`BadSignature` (or a subclass) unless ``signature`` is valid."""
        if len(signature) != self._signature_length:
            raise BadSignatureLength()
        alg, public = self.alg, self._public
        if alg == "HS256":
            assert self._secret is not None
            if not hmac.compare_digest(hmac.digest(self._secret, data, "sha256"), signature):
                raise BadSignature()
            return
        try:
            if alg == "RS256":
                public.verify(signature, data, self._RSA_PKCS1, self._SHA256)  # type: ignore[union-attr,call-arg,arg-type]
            elif alg == "PS256":
                public.verify(signature, data, self._RSA_PSS, self._SHA256)  # type: ignore[union-attr,call-arg,arg-type]
            elif alg == "ES256":
                r = int.from_bytes(signature[:32], "big")
                s = int.from_bytes(signature[32:], "big")
                # "Psychic signatures" (CVE-2022-21449): r = s = 0 verified anything in a
                # broken implementation. Reject out-of-range components before OpenSSL.
                if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
                    raise SignatureOutOfRange()
                public.verify(encode_dss_signature(r, s), data, self._ECDSA)  # type: ignore[union-attr,call-arg,arg-type]
            else:
                public.verify(signature, data)  # type: ignore[union-attr,call-arg]
        except InvalidSignature as exc:
            raise BadSignature() from exc

    def public_key(self) -> Key:
        """This key without its private part (HS256 keys have none and are returned as is)."""
        if self._private is None:
            return self
        return Key(self.alg, public=self._public, kid=self.kid, certificate=self._certificate)

    # --- export -----------------------------------------------------------------------------

    def _public_members(self) -> dict[str, str]:
        public = self._public
        if isinstance(public, rsa.RSAPublicKey):
            numbers = public.public_numbers()
            return {"kty": "RSA", "n": _int_to_b64(numbers.n), "e": _int_to_b64(numbers.e)}
        if isinstance(public, ec.EllipticCurvePublicKey):
            point = public.public_numbers()
            return {
                "kty": "EC",
                "crv": "P-256",
                "x": _int_to_b64(point.x, 32),
                "y": _int_to_b64(point.y, 32),
            }
        if isinstance(public, ed25519.Ed25519PublicKey):
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
        assert self._secret is not None
        return {"kty": "oct", "k": b64url_encode(self._secret)}

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256, base64url): our default ``kid``."""
        members = self._public_members()
        required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}.get(
            members["kty"], ("crv", "kty", "x") if members["kty"] == "OKP" else ("k", "kty")
        )
        canonical = dump_json({name: members[name] for name in required})
        return b64url_encode(hashlib.sha256(canonical).digest())

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK as published in a JWKS (never includes private members)."""
        if self.alg == "HS256":
            raise InvalidKey("HS256 secrets are never published")
        jwk: dict[str, Any] = {**self._public_members(), "kid": self.kid, "use": "sig"}
        jwk["alg"] = self.alg
        if self._certificate is not None:
            import base64

            jwk["x5c"] = [base64.b64encode(self._certificate).decode("ascii")]
            jwk["x5t#S256"] = b64url_encode(hashlib.sha256(self._certificate).digest())
        return jwk

    def private_jwk(self) -> dict[str, Any]:
        """The full private JWK (for export to another trusted system only)."""
        if not self.is_private:
            raise InvalidKey("this key has no private part")
        if self.alg == "HS256":
            return {**self._public_members(), "kid": self.kid, "alg": self.alg}
        jwk = self.public_jwk()
        private = self._private
        if isinstance(private, rsa.RSAPrivateKey):
            numbers = private.private_numbers()
            jwk.update(
                d=_int_to_b64(numbers.d),
                p=_int_to_b64(numbers.p),
                q=_int_to_b64(numbers.q),
                dp=_int_to_b64(numbers.dmp1),
                dq=_int_to_b64(numbers.dmq1),
                qi=_int_to_b64(numbers.iqmp),
            )
        elif isinstance(private, ec.EllipticCurvePrivateKey):
            jwk["d"] = _int_to_b64(private.private_numbers().private_value, 32)
        elif isinstance(private, ed25519.Ed25519PrivateKey):
            raw = private.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            jwk["d"] = b64url_encode(raw)
        return jwk

    def private_pem(self, *, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM of the private key, encrypted when ``password`` is given."""
        if self._private is None:
            raise InvalidKey("this key has no private part in PEM form")
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def public_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM of the public key."""
        if self._public is None:
            raise InvalidKey("HS256 secrets have no public key")
        return self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def cryptography_key(self) -> _PrivateKey | _PublicKey:
        """The underlying ``cryptography`` object (private when present)."""
        key = self._private or self._public
        if key is None:
            raise InvalidKey("HS256 keys have no cryptography key object")
        return key

    def __repr__(self) -> str:
        kind = "private" if self.is_private else "public"
        return f"Key(alg={self.alg!r}, kid={self.kid!r}, {kind})"


def _looks_like_public_key(secret: bytes) -> bool:
    stripped = secret.lstrip()
    return stripped.startswith((b"-----BEGIN", b"ssh-rsa", b"ssh-ed25519", b"ecdsa-sha2-")) or (
        b"PUBLIC KEY" in secret or b"CERTIFICATE" in secret
    )


def _default_alg(jwk: Mapping[str, Any]) -> str | None:
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        return "ES256"
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return "EdDSA"
    return None


def _rsa_from_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    n, e = _b64_to_int(jwk.get("n"), "n"), _b64_to_int(jwk.get("e"), "e")
    public_numbers = rsa.RSAPublicNumbers(e, n)
    if "d" not in jwk:
        return {"public": public_numbers.public_key()}
    d = _b64_to_int(jwk["d"], "d")
    if all(name in jwk for name in ("p", "q", "dp", "dq", "qi")):
        p, q = _b64_to_int(jwk["p"], "p"), _b64_to_int(jwk["q"], "q")
        dp, dq, qi = (_b64_to_int(jwk[name], name) for name in ("dp", "dq", "qi"))
    else:
        p, q = rsa.rsa_recover_prime_factors(n, e, d)
        dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
    private = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, public_numbers).private_key()
    return {"private": private}


def _ec_from_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    if jwk.get("crv") != "P-256":
        raise InvalidKey("only the P-256 curve is supported for EC keys")
    x_bytes, y_bytes = _member_bytes(jwk.get("x"), "x"), _member_bytes(jwk.get("y"), "y")
    if len(x_bytes) != 32 or len(y_bytes) != 32:
        # RFC 7518 §6.2.1.2: coordinates are full-length octet strings.
        raise InvalidKey("P-256 coordinates are 32 bytes each")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x_bytes, "big"), int.from_bytes(y_bytes, "big"), ec.SECP256R1()
    )
    public = numbers.public_key()  # raises ValueError for a point not on the curve
    if "d" not in jwk:
        return {"public": public}
    d_bytes = _member_bytes(jwk["d"], "d")
    if len(d_bytes) != 32:
        raise InvalidKey("a P-256 private scalar is 32 bytes")
    private = ec.derive_private_key(int.from_bytes(d_bytes, "big"), ec.SECP256R1())
    if private.public_key().public_numbers() != numbers:
        raise InvalidKey("the JWK's private and public parts do not match")
    return {"private": private}


def _okp_from_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    if jwk.get("crv") != "Ed25519":
        raise InvalidKey("only the Ed25519 curve is supported for OKP keys")
    x = _member_bytes(jwk.get("x"), "x")
    if len(x) != 32:
        raise InvalidKey("an Ed25519 public key is 32 bytes")
    if "d" not in jwk:
        return {"public": ed25519.Ed25519PublicKey.from_public_bytes(x)}
    private = ed25519.Ed25519PrivateKey.from_private_bytes(_member_bytes(jwk["d"], "d"))
    derived = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if derived != x:
        raise InvalidKey("the JWK's private and public parts do not match")
    return {"private": private}
