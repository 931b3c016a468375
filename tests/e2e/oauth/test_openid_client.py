"""panva/openid-client v6 (Node), an independent certified client, against the provider:
discovery (``supportsPKCE``), code + PKCE with state and nonce checked, ID token
validation, userinfo, refresh, introspection, revocation and client_credentials."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.oauth.provider_harness import (
    Browser,
    Client,
    ServerProcess,
    authorize,
    signup,
    unique_email,
)
from tests.support.node import npm_installed

NODE_DIR = Path(__file__).parent / "openid_client"


@pytest.fixture(scope="module")
def node_client() -> Path:
    """The npm package installed from its lockfile (once per checkout)."""
    npm_installed(NODE_DIR, "openid-client")
    return NODE_DIR / "interop.mjs"


def _node(script: Path, step: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        ["node", str(script), step],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


async def test_openid_client_completes_every_grant_against_the_provider(
    provider: ServerProcess, browser: Browser, web_app: Client, node_client: Path
) -> None:
    email = unique_email("openid-client")
    await signup(provider.url, email)
    env = {
        "ISSUER": provider.url,
        "CLIENT_ID": web_app.client_id,
        "CLIENT_SECRET": web_app.client_secret or "",
        "REDIRECT_URI": web_app.redirect_uri,
    }
    started = _node(node_client, "start", env)
    assert started["supportsPKCE"] is True  # issue 11: it was false

    callback = await authorize(browser, str(started["url"]), email=email)
    finished = _node(
        node_client,
        "finish",
        {
            **env,
            "CALLBACK": callback.headers["location"],
            "VERIFIER": str(started["verifier"]),
            "STATE": str(started["state"]),
            "NONCE": str(started["nonce"]),
        },
    )
    assert finished["aud"] == web_app.client_id
    assert finished["userinfo"] == {
        "sub": finished["sub"],
        "email": email,
        "email_verified": False,
        "name": "",
    }
    assert finished["rotated"] is True
    assert finished["active"] is True and finished["activeAfterRevocation"] is False
    assert finished["machineScope"] == "lessons:read" and finished["machineRefresh"] is None
