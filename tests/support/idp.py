"""A stand-in for another identity provider on loopback: its metadata document and JWKS,
and tokens signed by PyJWT (an independent producer: jotauth's own JOSE code plays no part).

``running_idp(issuer_path=…, jwks_path=…, metadata="openid" | "oauth", jwks_alg=True)``
yields a ``LocalIdp``: ``issuer`` (``http://127.0.0.1:<port><issuer_path>``), ``sign(claims,
header=…)`` (RS256 with the published key's ``kid``; a header value of ``None`` drops it, so
``{"typ": None}`` makes a token without ``typ``), ``jwks()``, ``metadata_requests`` and
``jwks_requests``; ``routes`` (path -> body, or ``(status, body, headers)``) is the test's to
change.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.support.tokens import b64url


class LocalIdp:
    """Metadata and JWKS of one issuer on 127.0.0.1, and an RSA key that signs its tokens."""

    def __init__(
        self,
        *,
        issuer_path: str,
        jwks_path: str,
        metadata: Literal["openid", "oauth"] = "openid",
        jwks_alg: bool = True,
    ) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = b64url(self._key.public_key().public_numbers().n.to_bytes(256, "big")[:12])
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        port = self._httpd.server_address[1]
        origin = f"http://127.0.0.1:{port}"
        self.issuer = origin + issuer_path
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk.pop("key_ops", None)
        jwk.update({"kid": self.kid, "use": "sig"})
        if jwks_alg:  # Entra ID publishes its keys without alg
            jwk["alg"] = "RS256"
        path = issuer_path.rstrip("/")
        metadata_path = (
            f"{path}/.well-known/openid-configuration"
            if metadata == "openid"
            else f"/.well-known/oauth-authorization-server{path}"
        )
        document = {
            "issuer": self.issuer,
            "jwks_uri": origin + jwks_path,
            "authorization_endpoint": origin + "/authorize",
            "token_endpoint": origin + "/token",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        # path -> body (200), or (status, body, headers) for any other answer a test wants
        self.routes: dict[str, bytes | tuple[int, bytes, dict[str, str]]] = {
            metadata_path: json.dumps(document).encode(),
            jwks_path: json.dumps({"keys": [jwk]}).encode(),
        }
        self.metadata_path, self._jwks_path = metadata_path, jwks_path
        self.requests: dict[str, int] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def metadata_requests(self) -> int:
        return self.requests.get(self.metadata_path, 0)

    @property
    def jwks_requests(self) -> int:
        return self.requests.get(self._jwks_path, 0)

    def jwks(self) -> dict[str, Any]:
        """The JWKS document as served."""
        body = self.routes[self._jwks_path]
        document: dict[str, Any] = json.loads(body if isinstance(body, bytes) else body[1])
        return document

    def sign(self, claims: Mapping[str, Any], *, header: Mapping[str, Any] | None = None) -> str:
        """An RS256 token of ``claims`` (PyJWT) with ``kid`` and ``header`` (``None`` drops)."""
        headers = {"kid": self.kid, **(header or {})}
        return jwt.encode(dict(claims), self._key, algorithm="RS256", headers=headers)

    def start(self) -> LocalIdp:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            self.requests[path] = self.requests.get(path, 0) + 1
        answer = self.routes.get(path)
        if answer is None:
            return 404, b'{"error":"not_found"}', {}
        return (200, answer, {}) if isinstance(answer, bytes) else answer

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, headers = idp._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def running_idp(**options: Any) -> Iterator[LocalIdp]:
    """A started :class:`LocalIdp`, stopped when the block ends."""
    idp = LocalIdp(**options).start()
    try:
        yield idp
    finally:
        idp.stop()
