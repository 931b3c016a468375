"""TOTP codes from an independent implementation: Debian's ``oathtool`` (RFC 6238).

The codes the second-factor tests type are never computed by the code under test.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import httpx

TIME_STEP = 30


def oathtool_code(secret: str, at: float) -> str:
    """The six-digit TOTP code of base32 ``secret`` at POSIX time ``at`` (``oathtool``)."""
    tool = shutil.which("oathtool")
    if tool is None:
        raise RuntimeError("oathtool is missing: run scripts/bootstrap.sh (Debian oathtool)")
    result = subprocess.run(
        [tool, "--totp", "--base32", secret, "--now", f"@{int(at)}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return result.stdout.strip()


def seconds_to_next_step_start(now: float) -> float:
    """How far to move a clock so it stands one second into a fresh 30-second step (a code
    computed then stays in its step for the next 28 seconds of the test)."""
    return TIME_STEP - (now % TIME_STEP) + 1


def enrol_totp(base_url: str, access_token: str) -> tuple[str, list[str]]:
    """TOTP set up and confirmed over the API for the user of ``access_token`` (a fresh
    sign-in: factor changes need a recent one): (secret, recovery codes). The current code
    is spent by the confirmation; the next sign-in types the next step's."""
    bearer = {"Authorization": f"Bearer {access_token}"}
    setup = httpx.post(f"{base_url}/api/auth/mfa/totp/setup", headers=bearer)
    assert setup.status_code == 200, setup.text
    secret: str = setup.json()["secret"]
    confirmed = httpx.post(
        f"{base_url}/api/auth/mfa/totp/confirm",
        json={"code": oathtool_code(secret, time.time())},
        headers=bearer,
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, list(confirmed.json()["recovery_codes"])
