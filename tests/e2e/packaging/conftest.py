"""The built distributions and fresh virtualenvs to install them into.

The wheel and the sdist are built once per session with ``python -m build`` (the wheel from
the sdist, so a file missing from the sdist breaks the wheel too). The dependencies come from
a wheelhouse kept between runs (``~/.cache/jotauth-tests/wheelhouse``): filled from PyPI the
first time, then every venv installs with ``--no-index`` from it, which takes seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXTRAS = ("fastapi", "flask", "postgres", "redis", "server")
WHEELHOUSE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "jotauth-tests" / "wheelhouse"
)


class Dists(NamedTuple):
    wheel: Path
    sdist: Path


def run(*args: str | Path, **options: object) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with its output when it fails."""
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **options
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", out, ROOT)
    (wheel,) = out.glob("jotauth-*.whl")
    (sdist,) = out.glob("jotauth-*.tar.gz")
    return Dists(wheel, sdist)


@pytest.fixture(scope="session")
def wheelhouse(dists: Dists) -> Path:
    """Wheels of every dependency of every extra (jotauth itself excluded: it is built here)."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    every = f"{dists.wheel}[{','.join(EXTRAS)}]"
    pip = (sys.executable, "-m", "pip", "wheel", "-q", "--find-links", WHEELHOUSE, "-w")
    offline = subprocess.run(
        [*map(str, pip), str(WHEELHOUSE), "--no-index", every], capture_output=True, timeout=600
    )
    if offline.returncode != 0:  # first run, or a new dependency: fetch what is missing
        run(*pip, WHEELHOUSE, every)
    for stale in WHEELHOUSE.glob("jotauth-*.whl"):
        stale.unlink()
    return WHEELHOUSE


class Venv(NamedTuple):
    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    def python(self, code: str, **options: object) -> subprocess.CompletedProcess[str]:
        """Run ``python -c code`` in this venv (exit status not checked)."""
        return subprocess.run(
            [str(self.bin / "python"), "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            **options,
        )

    def jotauth(self, *args: str, **options: object) -> subprocess.CompletedProcess[str]:
        """Run the venv's ``jotauth`` script (exit status not checked)."""
        return subprocess.run(
            [str(self.bin / "jotauth"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            **options,
        )


@pytest.fixture(scope="session")
def install(
    dists: Dists, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Venv]:
    """A fresh venv with ``jotauth[extras]`` installed from the built wheel, offline."""
    made: dict[str, Venv] = {}

    def make(extras: str) -> Venv:
        if extras not in made:
            path = tmp_path_factory.mktemp(f"venv-{extras or 'base'}".replace(",", "-"))
            # No pip inside: this interpreter's pip installs into it (--python), which spares
            # ensurepip.
            venv.create(path, with_pip=False)
            target = f"{dists.wheel}[{extras}]" if extras else str(dists.wheel)
            run(
                sys.executable,
                "-m",
                "pip",
                "--python",
                path / "bin" / "python",
                "install",
                "-q",
                "--no-index",
                "--find-links",
                wheelhouse,
                target,
                env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            )
            made[extras] = Venv(path)
        return made[extras]

    return make
