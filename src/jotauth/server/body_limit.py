"""Pure ASGI middleware capping the request body size (413 problem+json beyond the cap).

Nothing the auth server accepts is larger than a few KiB, so a hard cap keeps a client
from making the server buffer (or argon2-hash) megabytes.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jotauth.server.problems import PayloadTooLarge


class BodySizeLimit:
    """Reject request bodies larger than ``max_bytes``, by ``Content-Length`` or by counting."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _framing(scope)
        if declared is not None and declared > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        if not chunked:
            # HTTP/1.1 frames a body by Content-Length (which the server's parser enforces:
            # it never hands on more) or by chunked Transfer-Encoding (RFC 9112 §6.3); with
            # neither there is no body. Only a chunked body needs counting.
            await self.app(scope, receive, send)
            return

        received = 0
        rejected = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    rejected = True
                    if not started:
                        await self._reject(scope, receive, send)
                    # The application sees a disconnected client and stops reading; its
                    # own response is dropped by guarded_send below.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"The request body exceeds {self.max_bytes} bytes."
        response = PayloadTooLarge(detail).problem().to_response()
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length (None: absent or unreadable) and whether a
    Transfer-Encoding frames the body instead."""
    declared: int | None = None
    chunked = False
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                chunked = True  # unreadable: count what actually arrives
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked
