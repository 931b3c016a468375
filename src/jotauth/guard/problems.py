"""The guard's ASGI adapter over the one renderer, :mod:`jotauth.problems`.

Errors are sent as raw ASGI messages: no framework response object on the error path either.
The FastAPI and Flask adapters live beside their integrations (``guard/fastapi.py``,
``guard/flask.py``) and send the same :class:`~jotauth.problems.RenderedProblem`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from jotauth.problems import RenderedProblem

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def send_problem(
    send: Send, problem: RenderedProblem, extra_headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Answer an HTTP request with ``problem`` (plus ``extra_headers``, e.g. Set-Cookie)."""
    headers = list(problem.headers)
    headers.extend(extra_headers)
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": problem.body})
