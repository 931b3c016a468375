"""Passkeys over the HTTP API (DESIGN §13) on SQLite and PostgreSQL: registration, the list,
rename, removal, passwordless sign-in, and every hostile answer a client can send instead.

The authenticator is the software one of ``tests.support.webauthn`` (keys and signatures from
pyca/cryptography), so a test can send what a real authenticator never would: another origin
or RP ID, a counter going backwards, no user verification, a replayed or foreign challenge.
Chromium's virtual authenticator drives the same endpoints in ``tests/e2e/browser``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from jotauth.jose import decode_unverified
from jotauth.store.schema import audit_events, webauthn_challenges, webauthn_credentials
from tests.integration.server.server_harness import BASE_URL, Server
from tests.support.problems import assert_problem
from tests.support.webauthn import SoftAuthenticator, b64url

ORIGIN = BASE_URL  # the public URL's origin; the RP ID is its host


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN)


async def bearer_for(server: Server, email: str = "ada@example.org") -> dict[str, str]:
    response = await server.login(email=email, delivery="body")
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def register(
    server: Server,
    auth: dict[str, str],
    authenticator: SoftAuthenticator,
    name: str | None = None,
    **create: Any,
) -> httpx.Response:
    options = await server.client.post("/api/auth/passkeys/register/options", headers=auth)
    assert options.status_code == 200, options.text
    credential = authenticator.create(options.json(), **create)
    body: dict[str, Any] = {"credential": credential}
    if name is not None:
        body["name"] = name
    return await server.client.post("/api/auth/passkeys/register", json=body, headers=auth)


async def login_options(server: Server) -> dict[str, Any]:
    response = await server.client.post("/api/auth/passkeys/login/options")
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()
    return options


async def passkey_login(server: Server, credential: object, **body: Any) -> httpx.Response:
    return await server.client.post(
        "/api/auth/passkeys/login", json={"credential": credential, **body}
    )


async def count_rows(server: Server, table: Any) -> int:
    async with server.context.store.read() as conn:
        return len((await conn.execute(select(table))).all())


async def test_register_list_rename_sign_in_and_remove(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    auth = await bearer_for(server)

    options = await server.client.post("/api/auth/passkeys/register/options", headers=auth)
    creation = options.json()
    # WebAuthn JSON for PublicKeyCredential.parseCreationOptionsFromJSON.
    assert creation["rp"] == {"id": "auth.example.test", "name": "jotauth"}
    assert creation["user"]["name"] == "ada@example.org"
    assert creation["authenticatorSelection"]["residentKey"] == "preferred"
    assert creation["attestation"] == "none"
    assert creation["excludeCredentials"] == []
    created = await server.client.post(
        "/api/auth/passkeys/register",
        json={"credential": authenticator.create(creation), "name": "Laptop"},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    passkey = created.json()
    assert passkey["name"] == "Laptop" and passkey["synced"] is False
    assert passkey["transports"] == ["internal"] and passkey["last_used_at"] is None

    # The next registration excludes the one registered.
    again = await server.client.post("/api/auth/passkeys/register/options", headers=auth)
    assert [c["id"] for c in again.json()["excludeCredentials"]] == [
        b64url(authenticator.credentials[0].credential_id)
    ]

    listed = await server.client.get("/api/auth/passkeys", headers=auth)
    assert [p["id"] for p in listed.json()["passkeys"]] == [passkey["id"]]
    renamed = await server.client.patch(
        f"/api/auth/passkeys/{passkey['id']}", json={"name": "  Work   laptop "}, headers=auth
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Work laptop"
    hostile = await server.client.patch(
        f"/api/auth/passkeys/{passkey['id']}", json={"name": "evil\u202ename"}, headers=auth
    )
    assert_problem(hostile, 422, "validation_failed")

    request = await login_options(server)
    assert request["rpId"] == "auth.example.test"
    assert request["userVerification"] == "required"
    assert request["allowCredentials"] == []
    signed_in = await passkey_login(server, authenticator.get(request), delivery="body")
    assert signed_in.status_code == 200, signed_in.text
    me = await server.client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    )
    assert me.json()["email"] == "ada@example.org"
    sessions = await server.client.get(
        "/api/auth/sessions",
        headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"},
    )
    current = [s for s in sessions.json()["sessions"] if s["current"]]
    assert current[0]["amr"] == ["hwk", "mfa"]
    listed = await server.client.get("/api/auth/passkeys", headers=auth)
    assert listed.json()["passkeys"][0]["last_used_at"] is not None

    removed = await server.client.delete(f"/api/auth/passkeys/{passkey['id']}", headers=auth)
    assert removed.status_code == 204
    assert (await server.client.get("/api/auth/passkeys", headers=auth)).json() == {"passkeys": []}
    # A removed passkey signs in no more.
    refused = await passkey_login(server, authenticator.get(await login_options(server)))
    assert_problem(refused, 401, "passkey_refused")


async def test_cookie_delivery_sets_the_session_cookies(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    response = await passkey_login(server, authenticator.get(await login_options(server)))
    assert response.status_code == 204, response.text
    assert server.client.cookies.get("__Host-jot_access")
    me = await server.client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["email"] == "ada@example.org"


async def test_a_synced_passkey_signs_in_as_swk(server: Server) -> None:
    synced = SoftAuthenticator(
        origin=ORIGIN, backup_eligible=True, backup_state=True, counter_step=0
    )
    await server.add_user()
    created = await register(server, await bearer_for(server), synced)
    assert created.json()["synced"] is True and created.json()["backed_up"] is True
    # Synced passkeys report a zero counter every time: that is "no counter", not a clone.
    for _ in range(2):
        response = await passkey_login(
            server, synced.get(await login_options(server)), delivery="body"
        )
        assert response.status_code == 200, response.text
    sessions = await server.client.get(
        "/api/auth/sessions", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert [s["amr"] for s in sessions.json()["sessions"] if s["current"]] == [["swk", "mfa"]]


async def test_a_replayed_assertion_finds_its_challenge_used(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    assertion = authenticator.get(await login_options(server))
    assert (await passkey_login(server, assertion)).status_code == 204
    replayed = await passkey_login(server, assertion)
    assert_problem(replayed, 400, "passkey_challenge_invalid")


async def test_a_replayed_registration_finds_its_challenge_used(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    auth = await bearer_for(server)
    options = await server.client.post("/api/auth/passkeys/register/options", headers=auth)
    credential = authenticator.create(options.json())
    first = await server.client.post(
        "/api/auth/passkeys/register", json={"credential": credential}, headers=auth
    )
    assert first.status_code == 201
    second = await server.client.post(
        "/api/auth/passkeys/register", json={"credential": credential}, headers=auth
    )
    assert_problem(second, 400, "passkey_challenge_invalid")
    assert await count_rows(server, webauthn_credentials) == 1


async def test_an_expired_challenge_is_refused_and_changes_nothing(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    request = await login_options(server)
    server.clock.advance(server.context.settings.webauthn_challenge_ttl + 1)
    response = await passkey_login(server, authenticator.get(request))
    assert_problem(response, 400, "passkey_challenge_invalid")
    assert not server.client.cookies.get("__Host-jot_access")


async def test_a_challenge_of_another_purpose_or_user_is_refused(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await server.add_user("bob@example.org")
    ada, bob = await bearer_for(server), await bearer_for(server, "bob@example.org")
    # A passwordless sign-in challenge cannot finish a registration...
    login_challenge = (await login_options(server))["challenge"]
    options = (await server.client.post("/api/auth/passkeys/register/options", headers=ada)).json()
    credential = authenticator.create(options, challenge=login_challenge)
    refused = await server.client.post(
        "/api/auth/passkeys/register", json={"credential": credential}, headers=ada
    )
    assert_problem(refused, 400, "passkey_challenge_invalid")
    # ...nor can Bob's registration challenge finish Ada's registration.
    bobs = (await server.client.post("/api/auth/passkeys/register/options", headers=bob)).json()
    credential = authenticator.create(options, challenge=bobs["challenge"])
    refused = await server.client.post(
        "/api/auth/passkeys/register", json={"credential": credential}, headers=ada
    )
    assert_problem(refused, 400, "passkey_challenge_invalid")
    # ...and a registration challenge cannot finish a sign-in.
    created = await register(server, ada, authenticator)
    assert created.status_code == 201
    reg = (await server.client.post("/api/auth/passkeys/register/options", headers=ada)).json()
    refused = await passkey_login(server, authenticator.get(reg))
    assert_problem(refused, 400, "passkey_challenge_invalid")


async def test_a_registration_from_another_session_is_refused(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    first, second = await bearer_for(server), await bearer_for(server)
    options = (
        await server.client.post("/api/auth/passkeys/register/options", headers=first)
    ).json()
    refused = await server.client.post(
        "/api/auth/passkeys/register",
        json={"credential": authenticator.create(options)},
        headers=second,
    )
    assert_problem(refused, 400, "passkey_challenge_invalid")


@pytest.mark.parametrize(
    ("origin", "rp_id"),
    [
        ("https://evil.example.test", None),
        ("https://auth.example.test.evil.test", None),
        ("http://auth.example.test", None),
        (None, "example.test"),
        (None, "evil.test"),
    ],
    ids=["other-origin", "suffix-origin", "plain-http-origin", "parent-rp-id", "other-rp-id"],
)
async def test_a_credential_for_another_origin_or_rp_id_is_refused(
    server: Server, authenticator: SoftAuthenticator, origin: str | None, rp_id: str | None
) -> None:
    await server.add_user()
    auth = await bearer_for(server)
    refused = await register(server, auth, authenticator, origin=origin, rp_id=rp_id)
    assert_problem(refused, 400, "passkey_registration_refused")
    assert await count_rows(server, webauthn_credentials) == 0

    # Registered properly, then asserted for the other origin or RP ID: refused too.
    genuine = SoftAuthenticator(origin=ORIGIN)
    assert (await register(server, auth, genuine)).status_code == 201
    assertion_origin = origin
    if rp_id is not None:
        genuine.credentials[-1].rp_id = rp_id
    refused = await passkey_login(
        server, genuine.get(await login_options(server), origin=assertion_origin)
    )
    assert_problem(refused, 401, "passkey_refused")


async def test_a_counter_going_backwards_is_refused_and_audited(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    assert (
        await passkey_login(server, authenticator.get(await login_options(server), sign_count=5))
    ).status_code == 204
    # A copy of the key that was used less: a valid signature over a smaller counter.
    request = await login_options(server)
    cloned = await passkey_login(server, authenticator.get(request, sign_count=3))
    assert_problem(cloned, 401, "passkey_cloned")
    async with server.context.store.read() as conn:
        events = (
            await conn.execute(
                select(audit_events.c.detail).where(
                    audit_events.c.event == "passkey_clone_suspected"
                )
            )
        ).all()
        stored = (await conn.execute(select(webauthn_credentials.c.sign_count))).scalar_one()
    details = [e.detail if isinstance(e.detail, dict) else json.loads(e.detail) for e in events]
    assert [(d["stored"], d["presented"]) for d in details] == [(5, 3)]
    assert stored == 5
    # The same counter again is a clone too; the challenge was left open by the refusal.
    assert_problem(
        await passkey_login(server, authenticator.get(request, sign_count=5)), 401, "passkey_cloned"
    )
    assert (
        await passkey_login(server, authenticator.get(request, sign_count=6))
    ).status_code == 204


async def test_passwordless_sign_in_requires_user_verification(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await register(server, await bearer_for(server), authenticator, user_verified=False)
    refused = await passkey_login(
        server, authenticator.get(await login_options(server), user_verified=False)
    )
    assert_problem(refused, 401, "passkey_refused")


async def test_a_changed_backup_eligibility_is_refused(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    authenticator.backup_eligible = True
    refused = await passkey_login(server, authenticator.get(await login_options(server)))
    assert_problem(refused, 401, "passkey_refused")


MALFORMED: list[object] = [
    "not an object",
    [],
    None,
    {},
    {"id": "x", "rawId": "x", "type": "public-key", "response": {}},
    {"id": "!!", "rawId": "!!", "type": "public-key",
     "response": {"clientDataJSON": "!!", "authenticatorData": "!!", "signature": "!!"}},
    {"id": "AA", "rawId": "AA", "type": "public-key",
     "response": {"clientDataJSON": b64url(b"{not json"), "authenticatorData": "AA",
                  "signature": "AA", "userHandle": "*"}},
    {"id": "AA", "rawId": "AA", "type": "other",
     "response": {"clientDataJSON": "AA", "authenticatorData": "AA", "signature": "AA"}},
]  # fmt: skip


@pytest.mark.parametrize(
    "credential", MALFORMED, ids=[f"malformed-{i}" for i in range(len(MALFORMED))]
)
async def test_malformed_credentials_are_400_problems(server: Server, credential: object) -> None:
    await server.add_user()
    auth = await bearer_for(server)
    await server.client.post("/api/auth/passkeys/register/options", headers=auth)
    login = await passkey_login(server, credential)
    assert login.status_code == 400, login.text
    assert login.json()["code"] in ("passkey_malformed", "passkey_challenge_invalid")
    registration = await server.client.post(
        "/api/auth/passkeys/register", json={"credential": credential}, headers=auth
    )
    assert registration.status_code == 400, registration.text
    assert registration.json()["code"] in ("passkey_malformed", "passkey_challenge_invalid")


async def test_garbage_inside_a_well_formed_assertion_is_refused(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    assertion = authenticator.get(await login_options(server))
    for member, value in (("authenticatorData", "AAAA"), ("signature", "AAAA")):
        broken = {**assertion, "response": {**assertion["response"], member: value}}
        response = await passkey_login(server, broken)
        assert_problem(response, 401, "passkey_refused")
    assert (await passkey_login(server, assertion)).status_code == 204


async def test_removing_or_renaming_another_users_passkey_is_404(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await server.add_user("bob@example.org")
    ada = await bearer_for(server)
    passkey = (await register(server, ada, authenticator)).json()
    bob = await bearer_for(server, "bob@example.org")
    removed = await server.client.delete(f"/api/auth/passkeys/{passkey['id']}", headers=bob)
    assert_problem(removed, 404, "passkey_not_found")
    renamed = await server.client.patch(
        f"/api/auth/passkeys/{passkey['id']}", json={"name": "mine"}, headers=bob
    )
    assert_problem(renamed, 404, "passkey_not_found")
    assert (await server.client.get("/api/auth/passkeys", headers=ada)).json()["passkeys"][0][
        "name"
    ] == "Passkey 1"


async def test_managing_passkeys_needs_a_recent_authentication(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    auth = await bearer_for(server)
    passkey = (await register(server, auth, authenticator)).json()
    server.clock.advance(601)
    # A fresh access token of the same, old sign-in: the session's auth_time decides.
    refreshed = await bearer_for_session_without_reauth(server, auth)
    removed = await server.client.delete(f"/api/auth/passkeys/{passkey['id']}", headers=refreshed)
    assert_problem(removed, 403, "insufficient_user_authentication")
    assert 'max_age="600"' in removed.headers["www-authenticate"]
    options = await server.client.post("/api/auth/passkeys/register/options", headers=refreshed)
    assert_problem(options, 403, "insufficient_user_authentication")
    assert (
        len((await server.client.get("/api/auth/passkeys", headers=refreshed)).json()["passkeys"])
        == 1
    )


async def bearer_for_session_without_reauth(server: Server, auth: dict[str, str]) -> dict[str, str]:
    """An access token of the same session, minted now (as a refresh would)."""
    token = auth["Authorization"].removeprefix("Bearer ")
    _, claims = decode_unverified(token)
    user = await server.context.users.get_user(claims["sub"])
    assert user is not None
    access = server.context.tokens.issue(
        user_id=user.id, session_id=claims["sid"], roles=user.roles, scope=user.scope
    )
    return {"Authorization": f"Bearer {access.token}"}


async def test_cookie_requests_need_the_csrf_header(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    assert (await server.login()).status_code == 204
    refused = await server.client.post("/api/auth/passkeys/register/options")
    assert_problem(refused, 403, "csrf_failed")
    allowed = await server.client.post("/api/auth/passkeys/register/options", headers=server.xsrf())
    assert allowed.status_code == 200


async def test_the_api_needs_a_sign_in(server: Server) -> None:
    for method, path in (
        ("POST", "/api/auth/passkeys/register/options"),
        ("POST", "/api/auth/passkeys/register"),
        ("GET", "/api/auth/passkeys"),
        ("DELETE", "/api/auth/passkeys/" + "0" * 32),
    ):
        response = await server.client.request(method, path, json={"credential": {}})
        assert response.status_code == 401, (method, path, response.text)


async def test_a_duplicate_registration_is_409(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await server.add_user("bob@example.org")
    ada, bob = await bearer_for(server), await bearer_for(server, "bob@example.org")
    assert (await register(server, ada, authenticator)).status_code == 201
    # The same authenticator credential presented again (by a client ignoring excludeCredentials).
    options = (await server.client.post("/api/auth/passkeys/register/options", headers=bob)).json()
    credential = authenticator.create(
        options, credential_id=authenticator.credentials[-1].credential_id
    )
    response = await server.client.post(
        "/api/auth/passkeys/register", json={"credential": credential}, headers=bob
    )
    assert_problem(response, 409, "passkey_exists")
    assert await count_rows(server, webauthn_credentials) == 1


async def test_expired_challenges_are_cleared_as_new_ones_are_issued(server: Server) -> None:
    for _ in range(3):
        await login_options(server)
    server.clock.advance(server.context.settings.webauthn_challenge_ttl + 1)
    await login_options(server)
    assert await count_rows(server, webauthn_challenges) == 1


async def test_the_last_way_to_sign_in_is_kept(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    user = await server.context.users.create_user_without_password("fed@example.org", "Fed")
    signed_in = await server.context.accounts.sign_in.sign_in_verified(
        user, amr=("fed",), client=_client(), refresh_delivery="body"
    )
    auth = {"Authorization": f"Bearer {signed_in.access.token}"}
    first = (await register(server, auth, authenticator)).json()
    second = (await register(server, auth, SoftAuthenticator(origin=ORIGIN))).json()
    assert (
        await server.client.delete(f"/api/auth/passkeys/{first['id']}", headers=auth)
    ).status_code == 204
    last = await server.client.delete(f"/api/auth/passkeys/{second['id']}", headers=auth)
    assert_problem(last, 409, "last_sign_in_method")


def _client() -> Any:
    from jotauth.accounts import ClientInfo

    return ClientInfo.bounded("203.0.113.9", "tests")


async def test_a_passkey_counts_as_a_way_to_sign_in_when_unlinking(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    from jotauth.federation.upstream import Assertion

    user = await server.context.users.create_user_without_password("fed2@example.org", "Fed")
    identity = await server.context.federation.identities.link(
        user.id,
        Assertion("idp", "https://idp.example.test", "sub-1", user.email, True, "Fed"),
        how="created",
    )
    signed_in = await server.context.accounts.sign_in.sign_in_verified(
        user, amr=("fed",), client=_client(), refresh_delivery="body"
    )
    auth = {"Authorization": f"Bearer {signed_in.access.token}"}
    # Without a passkey the only identity stays linked...
    kept = await server.client.delete(f"/api/auth/identities/{identity.id}", headers=auth)
    assert_problem(kept, 409, "last_sign_in_method")
    # ...with one, it may go: the passkey signs in without a password.
    passkey = (await register(server, auth, authenticator)).json()
    unlinked = await server.client.delete(f"/api/auth/identities/{identity.id}", headers=auth)
    assert unlinked.status_code == 204, unlinked.text
    # And now the passkey is the last way in.
    last = await server.client.delete(f"/api/auth/passkeys/{passkey['id']}", headers=auth)
    assert_problem(last, 409, "last_sign_in_method")
    assert (
        await passkey_login(server, authenticator.get(await login_options(server)))
    ).status_code == 204


async def test_the_second_factor_method_answers_only_its_own_attempt(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    from jotauth.factors.errors import SecondFactorInvalid
    from jotauth.passkeys import PasskeyChallengeInvalid, PasskeyMalformed, PasskeySecondFactor

    ada_id = await server.add_user()
    bob_id = await server.add_user("bob@example.org")
    passkeys = server.context.passkeys
    assert passkeys is not None
    method = PasskeySecondFactor(passkeys)
    assert method.name == "passkey"
    enrolled = server.context.accounts.second_factors.methods
    assert await enrolled(ada_id) == ()
    assert await method.challenge(ada_id, "attempt-1") is None
    await register(server, await bearer_for(server), authenticator)
    bobs_key = SoftAuthenticator(origin=ORIGIN)
    await register(server, await bearer_for(server, "bob@example.org"), bobs_key)
    assert await enrolled(ada_id) == ("passkey",)
    assert await enrolled(bob_id) == ("passkey",)

    options = await method.challenge(ada_id, "attempt-1")
    assert options is not None
    allowed: Any = options["allowCredentials"]
    assert [c["id"] for c in allowed] == [b64url(authenticator.credentials[0].credential_id)]
    assert options["userVerification"] == "preferred"
    # Another attempt's (or another user's) challenge is not this one's.
    with pytest.raises(PasskeyChallengeInvalid):
        await method.verify(ada_id, "attempt-2", {"credential": authenticator.get(options)})
    with pytest.raises(PasskeyChallengeInvalid):
        await method.verify(bob_id, "attempt-1", {"credential": bobs_key.get(options)})
    # Bob's passkey answering Ada's challenge: refused as a wrong second factor.
    with pytest.raises(SecondFactorInvalid):
        await method.verify(ada_id, "attempt-1", {"credential": bobs_key.get(options)})
    with pytest.raises(PasskeyMalformed):
        await method.verify(ada_id, "attempt-1", {"credential": "text"})
    with pytest.raises(PasskeyMalformed):
        await method.verify(ada_id, "attempt-1", {"code": "123456"})
    # Without user verification, as a second factor: the password was the other factor.
    proved = await method.verify(
        ada_id, "attempt-1", {"credential": authenticator.get(options, user_verified=False)}
    )
    assert proved == ("hwk",)
    # Used up.
    with pytest.raises(PasskeyChallengeInvalid):
        await method.verify(ada_id, "attempt-1", {"credential": authenticator.get(options)})


async def test_a_passkey_is_the_second_step_after_a_password(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    passkey = (await register(server, await bearer_for(server), authenticator)).json()

    first = await server.login(delivery="body")
    assert first.status_code == 200, first.text
    held = first.json()
    assert held["mfa_required"] is True and held["methods"] == ["passkey"]
    options = held["passkey"]
    assert options["rpId"] == "auth.example.test"
    assert [c["id"] for c in options["allowCredentials"]] == [
        b64url(authenticator.credentials[0].credential_id)
    ]
    # A wrong assertion (another key) is a wrong second factor; the token stays usable.
    stranger = SoftAuthenticator(origin=ORIGIN)
    stranger.create({"rp": {"id": "auth.example.test"}, "user": {"id": "AA"}, "challenge": "AA"})
    wrong = await server.client.post(
        "/api/auth/login/mfa",
        json={
            "mfa_token": held["mfa_token"],
            "method": "passkey",
            "credential": stranger.get(options),
        },
    )
    assert_problem(wrong, 401, "second_factor_invalid")
    malformed = await server.client.post(
        "/api/auth/login/mfa",
        json={"mfa_token": held["mfa_token"], "method": "passkey", "credential": {"id": 1}},
    )
    assert_problem(malformed, 400, "passkey_malformed")
    done = await server.client.post(
        "/api/auth/login/mfa",
        json={
            "mfa_token": held["mfa_token"],
            "method": "passkey",
            "credential": authenticator.get(options, user_verified=False),
        },
    )
    assert done.status_code == 200, done.text
    _, claims = decode_unverified(done.json()["access_token"])
    assert claims["amr"] == ["pwd", "hwk", "mfa"]
    listed = await server.client.get(
        "/api/auth/passkeys", headers={"Authorization": f"Bearer {done.json()['access_token']}"}
    )
    assert listed.json()["passkeys"][0]["id"] == passkey["id"]
    # The attempt's challenge is used up with it.
    replay = await server.client.post(
        "/api/auth/login/mfa",
        json={
            "mfa_token": held["mfa_token"],
            "method": "passkey",
            "credential": authenticator.get(options),
        },
    )
    assert replay.status_code == 401 and replay.json()["code"] == "mfa_token_invalid"


async def test_a_passwordless_sign_in_needs_no_second_step(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    response = await passkey_login(
        server, authenticator.get(await login_options(server)), delivery="body"
    )
    assert response.status_code == 200 and "access_token" in response.json()
    _, claims = decode_unverified(response.json()["access_token"])
    assert claims["amr"] == ["hwk", "mfa"] and claims["auth_time"]


async def test_reset_mfa_removes_the_passkeys(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    user_id = await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    assert (await server.login(delivery="body")).json().get("mfa_required") is True
    removed = await server.context.accounts.administration.reset_second_factors(user_id)
    assert "passkey" in removed
    assert await count_rows(server, webauthn_credentials) == 0
    assert "access_token" in (await server.login(delivery="body")).json()


async def test_the_last_passkey_of_an_account_the_policy_covers_stays(
    database_url: str, authenticator: SoftAuthenticator
) -> None:
    from tests.integration.server.server_harness import server_settings, start_server

    async for server in start_server(server_settings(database_url, mfa_policy="required")):
        user_id = await server.add_user()
        # The policy holds the password login until a factor is enrolled; a passkey counts.
        held = (await server.login(delivery="body")).json()
        assert held["enrollment_required"] is True
        user = await server.context.users.get_user(user_id)
        assert user is not None
        signed_in = await server.context.accounts.sign_in.sign_in_verified(
            user, amr=("pwd",), client=_client(), refresh_delivery="body"
        )
        auth = {"Authorization": f"Bearer {signed_in.access.token}"}
        first = (await register(server, auth, authenticator)).json()
        second = (await register(server, auth, SoftAuthenticator(origin=ORIGIN))).json()
        assert (await server.login(delivery="body")).json()["methods"] == ["passkey"]
        removed = await server.client.delete(f"/api/auth/passkeys/{first['id']}", headers=auth)
        assert removed.status_code == 204
        last = await server.client.delete(f"/api/auth/passkeys/{second['id']}", headers=auth)
        assert_problem(last, 409, "second_factor_required")
        assert (
            len((await server.client.get("/api/auth/passkeys", headers=auth)).json()["passkeys"])
            == 1
        )


async def test_of_two_racing_assertions_with_one_challenge_one_wins(
    server: Server, authenticator: SoftAuthenticator
) -> None:
    import asyncio

    await server.add_user()
    await register(server, await bearer_for(server), authenticator)
    request = await login_options(server)
    # Two answers to the same challenge (a synced passkey's zero counters, so the counter does
    # not decide): the conditional DELETE of the challenge lets exactly one through.
    authenticator.counter_step = 0
    first, second = authenticator.get(request), authenticator.get(request)
    answers = await asyncio.gather(
        passkey_login(server, first, delivery="body"),
        passkey_login(server, second, delivery="body"),
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 400], [answer.text for answer in answers]
    assert {a.json().get("code") for a in answers if a.status_code == 400} == {
        "passkey_challenge_invalid"
    }
