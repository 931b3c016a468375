"""Pure ASGI middleware adding defensive response headers to everything the server sends."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# JSON responses never need to load anything or be framed (clickjacking, RFC 7034).
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HSTS = "max-age=31536000"


def hosted_page_csp(
    form_targets: tuple[str, ...],
    *,
    image_sources: tuple[str, ...] = (),
    style_hashes: tuple[str, ...] = (),
    scripts: bool = False,
) -> str:
    """The strict CSP of the hosted pages: no script, our stylesheet only.

    ``form-action`` also governs where a form submission may redirect (CSP3 §6.4.1), so
    the allowlisted ``return_to`` origins are listed there. ``image_sources`` (a branding
    logo's origin) and ``style_hashes`` (the branding's one inline rule) widen nothing else.
    ``scripts`` lets a page that offers passkeys load our own static scripts (never inline
    ones) and fetch its WebAuthn options from this origin: ``script-src 'self'`` and
    ``connect-src 'self'``, nothing more.
    """
    form_action = " ".join(("'self'", *form_targets))
    img_src = " ".join(("'self'", *image_sources))
    style_src = " ".join(("'self'", *(f"'{digest}'" for digest in style_hashes)))
    script = "script-src 'self'; connect-src 'self'; " if scripts else ""
    return (
        f"default-src 'none'; {script}style-src {style_src}; img-src {img_src}; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


class SecurityHeaders:
    """Adds nosniff, no-referrer, frame denial, a default CSP, HSTS (outside --dev) and
    ``no-store`` for the API, each unless the response set its own."""

    def __init__(self, app: ASGIApp, *, hsts: bool = True) -> None:
        self.app = app
        self.hsts = hsts
        defaults = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", API_CSP.encode()),
        ]
        if hsts:
            # RFC 6797: browsers stick to HTTPS for a year (ignored over plain HTTP, §8.1).
            # Only --dev, which serves plain HTTP on purpose, goes without.
            defaults.append((b"strict-transport-security", HSTS.encode()))
        self._defaults = tuple(defaults)
        # Tokens and personal data: never stored by browsers or proxies (RFC 6749 §5.1,
        # RFC 9111 §5.2.2.5).
        self._api_defaults = (*self._defaults, (b"cache-control", b"no-store"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = self._api_defaults if scope["path"].startswith("/api/") else self._defaults

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # One pass over the response's headers (raw names are lower-case bytes), not
                # one per default header; a list of its own, as MutableHeaders(scope=...)
                # would make it, without building that object for every response.
                raw = message["headers"] = list(message["headers"])
                present = {name for name, _ in raw}
                raw += [header for header in defaults if header[0] not in present]
            await send(message)

        await self.app(scope, receive, with_headers)
