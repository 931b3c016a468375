"""``jotauth users import`` then ``jotauth serve``, as an operator runs them: hashes made by
passlib, pyca/bcrypt and Django's own hashers log in over HTTP, and the store then holds an
argon2id hash with the server's parameters in place of each foreign one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from tests.support.foreign_hashes import PRODUCERS
from tests.support.ports import free_port
from tests.support.serve import ServerProcess, serve_env, started

PASSWORD = "imported passphrase · ünïcode"
# serve_env's argon2 parameters: what a rehash must produce.
SERVER_ARGON2 = "$argon2id$v=19$m=64,t=1,p="


def _hash_of(database: Path, email: str) -> str:
    with sqlite3.connect(database) as conn:
        (value,) = conn.execute(
            "SELECT password_hash FROM users WHERE email = ?", (email,)
        ).fetchone()
    return str(value)


def test_foreign_hashes_log_in_over_http_and_are_rehashed_to_argon2id(tmp_path: Path) -> None:
    database = tmp_path / "jotauth.db"
    rows = [
        {"email": f"{name}@example.org", "name": name, "roles": ["reader"],
         "password_hash": produce(PASSWORD)}
        for name, produce in sorted(PRODUCERS.items())
    ]  # fmt: skip
    export = tmp_path / "users.jsonl"
    export.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    port = free_port()
    env = serve_env(
        f"sqlite+aiosqlite:///{database}", port,
        secret_key="import-test-secret-0123456789abcdef", allowed_origin="http://app.example.org",
    )  # fmt: skip
    server = ServerProcess(env, port, tmp_path)
    imported = server.cli("users", "import", str(export))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"imported {len(rows)} users" in imported.stdout

    with started(server), httpx.Client(base_url=server.url, timeout=30) as http:
        for index, row in enumerate(rows):
            email = row["email"]
            assert _hash_of(database, email) == "imported$" + row["password_hash"]
            if index < 2:  # a wrong password leaves the foreign hash as it was (each scheme's
                # refusal is tests/unit/users/test_foreign_hashes.py's)
                wrong = http.post(
                    "/api/auth/login",
                    json={"email": email, "password": PASSWORD + "!", "delivery": "body"},
                )
                assert wrong.status_code == 401, (email, wrong.text)
                assert _hash_of(database, email) == "imported$" + row["password_hash"]

            login = http.post(
                "/api/auth/login", json={"email": email, "password": PASSWORD, "delivery": "body"}
            )
            assert login.status_code == 200, (email, login.text)
            token = login.json()["access_token"]
            me = http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.json()["email"] == email and me.json()["roles"] == ["reader"]
            assert _hash_of(database, email).startswith(SERVER_ARGON2), email

            again = http.post(
                "/api/auth/login", json={"email": email, "password": PASSWORD, "delivery": "body"}
            )
            assert again.status_code == 200, (email, again.text)  # the argon2id hash works
