"""Two ``jotauth serve`` instances on one PostgreSQL database behave as one auth server."""

import time
from pathlib import Path

import httpx
import pytest

from jotauth import jose
from tests.e2e.server.server_process import PASSWORD, running_server
from tests.support.databases import fresh_postgres_database

pytestmark = pytest.mark.postgres
ISSUER = "http://127.0.0.1:8443"


def kid_of(token: str) -> str:
    return str(jose.decode_unverified(token)[0]["kid"])


def test_two_instances_share_keys_sessions_and_rotations(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        fresh_postgres_database() as url,
        # Behind one load balancer: one public issuer URL for both instances.
        running_server(url, tmp_path / "a", JOTAUTH_ISSUER=ISSUER) as a,
        running_server(url, tmp_path / "b", JOTAUTH_ISSUER=ISSUER) as b,
        httpx.Client() as http,
    ):
        jwks_a = http.get(f"{a.url}/.well-known/jwks.json").json()["keys"]
        jwks_b = http.get(f"{b.url}/.well-known/jwks.json").json()["keys"]
        assert {k["kid"] for k in jwks_a} == {k["kid"] for k in jwks_b}

        # A session started on one instance continues on the other.
        body = http.post(
            f"{a.url}/api/auth/signup",
            json={"email": "both@example.org", "password": PASSWORD, "client": "native"},
        ).json()
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        assert http.get(f"{b.url}/api/auth/me", headers=bearer).status_code == 200
        token = body["refresh_token"]
        for server in (b, a, b):
            response = http.post(f"{server.url}/api/auth/refresh", json={"refresh_token": token})
            assert response.status_code == 200, response.text
            token = response.json()["refresh_token"]

        # A rotation made through one store is picked up by both instances.
        old_kid = kid_of(body["access_token"])
        rotated = a.cli("keys", "rotate", "--force")
        assert rotated.returncode == 0, rotated.stderr
        new_kids: dict[str, str] = {}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(new_kids) < 2:
            for server in (a, b):
                response = http.post(
                    f"{server.url}/api/auth/refresh", json={"refresh_token": token}
                ).json()
                token = response["refresh_token"]
                if kid_of(response["access_token"]) != old_kid:
                    new_kids[server.url] = kid_of(response["access_token"])
            time.sleep(0.1)
        assert len(new_kids) == 2 and len(set(new_kids.values())) == 1
