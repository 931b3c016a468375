"""A production-mode ``jotauth serve`` and fake upstream providers on loopback, configured with
``jotauth providers add`` (the Chromium tests bring panva's oidc-provider and a second
``jotauth serve`` themselves)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from tests.e2e.federation.fake_providers import FakeProvider
from tests.e2e.server.server_process import Browser, ServerProcess, running_server


@dataclass
class Upstreams:
    """The fake providers the server knows, by the name it knows them under."""

    oidc: FakeProvider  # untrusted for every domain
    trusted: FakeProvider  # --trust-email-domain example.com
    github: FakeProvider  # GitHub-shaped OAuth 2
    vouching: FakeProvider  # --trust-email-domain example.com --accept-mfa


@pytest.fixture(scope="module")
def upstreams() -> Iterator[Upstreams]:
    started = Upstreams(
        oidc=FakeProvider(oidc=True).start(),
        trusted=FakeProvider(oidc=True).start(),
        github=FakeProvider(oidc=False).start(),
        vouching=FakeProvider(oidc=True).start(),
    )
    yield started
    for provider in (started.oidc, started.trusted, started.github, started.vouching):
        provider.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, upstreams: Upstreams
) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("federation")
    with running_server(f"sqlite+aiosqlite:///{workdir}/jotauth.db", workdir) as started:
        for name, provider, extra in (
            ("fake", upstreams.oidc, ()),
            ("trusted", upstreams.trusted, ("--trust-email-domain", "example.com")),
            ("gh", upstreams.github, ()),
            (
                "vouching",
                upstreams.vouching,
                ("--trust-email-domain", "example.com", "--accept-mfa"),
            ),
        ):
            done = started.cli(*provider.add_args(name, *extra))
            assert done.returncode == 0, done.stderr
            printed = json.loads(done.stdout)
            assert printed["redirect_uri"] == f"{started.url}/login/federated/{name}/callback"
        yield started


@pytest.fixture
async def browser(server: ServerProcess) -> AsyncIterator[Browser]:
    client = Browser(server.url)
    yield client
    await client.aclose()
