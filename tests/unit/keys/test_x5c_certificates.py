"""Self-signed certificates that carry our RSA public keys as ``x5c`` (RFC 7517 §4.7)."""

from __future__ import annotations

import base64
import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jotauth.jose import InvalidKey, Key
from jotauth.keys import self_signed_certificate, with_x5c


@pytest.fixture(scope="module")
def rsa_key() -> Key:
    return Key.generate("RS256", kid="rsa-1")


def test_certificate_holds_exactly_the_keys_public_key(rsa_key: Key) -> None:
    certificate = x509.load_der_x509_certificate(self_signed_certificate(rsa_key))
    public = rsa_key.public_key().cryptography_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert certificate.public_key().public_numbers() == public.public_numbers()  # type: ignore[union-attr]


def test_certificate_is_self_signed_by_that_key(rsa_key: Key) -> None:
    certificate = x509.load_der_x509_certificate(self_signed_certificate(rsa_key))
    public = certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert certificate.issuer == certificate.subject
    public.verify(
        certificate.signature,
        certificate.tbs_certificate_bytes,
        padding.PKCS1v15(),
        certificate.signature_hash_algorithm or hashes.SHA256(),
    )


def test_certificate_is_a_leaf_for_signatures_valid_now(rsa_key: Key) -> None:
    certificate = x509.load_der_x509_certificate(
        self_signed_certificate(rsa_key, common_name="lessons auth", days=30)
    )
    now = datetime.datetime.now(datetime.UTC)
    assert certificate.not_valid_before_utc <= now < certificate.not_valid_after_utc
    assert certificate.not_valid_after_utc - now <= datetime.timedelta(days=30)
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and not constraints.value.ca
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert certificate.subject.rfc4514_string() == "CN=lessons auth"


def test_certificates_are_made_only_for_rsa_private_keys(rsa_key: Key) -> None:
    with pytest.raises(InvalidKey):
        self_signed_certificate(Key.generate("ES256"))
    with pytest.raises(InvalidKey):
        self_signed_certificate(Key.generate("EdDSA"))
    with pytest.raises(InvalidKey):
        self_signed_certificate(rsa_key.public_key())


def test_with_x5c_publishes_the_certificate_and_its_sha256_thumbprint(rsa_key: Key) -> None:
    key = with_x5c(rsa_key)
    jwk = key.public_key().public_jwk()

    assert key.kid == rsa_key.kid and key.thumbprint() == rsa_key.thumbprint()
    der = base64.b64decode(jwk["x5c"][0], validate=True)
    assert der == key.certificate
    digest = hashlib.sha256(der).digest()
    assert jwk["x5t#S256"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert x509.load_der_x509_certificate(der).fingerprint(hashes.SHA256()) == digest


def test_with_x5c_leaves_other_keys_and_certified_keys_alone(rsa_key: Key) -> None:
    es = Key.generate("ES256")
    assert with_x5c(es) is es
    assert "x5c" not in es.public_jwk()
    certified = with_x5c(rsa_key)
    assert with_x5c(certified) is certified
    assert with_x5c(rsa_key.public_key()).certificate is None


def test_ps256_keys_get_certificates_too() -> None:
    key = with_x5c(Key.generate("PS256"))
    assert key.certificate is not None and "x5c" in key.public_jwk()
