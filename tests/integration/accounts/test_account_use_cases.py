"""The account use cases on a real database (SQLite and PostgreSQL): what ending a user or
changing a password does to their sessions, and logout that changes nothing until it may."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from jotauth.accounts import (
    AccessTokenIssuer,
    AccessTokenPolicy,
    Administration,
    ClientInfo,
    InvalidCredentials,
    OwnAccount,
    OwnTokenVerifier,
    SignIn,
    SignOut,
    UserInactive,
)
from jotauth.federation.identities import LinkedIdentities
from jotauth.federation.upstream import Assertion
from jotauth.jose import Key, KeySet
from jotauth.sessions import (
    SessionNotFound,
    SessionPolicy,
    SessionRevoked,
    SessionService,
)
from jotauth.settings import Settings
from jotauth.store import AuditLog, Store, open_store
from jotauth.throttle import InMemoryLoginThrottle
from jotauth.users import PasswordHasher, UserService, WrongPassword

PASSWORD = "correct horse battery staple"
CLIENT = ClientInfo(ip="192.0.2.1", user_agent="test")


class _Services:
    def __init__(self, store: Store, settings: Settings, hasher: PasswordHasher) -> None:
        audit = AuditLog(store)
        self.store = store
        self.audit = audit
        self.sessions = SessionService(
            store,
            SessionPolicy.from_settings(settings),
            audit=audit,
            secret=b"test secret 0123456789abcdef",
        )
        self.users = UserService(
            store,
            hasher,
            throttle=InMemoryLoginThrottle(settings),
            audit=audit,
            min_password_length=settings.password_min_length,
        )
        key = Key.generate("ES256")
        policy = AccessTokenPolicy.from_settings(settings)
        tokens = AccessTokenIssuer(policy, signing_key=lambda: key, clock=lambda: 1_700_000_000.0)
        self.verifier = OwnTokenVerifier(
            policy, key_set=lambda: KeySet([key]), clock=lambda: 1_700_000_000.0
        )
        self.sign_in = SignIn(users=self.users, sessions=self.sessions, tokens=tokens)
        self.sign_out = SignOut(sessions=self.sessions, clock=lambda: 1_700_000_000.0)
        self.own_account = OwnAccount(
            users=self.users, sessions=self.sessions, clock=lambda: 1_700_000_000.0, store=store
        )
        self.administration = Administration(users=self.users, sessions=self.sessions)


@pytest.fixture
async def services(store_settings: Settings) -> AsyncIterator[_Services]:
    store = await open_store(store_settings)
    hasher = PasswordHasher(store_settings)
    try:
        yield _Services(store, store_settings, hasher)
    finally:
        hasher.close()
        await store.close()


async def test_disabling_a_user_ends_every_session(services: _Services) -> None:
    user = await services.users.create_user("alice@example.com", PASSWORD)
    issued = [await services.sessions.create_session(user.id) for _ in range(2)]
    disabled = await services.administration.disable_user(user.id)
    assert disabled.disabled
    for one in issued:
        with pytest.raises(SessionRevoked):
            await services.sessions.rotate_refresh_token(one.refresh_token)
    events = [e.event for e in await services.audit.list_events(user_id=user.id)]
    assert "user_disabled" in events and "session_revoked" in events


async def test_password_change_ends_the_other_sessions_and_keeps_this_one(
    services: _Services,
) -> None:
    user = await services.users.create_user("alice@example.com", PASSWORD)
    this, other = [await services.sessions.create_session(user.id) for _ in range(2)]
    ended = await services.own_account.change_password(
        user_id=user.id,
        current_password=PASSWORD,
        new_password="a completely new passphrase",
        keep_session_id=this.session.id,
        client=CLIENT,
    )
    assert ended == 1
    with pytest.raises(SessionRevoked):
        await services.sessions.rotate_refresh_token(other.refresh_token)
    await services.sessions.rotate_refresh_token(this.refresh_token)


async def test_a_wrong_current_password_ends_no_session(services: _Services) -> None:
    user = await services.users.create_user("alice@example.com", PASSWORD)
    this, other = [await services.sessions.create_session(user.id) for _ in range(2)]
    with pytest.raises(WrongPassword):
        await services.own_account.change_password(
            user_id=user.id,
            current_password="not my password",
            new_password="a completely new passphrase",
            keep_session_id=this.session.id,
            client=CLIENT,
        )
    await services.sessions.rotate_refresh_token(other.refresh_token)


async def test_login_refresh_and_logout_through_the_use_cases(services: _Services) -> None:
    await services.users.create_user("alice@example.com", PASSWORD)
    with pytest.raises(InvalidCredentials):
        await services.sign_in.login(email="alice@example.com", password="nope", client=CLIENT)
    signed_in = await services.sign_in.login(
        email="alice@example.com", password=PASSWORD, client=CLIENT
    )
    refreshed = await services.sign_in.refresh(
        refresh_token=signed_in.issued.refresh_token, presented_in="cookie"
    )
    assert refreshed.session_id == signed_in.session_id
    assert refreshed.access.token != signed_in.access.token
    assert await services.sign_out.logout(
        session_id=refreshed.session_id, user_id=refreshed.user.id, client=CLIENT
    )
    with pytest.raises(SessionRevoked):
        await services.sign_in.refresh(
            refresh_token=refreshed.issued.refresh_token, presented_in="cookie"
        )


async def test_a_password_login_reads_and_writes_in_units_of_work_only(
    services: _Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The login path's statements are units (no thread hop per statement on SQLite, no
    # BEGIN/COMMIT round trips for the read on PostgreSQL); what they write is the session.
    await services.users.create_user("alice@example.com", PASSWORD)
    store = services.store

    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the login went through the async connection")

    monkeypatch.setattr(store, "transaction", refused)
    monkeypatch.setattr(store, "read", refused)
    client = ClientInfo(ip="192.0.2.7", user_agent="Mozilla/5.0 ☃")
    signed_in = await services.sign_in.login(
        email="Alice@Example.com", password=PASSWORD, client=client, refresh_delivery="body"
    )
    with pytest.raises(InvalidCredentials):
        await services.sign_in.login(email="nobody@example.com", password=PASSWORD, client=client)
    monkeypatch.undo()
    session = signed_in.issued.session
    listed = await services.sessions.list_sessions(signed_in.user.id)
    assert [(s.id, s.user_agent, s.ip, s.refresh_delivery, s.amr) for s in listed] == [
        (session.id, "Mozilla/5.0 ☃", "192.0.2.7", "body", ("pwd",))
    ]
    assert listed[0].expires_at == session.expires_at
    assert listed[0].idle_expires_at == session.idle_expires_at
    events = await services.audit.list_events(session_id=session.id)
    assert [(e.event, e.ip, e.detail) for e in events] == [("login", "192.0.2.7", {"amr": ["pwd"]})]
    refreshed = await services.sign_in.refresh(
        refresh_token=signed_in.issued.refresh_token, presented_in="body"
    )
    assert refreshed.session_id == session.id


async def test_finding_the_session_of_a_refresh_token_changes_nothing(
    services: _Services,
) -> None:
    user = await services.users.create_user("alice@example.com", PASSWORD)
    issued = await services.sessions.create_session(user.id)
    found = await services.sign_out.session_of_refresh_token(issued.refresh_token)
    assert found is not None and found.id == issued.session.id
    # The token still rotates: the look-up consumed nothing.
    await services.sessions.rotate_refresh_token(issued.refresh_token)
    assert await services.sign_out.session_of_refresh_token("not a token") is None


async def test_a_refresh_for_a_disabled_user_ends_the_session(services: _Services) -> None:
    user = await services.users.create_user("alice@example.com", PASSWORD)
    signed_in = await services.sign_in.login(
        email="alice@example.com", password=PASSWORD, client=CLIENT
    )
    await services.users.disable_user(user.id)  # not through Administration: sessions live
    with pytest.raises(SessionRevoked):
        await services.sign_in.refresh(
            refresh_token=signed_in.issued.refresh_token, presented_in="cookie"
        )
    session = await services.sessions.get_session(signed_in.session_id)
    assert session is not None and session.revoked_at is not None


async def test_ending_someone_elses_session_by_id_is_not_found(services: _Services) -> None:
    alice = await services.users.create_user("alice@example.com", PASSWORD)
    bob = await services.users.create_user("bob@example.com", PASSWORD)
    bobs = await services.sessions.create_session(bob.id)
    for session_id in (bobs.session.id, "unknown"):
        with pytest.raises(SessionNotFound):
            await services.sign_out.end_own_session(
                user_id=alice.id, session_id=session_id, client=CLIENT
            )
    await services.sessions.rotate_refresh_token(bobs.refresh_token)  # bob's still lives


async def test_the_profile_of_a_disabled_user_is_refused(services: _Services) -> None:
    signed_in_user = await services.users.create_user("alice@example.com", PASSWORD)
    signed_in = await services.sign_in.login(
        email="alice@example.com", password=PASSWORD, client=CLIENT
    )
    claims = services.verifier.verify(signed_in.access.token)
    assert (await services.own_account.live_session(claims)).id == signed_in.session_id
    assert (await services.own_account.profile(claims)).email == "alice@example.com"
    await services.users.disable_user(signed_in_user.id)
    with pytest.raises(UserInactive):
        await services.own_account.profile(claims)


async def test_the_overview_reads_session_profile_and_password_in_one_go(
    services: _Services,
) -> None:
    user = await services.users.create_user("alice@example.com", PASSWORD)
    signed_in = await services.sign_in.login(
        email="alice@example.com", password=PASSWORD, client=CLIENT
    )
    claims = services.verifier.verify(signed_in.access.token)
    overview = await services.own_account.overview(claims)
    assert overview.session.id == signed_in.session_id
    assert overview.profile.email == "alice@example.com"
    assert overview.has_password is True
    assert overview.identities == ()  # no identities reader given
    await services.users.disable_user(user.id)
    with pytest.raises(UserInactive):
        await services.own_account.overview(claims)


async def test_the_overview_of_an_ended_session_is_refused_before_the_profile(
    services: _Services,
) -> None:
    user = await services.users.create_user("alice@example.com", PASSWORD)
    signed_in = await services.sign_in.login(
        email="alice@example.com", password=PASSWORD, client=CLIENT
    )
    claims = services.verifier.verify(signed_in.access.token)
    await services.sessions.revoke_session(signed_in.session_id, reason="logout")
    await services.users.disable_user(user.id)
    # Both are wrong; the session is judged first, as live_session before profile did.
    with pytest.raises(SessionRevoked):
        await services.own_account.overview(claims)


async def test_the_overview_lists_the_linked_identities_as_their_own_read_does(
    services: _Services,
) -> None:
    # On PostgreSQL they come in the session's statement (a JSON column), on SQLite in one of
    # their own: both must give what LinkedIdentities.of_user reads, oldest first.
    times = iter([1_700_000_000.25, 1_699_999_000.0, 1_700_000_100.125])
    identities = LinkedIdentities(services.store, audit=services.audit, clock=lambda: next(times))
    own_account = OwnAccount(
        users=services.users,
        sessions=services.sessions,
        clock=lambda: 1_700_000_000.0,
        store=services.store,
        identities=identities,
    )
    user = await services.users.create_user("alice@example.com", PASSWORD)
    other = await services.users.create_user("bob@example.com", PASSWORD)
    for subject, owner in (("late", user), ("early", user), ("bob's", other)):
        assertion = Assertion(
            provider="idp",
            issuer="https://idp.example",
            subject=subject,
            email=None if subject == "late" else f"{subject}@idp.example",
            email_verified=True,
            name="",
        )
        await identities.link(owner.id, assertion, how="test")
    signed_in = await services.sign_in.login(
        email="alice@example.com", password=PASSWORD, client=CLIENT
    )
    overview = await own_account.overview(services.verifier.verify(signed_in.access.token))
    assert [identity.subject for identity in overview.identities] == ["early", "late"]
    assert overview.identities == await identities.of_user(user.id)
    assert overview.identities[1].created_at == 1_700_000_000.25
    assert overview.identities[1].email is None
    assert overview.has_password is True

    await services.users.create_user("carol@example.com", PASSWORD)
    alone = await services.sign_in.login(
        email="carol@example.com", password=PASSWORD, client=CLIENT
    )
    overview = await own_account.overview(services.verifier.verify(alone.access.token))
    assert overview.identities == ()
