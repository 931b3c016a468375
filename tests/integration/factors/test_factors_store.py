"""The second-factor storage on SQLite and PostgreSQL: what is kept at rest, and the
conditional updates that decide races (a code used once, a token used once)."""

from __future__ import annotations

import asyncio
import base64

import pytest
from sqlalchemy import select, text

from jotauth.factors import MfaTokenInvalid, SecondFactorExists
from jotauth.factors.challenges import MfaChallenges
from jotauth.factors.recovery_codes import RecoveryCodes
from jotauth.factors.totp import TotpFactors
from jotauth.store import AuditLog, SealBroken, Store
from jotauth.store.schema import mfa_challenges, recovery_codes, totp_factors, users
from tests.support.clock import SettableClock
from tests.support.otp import oathtool_code

SECRET = b"factors-test-secret-0123456789abcdef"


async def _user(store: Store, user_id: str) -> str:
    async with store.transaction() as conn:
        await conn.execute(
            users.insert().values(
                id=user_id, email=f"{user_id}@example.org", name="", password_hash="x",
                roles=[], scope=[], disabled=False, created_at=0.0, updated_at=0.0,
            )
        )  # fmt: skip
    return user_id


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(1_800_000_001.0)  # one second into a 30-second step


async def _enrolled(store: Store, clock: SettableClock, user_id: str) -> tuple[TotpFactors, str]:
    totp = TotpFactors(store, secret=SECRET, issuer="jotauth", clock=clock)
    enrolment = await totp.start_enrolment(await _user(store, user_id), account_name="a@b.c")
    assert await totp.confirm(user_id, oathtool_code(enrolment.secret, clock()))
    clock.advance(60)
    return totp, enrolment.secret


async def test_the_totp_secret_is_sealed_at_rest_and_bound_to_its_user(
    store: Store, clock: SettableClock
) -> None:
    totp, secret = await _enrolled(store, clock, "ada")
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    async with store.read() as conn:
        row = (await conn.execute(select(totp_factors))).one()
    assert raw not in row.secret_sealed and len(raw) == 20
    # The sealed secret copied onto another account's row does not open there.
    await _user(store, "eve")
    async with store.transaction() as conn:
        await conn.execute(
            totp_factors.insert().values(
                user_id="eve", secret_nonce=row.secret_nonce, secret_sealed=row.secret_sealed,
                created_at=0.0, confirmed_at=1.0, last_used_step=None,
            )
        )  # fmt: skip
    with pytest.raises(SealBroken):
        await totp.verify("eve", oathtool_code(secret, clock()))
    # Another server secret opens nothing either.
    other = TotpFactors(store, secret=b"another-secret-0123456789abcdef!", issuer="j", clock=clock)
    with pytest.raises(SealBroken):
        await other.verify("ada", oathtool_code(secret, clock()))


async def test_two_requests_racing_with_one_code_get_one_acceptance(
    store: Store, clock: SettableClock
) -> None:
    totp, secret = await _enrolled(store, clock, "ada")
    code = oathtool_code(secret, clock())
    results = await asyncio.gather(*(totp.verify("ada", code) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    with pytest.raises(SecondFactorExists):
        await totp.start_enrolment("ada", account_name="a@b.c")  # remove it first


async def test_recovery_codes_are_stored_as_digests_and_spent_once(
    store: Store, clock: SettableClock
) -> None:
    codes = RecoveryCodes(store, audit=AuditLog(store, clock=clock), clock=clock)
    issued = await codes.replace(await _user(store, "ada"))
    assert len(issued) == 10 and all(len(code) == 19 for code in issued)  # 80 bits each
    async with store.read() as conn:
        stored = list((await conn.execute(select(recovery_codes.c.code_hash))).scalars())
    assert len(stored) == 10 and not set(issued) & set(stored)
    assert all(code.replace("-", "") not in "".join(stored) for code in issued)
    results = await asyncio.gather(*(codes.use("ada", issued[0]) for _ in range(3)))
    assert sorted(results) == [False, False, True]
    assert await codes.remaining("ada") == 9
    assert not await codes.use("ada", "not-a-code-at-all")


async def test_an_mfa_token_is_kept_as_a_digest_used_once_and_spent_by_wrong_tries(
    store: Store, clock: SettableClock
) -> None:
    challenges = MfaChallenges(store, clock=clock)
    token, challenge = await challenges.issue(
        await _user(store, "ada"), purpose="login", first_amr=("pwd",)
    )
    async with store.read() as conn:
        kept = (await conn.execute(select(mfa_challenges.c.token_hash))).scalar_one()
    assert kept != token and kept == challenge.attempt_id
    opened = await challenges.open(token)
    done = await asyncio.gather(
        *(challenges.use_up(opened) for _ in range(3)), return_exceptions=True
    )
    assert sum(result is None for result in done) == 1
    assert all(isinstance(r, MfaTokenInvalid) for r in done if r is not None)
    with pytest.raises(MfaTokenInvalid):
        await challenges.open(token)
    second, _ = await challenges.issue("ada", purpose="login", first_amr=("pwd",))
    attempt = await challenges.open(second)
    assert [await challenges.count_wrong_try(attempt) for _ in range(5)] == [4, 3, 2, 1, 0]
    with pytest.raises(MfaTokenInvalid):
        await challenges.open(second)
    third, _ = await challenges.issue("ada", purpose="login", first_amr=("pwd",))
    clock.advance(300)
    with pytest.raises(MfaTokenInvalid):
        await challenges.open(third)
    # Expired attempts are deleted as new ones are issued.
    await challenges.issue("ada", purpose="login", first_amr=("pwd",))
    async with store.read() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM mfa_challenges"))).scalar_one()
    assert left == 1  # the three of five minutes ago (used, spent, expired) are gone
