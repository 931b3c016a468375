"""The soak's 60-second version (``bench/soak.py``, issue 10): 50 users over two instances on
one PostgreSQL, one instance killed (-9) and restarted, PostgreSQL restarted: no session lost,
no false logout, no 5xx but 503 (with Retry-After), and the 503s end within 2 s of PostgreSQL
returning."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"


def _figure(output: str, pattern: str) -> float:
    found = re.search(pattern, output)
    assert found, f"{pattern!r} not in the soak's report:\n{output}"
    return float(found.group(1))


def test_a_one_minute_soak_keeps_every_session() -> None:
    soak = subprocess.run(
        [sys.executable, str(SOAK), "--duration", "60", "--users", "50"],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    output = soak.stdout + soak.stderr
    print(output)
    assert soak.returncode == 0, output
    assert _figure(output, r"sessions lost: (\d+)") == 0
    assert _figure(output, r"false logouts: (\d+)") == 0
    assert _figure(output, r"5xx other than 503: (\d+)") == 0
    assert _figure(output, r"503 without Retry-After: (\d+)") == 0
    # The outage was real (users met 503s), and it ended for them within 2 s.
    assert _figure(output, r"postgres restarted: .*503s during the outage (\d+)") > 0
    assert _figure(output, r"postgres restarted: .*last 503 ([\d.]+)s after it returned") <= 2.0
