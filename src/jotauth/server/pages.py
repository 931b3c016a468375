"""Rendering of the server's HTML pages (hosted login, consent, error pages).

Every page is server-rendered and works without script, under a strict CSP; the pages
that offer passkeys add our own static script (``static/passkeys.js``), never an inline
one. The referrer policy is ``same-origin``: with ``no-referrer`` Chromium sends
``Origin: null`` on the page's own form POST (Fetch standard, "serializing a request
origin"), which the origin check has to refuse; ``same-origin`` lets the browser name our
origin to us and nobody else.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from jotauth.server.problems import Problem
from jotauth.server.security_headers import hosted_page_csp

PAGE_REFERRER_POLICY = "same-origin"
_STATIC_CSS = "/static/login.css"


@dataclass(frozen=True)
class Branding:
    """Product name, logo and accent colour of the hosted pages (from the settings)."""

    name: str = "jotauth"
    logo_url: str | None = None
    accent_color: str = "#3558d4"
    style: str = field(init=False)
    style_hash: str = field(init=False)

    def __post_init__(self) -> None:
        # One inline rule, allowed by its hash: the pages still run under style-src 'self'.
        style = f":root {{ --accent: {self.accent_color}; }}"
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        object.__setattr__(self, "style", style)
        object.__setattr__(self, "style_hash", f"sha256-{digest}")

    @property
    def image_sources(self) -> tuple[str, ...]:
        """The logo's origin when it lives elsewhere (CSP img-src)."""
        if not self.logo_url or self.logo_url.startswith("/"):
            return ()
        parts = urlsplit(self.logo_url)
        return (f"{parts.scheme}://{parts.netloc}",)


def install_branding(templates: Jinja2Templates, branding: Branding) -> None:
    """Use ``branding`` on every page of ``templates`` (set once, at start-up; pages of
    templates without it show the defaults)."""
    templates.env.globals["brand"] = branding


def render_page(
    templates: Jinja2Templates,
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    form_targets: Iterable[str] = (),
    status: int = 200,
    headers: dict[str, str] | None = None,
    scripts: bool = False,
) -> Response:
    """A hosted page; ``form_targets`` are the origins its forms may submit or redirect to;
    ``scripts``: the page loads our static scripts (passkeys), see :func:`hosted_page_csp`."""
    brand = templates.env.globals.get("brand")
    branding = brand if isinstance(brand, Branding) else Branding()
    csp = hosted_page_csp(
        tuple(sorted(set(form_targets))),
        image_sources=branding.image_sources,
        style_hashes=(branding.style_hash,),
        scripts=scripts,
    )
    page_headers = {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "Referrer-Policy": PAGE_REFERRER_POLICY,
        **(headers or {}),
    }
    return templates.TemplateResponse(
        request,
        template,
        {"static_url": _STATIC_CSS, "brand": branding, **values},
        status_code=status,
        headers=page_headers,
    )


def wants_html(request: Request) -> bool:
    """Whether the client is a browser navigating (asks for HTML), not an API client.

    API clients send ``Accept: application/json``, ``*/*`` or nothing, and keep getting
    problem+json; browsers put ``text/html`` first in every navigation's ``Accept``.
    """
    accept = request.headers.get("accept", "")
    return "text/html" in accept.split(",", 1)[0]


def error_page(templates: Jinja2Templates, request: Request, problem: Problem) -> Response:
    """A human-readable page for ``problem``, with its status and headers."""
    return render_page(
        templates,
        request,
        "error.html",
        {"title": problem.title, "detail": problem.detail},
        status=problem.status,
        headers=problem.response_headers(),
    )
