"""Interop: access tokens issued by ``jotauth serve`` are accepted by the seeds' own Node
stack, express-jwt + jwks-rsa from npm, configured from nothing but our JWKS URL."""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jotauth.jose import Key
from tests.integration.guard.guard_harness import AUDIENCE, AuthServer
from tests.support.tokens import Mint

PROJECT = Path(__file__).resolve().parents[3] / "examples" / "node-interop"
NPM_LOCK = "/tmp/jotauth-npm.lock"


def install_node_project() -> None:
    """``npm ci`` once per lockfile (serialised with other npm installs on this machine)."""
    stamp = PROJECT / "node_modules" / ".jotauth-lock-stamp"
    lock = (PROJECT / "package-lock.json").read_bytes()
    if stamp.exists() and stamp.read_bytes() == lock:
        return
    command = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    if shutil.which("flock"):
        command = ["flock", NPM_LOCK, *command]
    result = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"npm ci failed in {PROJECT}:\n{result.stdout}\n{result.stderr}")
    stamp.write_bytes(lock)


@pytest.fixture(scope="module")
def node_api(auth_server: AuthServer) -> Iterator[str]:
    if shutil.which("node") is None:
        pytest.fail("node is required for the interop test (Debian package nodejs)")
    install_node_project()
    env = {
        **os.environ,
        "JWKS_URL": f"{auth_server.url}/.well-known/jwks.json",
        "ISSUER": auth_server.url,
        "AUDIENCE": AUDIENCE,
        "PORT": "0",
    }
    process = subprocess.Popen(
        ["node", "server.js"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        try:
            port = json.loads(line)["port"]
        except (ValueError, KeyError):
            pytest.fail(f"the Node server did not start: {line}{process.stdout.read()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def access_token(auth_server: AuthServer) -> str:
    return auth_server.signup(delivery="body").json()["access_token"]


def test_express_jwt_with_jwks_rsa_accepts_tokens_from_jotauth_serve(auth_server, node_api):
    token = access_token(auth_server)
    response = httpx.get(node_api + "/api/lessons", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    me = httpx.get(auth_server.url + "/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["sub"] == me.json()["id"]


def test_express_jwt_rejects_a_tampered_token(auth_server, node_api):
    header, payload, signature = access_token(auth_server).split(".")
    tampered = f"{header}.{payload}.{signature[:-6]}AAAAAA"
    response = httpx.get(node_api + "/api/lessons", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


def test_express_jwt_rejects_a_token_from_a_key_outside_the_jwks(auth_server, node_api):
    stranger = Mint(
        Key.generate("RS256", kid="stranger"), issuer=auth_server.url, audience=AUDIENCE
    )
    response = httpx.get(
        node_api + "/api/lessons", headers={"Authorization": f"Bearer {stranger.token()}"}
    )
    assert response.status_code == 401


def test_express_jwt_and_our_guard_agree_on_a_missing_token(node_api):
    assert httpx.get(node_api + "/api/lessons").status_code == 401
    assert httpx.get(node_api + "/open/lessons").status_code == 200
