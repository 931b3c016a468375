"""Self-signed certificates for publishing RSA keys as ``x5c`` (RFC 7517 §4.7)."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ..jose import InvalidKey, Key


def self_signed_certificate(
    key: Key, *, common_name: str = "jotauth signing key", days: int = 825
) -> bytes:
    """A DER self-signed certificate for an RSA private key, for JWKS consumers that
    insist on ``x5c`` (some .NET and Java stacks). It is an envelope for the public key,
    not a trust anchor: verifiers still trust the JWKS endpoint, never a token header."""
    private = key.cryptography_key()
    if not isinstance(private, rsa.RSAPrivateKey):
        raise InvalidKey("x5c certificates are made for RSA private keys")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(private, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def with_x5c(key: Key) -> Key:
    """``key`` carrying a fresh self-signed certificate when it is an RSA private key."""
    if key.alg in ("RS256", "PS256") and key.is_private and key.certificate is None:
        return key.with_certificate(self_signed_certificate(key))
    return key
