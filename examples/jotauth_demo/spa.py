"""The built single-page app: files as they are, ``index.html`` for client routes, a strict CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jotauth_demo.dispatch import Receive, Scope, Send

# Content-Security-Policy of the single-page apps (OWASP XSS prevention: no inline script,
# nothing loaded from other origins, no framing). Angular inserts component styles at
# runtime, so inline styles are allowed; scripts never are.
_SPA_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SinglePageApp:
    """Serves a built single-page app: files as they are, ``index.html`` for client routes.

    A path whose last segment has no dot is a client route (``/lessons``, ``/signin``) and
    gets ``index.html`` — the one of its first directory when that has its own (the
    AngularJS page in ``/legacy/``), else the root one. A missing file (``/main-XYZ.js``)
    stays a 404, so a stale bundle fails loudly instead of loading HTML as script.
    """

    def __init__(self, directory: Path) -> None:
        from starlette.staticfiles import StaticFiles

        self.directory = directory
        self._files = StaticFiles(directory=directory, check_dir=False)

    def index_for(self, path: str) -> Path:
        """The ``index.html`` that answers the client route ``path``."""
        first = path.strip("/").split("/", 1)[0]
        if first and first not in (".", "..") and "\\" not in first:
            nested = self.directory / first / "index.html"
            if nested.is_file():
                return nested
        return self.directory / "index.html"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point (HTTP only)."""
        from starlette.exceptions import HTTPException
        from starlette.responses import FileResponse, PlainTextResponse, Response

        if scope["type"] != "http":
            return
        path = str(scope["path"])
        response: Response
        if not (self.directory / "index.html").is_file():
            response = PlainTextResponse(
                "The demo app is not built. Run scripts/demo.sh (or `make demo`).", 503
            )
        elif scope["method"] not in ("GET", "HEAD"):
            response = PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "GET, HEAD"})
        elif path.endswith("/") or "." not in path.rsplit("/", 1)[-1]:
            response = FileResponse(self.index_for(path))
        else:
            try:
                response = await self._files.get_response(self._files.get_path(scope), scope)
            except HTTPException as error:
                response = PlainTextResponse(str(error.detail), error.status_code)
        _add_spa_headers(response, is_html=response.media_type == "text/html")
        await response(scope, receive, send)


def _add_spa_headers(response: Any, *, is_html: bool) -> None:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if is_html:
        headers["Content-Security-Policy"] = _SPA_CSP
        # index.html names the hashed bundles, so it must be revalidated on every load.
        headers["Cache-Control"] = "no-cache"
    elif response.status_code == 200:
        headers["Cache-Control"] = "public, max-age=3600"
