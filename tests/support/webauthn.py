"""A software WebAuthn authenticator for tests below the browser: it answers creation and
request options (the JSON the server sends) with credentials in ``toJSON()`` form, and lets
a test set what a real one would not (another origin or RP ID, a counter going backwards,
missing user verification, changed backup flags). Keys and signatures are pyca/cryptography's
(ECDSA P-256, COSE alg -7); the CBOR is py_webauthn's own encoder, the server's parser is
the thing under test. The browser tests use Chromium's virtual authenticator instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import encode_cbor

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    """base64url without padding (WebAuthn's JSON encoding)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """The bytes of a base64url string (padding optional)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    """One credential of the soft authenticator: its id, key, counter and owner handle."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return encode_cbor(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftAuthenticator:
    """Creates and uses credentials for whatever origin and RP ID the test says."""

    origin: str
    backup_eligible: bool = False
    backup_state: bool = False
    counter_step: int = 1  # 0: a synced passkey that reports no counter
    credentials: list[SoftCredential] = field(default_factory=list)

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
        challenge: str | None = None,
        credential_id: bytes | None = None,
    ) -> dict[str, Any]:
        """``navigator.credentials.create()``'s answer to ``options``, as ``toJSON()``."""
        credential = SoftCredential(
            credential_id=credential_id or secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id or options["rp"]["id"],
            user_handle=unb64url(options["user"]["id"]),
            sign_count=0,
        )
        self.credentials.append(credential)
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        attested = (
            b"\x00" * 16  # AAGUID: none
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + credential.cose_public_key()
        )
        auth_data = self._auth_data(credential, user_verified, AT) + attested
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: SoftCredential | None = None,
        origin: str | None = None,
        user_verified: bool = True,
        sign_count: int | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """``navigator.credentials.get()``'s answer to ``options``, as ``toJSON()``."""
        chosen = credential or self.credentials[-1]
        if sign_count is None:
            chosen.sign_count += self.counter_step
        else:
            chosen.sign_count = sign_count
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        auth_data = self._auth_data(chosen, user_verified, 0)
        signature = chosen.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(chosen.credential_id),
            "rawId": b64url(chosen.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(chosen.user_handle),
            },
        }

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin,
             "crossOrigin": False},
            separators=(",", ":"),
        ).encode()  # fmt: skip

    def _auth_data(self, credential: SoftCredential, user_verified: bool, extra: int) -> bytes:
        flags = UP | extra | (UV if user_verified else 0)
        flags |= (BE if self.backup_eligible else 0) | (BS if self.backup_state else 0)
        return (
            hashlib.sha256(credential.rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", credential.sign_count)
        )
