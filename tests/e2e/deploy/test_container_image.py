"""The image of ``deploy/Dockerfile`` builds, runs as a non-root user and serves.

Runs only where a container engine answers (``docker info``): the machine these tests were
written on has the docker client but no daemon, so here it is skipped with that reason;
``tests/unit/deploy`` checks the files themselves everywhere.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.e2e.deploy.proxy import REPO_ROOT


def _engine_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0


pytestmark = pytest.mark.skipif(not _engine_answers(), reason="no container engine answers here")


def test_the_image_builds_and_runs_jotauth_as_a_non_root_user() -> None:
    tag = "jotauth:test"
    build = subprocess.run(
        ["docker", "build", "-q", "-f", "deploy/Dockerfile", "-t", tag, "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    uid = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert uid.stdout.strip() != "0"
    version = subprocess.run(
        ["docker", "run", "--rm", tag, "--version"], capture_output=True, text=True, check=True
    )
    assert "jotauth" in version.stdout
