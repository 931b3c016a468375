"""panva's ``oidc-provider`` (npm, ``oidc_provider/``) on loopback as an upstream identity
provider, with one client and accounts configured by the caller; shared by the Chromium tests
of the hosted login page and of the Angular demo."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jotauth import jose
from tests.support.node import npm_installed
from tests.support.ports import free_port
from tests.support.serve import stop_process, wait_until_ready

NODE_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "jotauth-downstream"


@dataclass(frozen=True)
class Panva:
    """A running provider: its issuer URL, the client's secret, every account's address."""

    url: str
    client_secret: str
    email: str

    def add_args(self, name: str) -> tuple[str, ...]:
        """``jotauth providers add`` arguments that make it provider ``name``."""
        return (
            "providers", "add", name, "--issuer", self.url,
            "--client-id", CLIENT_ID, "--client-secret", self.client_secret,
        )  # fmt: skip


@contextmanager
def running_panva(redirect_uri: str, log_dir: Path) -> Iterator[Panva]:
    """Start ``provider.mjs`` (installing its npm packages the first time); stop it after."""
    npm_installed(NODE_DIR, "oidc-provider")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secret = secrets.token_urlsafe(24)
    email = f"panva-{secrets.token_hex(4)}@example.org"
    log = log_dir / "oidc-provider.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": secret,
        "REDIRECT_URI": redirect_uri,
        "SIGNING_JWK": json.dumps(jose.Key.generate("RS256").private_jwk()),
        "EMAIL": email,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["node", str(NODE_DIR / "provider.mjs")], env=env, stdout=out, stderr=out
        )
    try:
        wait_until_ready(process, f"{url}/.well-known/openid-configuration", log)
        yield Panva(url=url, client_secret=secret, email=email)
    finally:
        stop_process(process)
