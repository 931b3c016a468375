"""npm packages of a test's own Node.js folder (a lockfile beside the script), installed once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def npm_installed(folder: Path, package: str) -> None:
    """``npm ci`` in ``folder`` unless ``package`` is there already; fails without node/npm."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise AssertionError("node and npm are required (scripts/bootstrap.sh installs them)")
    if not (folder / "node_modules" / package).is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            check=True,
            timeout=300,
        )
