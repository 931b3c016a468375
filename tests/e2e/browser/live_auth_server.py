"""``jotauth serve`` for the browser tests of the server-rendered pages.

Reuses the subprocess harness of ``tests/e2e/server`` (one way to run the server in the
test suite), which is not on ``sys.path`` when only this directory is collected.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SERVER_TESTS = str(Path(__file__).resolve().parents[1] / "server")
if _SERVER_TESTS not in sys.path:
    sys.path.append(_SERVER_TESTS)

from server_process import (  # noqa: E402
    PASSWORD,
    ServerProcess,
    running_server,
    unique_email,
)

__all__ = ["PASSWORD", "ServerProcess", "running_server", "unique_email"]
