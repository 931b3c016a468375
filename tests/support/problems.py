"""Assertions on RFC 9457 problem responses and RFC 6750 ``WWW-Authenticate`` challenges."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}
# RFC 6750 §3.1: a request that carried no credentials gets the scheme and realm only.
BARE_CHALLENGE = 'Bearer realm="jotauth"'


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> Any:
    """Assert a problem+json answer with this status (and ``code``, when given); return its body.

    Also asserts what every problem must show a client: all the RFC 9457 members our
    renderers send, the status repeated in the body, and no stack trace.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body.keys() >= PROBLEM_MEMBERS
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    assert "Traceback" not in response.text
    return body


def challenge(response: httpx.Response) -> str:
    """The ``WWW-Authenticate`` header, or ``""`` when the response has none."""
    value: str = response.headers.get("www-authenticate", "")
    return value


def assert_challenge(response: httpx.Response, error: str | None) -> str:
    """Assert the RFC 6750 challenge: bare when ``error`` is ``None`` (no credentials were
    sent), otherwise naming ``error`` first; return the whole header for further checks."""
    header = challenge(response)
    if error is None:
        assert header == BARE_CHALLENGE, header
    else:
        assert header.startswith(f'{BARE_CHALLENGE}, error="{error}"'), header
    return header
