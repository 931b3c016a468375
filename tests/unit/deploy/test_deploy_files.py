"""The shipped deployment files agree with the code they configure.

``deploy/compose.yaml``, ``deploy/Dockerfile`` and the nginx template are not run here
(no container engine on this machine; the template itself runs in tests/e2e/deploy), so
these checks catch what would only break on a user's machine: a misspelt setting, a
placeholder nobody fills, an extra that does not exist, a root user.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from jotauth.settings import Settings

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
COMPOSE = (DEPLOY / "compose.yaml").read_text()
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
TEMPLATE = (DEPLOY / "nginx" / "jotauth.conf.template").read_text()
PYPROJECT = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())


def test_every_jotauth_variable_in_the_compose_file_is_a_setting() -> None:
    names = set(re.findall(r"\bJOTAUTH_([A-Z0-9_]+)\b", COMPOSE))
    assert names, "the compose file configures jotauth through JOTAUTH_ variables"
    unknown = {name for name in names if name.lower() not in Settings.model_fields}
    assert not unknown, f"not settings: {sorted(unknown)}"


def test_every_nginx_placeholder_is_filled_by_the_compose_file() -> None:
    placeholders = set(re.findall(r"\$\{([A-Z0-9_]+)\}", TEMPLATE))
    proxy = COMPOSE[COMPOSE.index("  proxy:") :]
    filled = set(re.findall(r"^\s+([A-Z0-9_]+):", proxy, flags=re.MULTILINE))
    assert placeholders and placeholders <= filled, sorted(placeholders - filled)


def test_the_image_installs_existing_extras_and_runs_as_a_non_root_user() -> None:
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    for requested in re.findall(r'jotauth\[([a-z,]+)\]|"\.\[([a-z,]+)\]"', DOCKERFILE):
        for extra in ",".join(requested).strip(",").split(","):
            assert extra in extras, f"the Dockerfile asks for a missing extra {extra!r}"
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("0", "root"), users
    assert all("-slim" in line for line in _base_images())


def test_the_image_trusts_forwarded_headers_from_the_compose_proxy_only() -> None:
    trusted = re.search(r'"--forwarded-allow-ips", "([^"]+)"', DOCKERFILE)
    proxy_address = re.search(r"ipv4_address: ([0-9.]+)", COMPOSE)
    assert trusted and proxy_address
    assert trusted.group(1) == proxy_address.group(1)


def _base_images() -> list[str]:
    return [line for line in DOCKERFILE.splitlines() if line.startswith("FROM ")]
