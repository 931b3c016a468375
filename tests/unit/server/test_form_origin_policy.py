"""Which hosted-form POSTs the origin rules accept: what browsers really send (Fetch)."""

import pytest
from starlette.requests import Request

from jotauth.server.csrf import OriginPolicy
from jotauth.server.problems import OriginNotAllowed

OWN = "https://auth.example.test"
APP = "https://app.example.test"


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/login", "headers": raw})


POLICY = OriginPolicy(own_origin=OWN, allowed_origins=(APP,))


@pytest.mark.parametrize(
    "headers",
    [
        # Chromium under Referrer-Policy: no-referrer: Origin null, but the browser vouches.
        {"Sec-Fetch-Site": "same-origin", "Origin": "null"},
        {"Sec-Fetch-Site": "same-origin", "Origin": OWN},
        {"Sec-Fetch-Site": "same-site", "Origin": APP},  # an allowlisted sibling
        {"Origin": OWN},  # an older browser without Fetch Metadata
        {},  # not a browser: cannot carry a victim's cookies
    ],
)
def test_form_posts_browsers_send_from_allowed_pages_pass(headers: dict[str, str]) -> None:
    POLICY.check_form_submission(_request(headers))


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site", "Origin": OWN},  # a forged Origin does not help
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.example.test"},
        {"Origin": "null"},  # sandboxed frame, no Fetch Metadata
        {"Origin": "https://evil.example"},
    ],
)
def test_form_posts_from_other_sites_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(OriginNotAllowed):
        POLICY.check_form_submission(_request(headers))
