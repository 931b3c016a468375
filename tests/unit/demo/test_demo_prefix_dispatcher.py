"""The demo's router: one origin, several apps chosen by path prefix, lifespan to all."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from jotauth_demo.dispatch import PrefixDispatcher, _fan_out_lifespan


def _named(name: str) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = f"{name} {scope['path']}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture
def dispatcher() -> PrefixDispatcher:
    return PrefixDispatcher(
        [("/api/auth", _named("auth")), ("/.well-known/", _named("auth")), ("/api", _named("api"))],
        default=_named("spa"),
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/auth/login", "auth /api/auth/login"),
        ("/api/auth", "auth /api/auth"),
        ("/.well-known/jwks.json", "auth /.well-known/jwks.json"),
        ("/api/lessons", "api /api/lessons"),
        ("/api/authx", "api /api/authx"),  # a prefix matches whole segments only
        ("/apix", "spa /apix"),
        ("/lessons", "spa /lessons"),
    ],
)
async def test_requests_go_to_the_app_of_their_prefix_with_the_path_unchanged(
    dispatcher: PrefixDispatcher, path: str, expected: str
) -> None:
    transport = httpx.ASGITransport(app=dispatcher)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.test") as client:
        response = await client.get(path)
    assert response.text == expected


class _LifespanApp:
    def __init__(self, log: list[str], name: str, *, fail: bool = False) -> None:
        self.log, self.name, self.fail = log, name, fail

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        if self.fail:
            await send({"type": "lifespan.startup.failed", "message": f"{self.name} broke"})
            return
        self.log.append(f"start {self.name}")
        await send({"type": "lifespan.startup.complete"})
        await receive()
        self.log.append(f"stop {self.name}")
        await send({"type": "lifespan.shutdown.complete"})


async def _no_lifespan(scope: dict[str, Any], receive: Any, send: Any) -> None:
    raise RuntimeError("only http")


async def _drive(apps: list[Any], on_started: Any = None) -> list[dict[str, Any]]:
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await _fan_out_lifespan(apps, receive, send, on_started=on_started)
    return sent


async def test_lifespan_starts_every_app_and_stops_them_in_reverse() -> None:
    log: list[str] = []
    apps = [_LifespanApp(log, "a"), _no_lifespan, _LifespanApp(log, "b")]
    sent = await _drive(apps, on_started=lambda: log.append("banner"))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert log == ["start a", "start b", "banner", "stop b", "stop a"]


async def test_a_failing_startup_fails_the_whole_demo_and_stops_the_started_apps() -> None:
    log: list[str] = []
    apps = [_LifespanApp(log, "a"), _LifespanApp(log, "b", fail=True)]
    sent = await _drive(apps, on_started=lambda: log.append("banner"))
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "b broke" in sent[0]["message"]
    assert log == ["start a", "stop a"]
