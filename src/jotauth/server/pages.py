"""Rendering of the server's HTML pages (hosted login, consent, error pages).

Every page is server-rendered without script under a strict CSP. The referrer policy is
``same-origin``: with ``no-referrer`` Chromium sends ``Origin: null`` on the page's own
form POST (Fetch standard, "serializing a request origin"), which the origin check has to
refuse; ``same-origin`` lets the browser name our origin to us and nobody else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from jotauth.server.problems import Problem
from jotauth.server.security_headers import hosted_page_csp

PAGE_REFERRER_POLICY = "same-origin"
_STATIC_CSS = "/static/login.css"


def render_page(
    templates: Jinja2Templates,
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    form_targets: Iterable[str] = (),
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A hosted page; ``form_targets`` are the origins its forms may submit or redirect to."""
    page_headers = {
        "Content-Security-Policy": hosted_page_csp(tuple(sorted(set(form_targets)))),
        "Cache-Control": "no-store",
        "Referrer-Policy": PAGE_REFERRER_POLICY,
        **(headers or {}),
    }
    return templates.TemplateResponse(
        request,
        template,
        {"static_url": _STATIC_CSS, **values},
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
