"""Bounded request headers for uvicorn's httptools protocol (DESIGN §5: no unbounded buffers).

httptools buffers an unfinished header line without limit: twenty connections each sending a
never-ending 10 MB header grew the server by ~200 MB before anyone logged in. h11 bounds its
buffer but parses in pure Python on every request; this keeps the fast C parser and counts what
a connection sends while its request headers are incomplete, answering 431 and closing the
connection past ``max_header_bytes`` (or past ``max_headers`` header fields).

A proxy in front should bound them too (nginx: ``large_client_header_buffers``), see
docs/deploy.md.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\n"
    b"connection: close\r\n\r\n"
    b"Request header fields too large\n"
)


def bounded_http_protocol(*, max_header_bytes: int, max_headers: int) -> type[asyncio.Protocol]:
    """An httptools protocol class for ``uvicorn.run(http=…)`` with these header limits."""

    class BoundedHeadersProtocol(HttpToolsProtocol):
        _header_bytes = 0
        _header_fields = 0
        # From the connection's start (or the end of a request) until the next request's
        # headers are complete, every byte received belongs to a request head.
        _in_head = True

        # A chunk that finished a request is not counted (its tail may start the next head):
        # the bound is then off by at most one read, never unbounded.
        _finished_in_chunk = False

        def data_received(self, data: bytes) -> None:
            self._finished_in_chunk = False
            super().data_received(data)
            if self._in_head and not self._finished_in_chunk and not self.transport.is_closing():
                self._header_bytes += len(data)
                if self._header_bytes > max_header_bytes:
                    self._refuse()

        def on_message_begin(self) -> None:
            self._in_head = True
            self._header_fields = 0
            super().on_message_begin()

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_fields += 1
            if self._header_fields > max_headers:
                self._refuse()
                return
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._header_bytes = 0
            self._finished_in_chunk = True
            if not self.transport.is_closing():
                super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True
            self._header_bytes = 0
            self._finished_in_chunk = True

        def _refuse(self) -> None:
            if not self.transport.is_closing():
                self.transport.write(_TOO_LARGE)
                self.transport.close()

    return BoundedHeadersProtocol
