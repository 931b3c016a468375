"""One origin, several ASGI apps: routing by path prefix, lifespan events fanned out to each."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class PrefixDispatcher:
    """Sends each request to the first app whose path prefix matches; else to ``default``.

    Paths are passed on unchanged (no ``root_path`` games), so every app sees the URLs it
    declares. Lifespan events are fanned out to every app that supports them.
    """

    def __init__(
        self,
        routes: Sequence[tuple[str, ASGIApp]],
        default: ASGIApp,
        *,
        on_started: Callable[[], None] | None = None,
    ) -> None:
        self._routes = tuple(routes)
        self._default = default
        self._on_started = on_started

    def app_for(self, path: str) -> ASGIApp:
        """The app that serves ``path``."""
        for prefix, app in self._routes:
            if path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
                return app
        return self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            apps = _unique(app for _, app in self._routes)
            await _fan_out_lifespan(apps, receive, send, on_started=self._on_started)
            return
        await self.app_for(str(scope["path"]))(scope, receive, send)


def _unique(apps: Iterable[ASGIApp]) -> list[ASGIApp]:
    seen: list[ASGIApp] = []
    for app in apps:
        if all(app is not other for other in seen):
            seen.append(app)
    return seen


class _AppLifespan:
    """Drives one app's lifespan protocol from the outside."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> bool:
        """Run the app's startup; False when the app does not speak lifespan."""
        scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        self._task = asyncio.create_task(self._run(scope))
        await self._inbox.put({"type": "lifespan.startup"})
        reply = await self._outbox.get()
        if reply["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"an app failed to start: {reply.get('message', '')}")
        return bool(reply["type"] == "lifespan.startup.complete")

    async def stop(self) -> None:
        """Run the app's shutdown and wait for it."""
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        if self._task is not None:
            await self._task

    async def _run(self, scope: Scope) -> None:
        try:
            await self._app(scope, self._inbox.get, self._outbox.put)
        except Exception as error:  # an app without lifespan support raises on the scope type
            await self._outbox.put({"type": "lifespan.unsupported", "message": repr(error)})


async def _fan_out_lifespan(
    apps: Sequence[ASGIApp],
    receive: Receive,
    send: Send,
    *,
    on_started: Callable[[], None] | None = None,
) -> None:
    started: list[_AppLifespan] = []
    message = await receive()
    if message["type"] != "lifespan.startup":
        return
    try:
        for app in apps:
            lifespan = _AppLifespan(app)
            if await lifespan.start():
                started.append(lifespan)
    except Exception as error:
        for lifespan in reversed(started):
            await lifespan.stop()
        await send({"type": "lifespan.startup.failed", "message": str(error)})
        return
    if on_started is not None:
        on_started()
    await send({"type": "lifespan.startup.complete"})
    message = await receive()
    for lifespan in reversed(started):
        await lifespan.stop()
    await send({"type": "lifespan.shutdown.complete"})
