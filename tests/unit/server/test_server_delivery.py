"""The token body of a login or refresh: pydantic's serialiser writes what json.dumps wrote."""

import json
import string

from hypothesis import given
from hypothesis import strategies as st

from jotauth.server.delivery import _json, _token_json
from jotauth.server.schemas import TokenResponse

# What the members are made of: JWS compact serialisations (base64url and dots) and
# secrets.token_urlsafe refresh tokens.
_TOKEN = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=600)


@given(
    access=_TOKEN,
    refresh=st.none() | _TOKEN,
    expires_in=st.integers(0, 10**6),
    expires_at=st.integers(0, 2**40),
)
def test_the_token_body_and_headers_are_what_json_dumps_gave(
    access: str, refresh: str | None, expires_in: int, expires_at: int
) -> None:
    body = TokenResponse(
        access_token=access, expires_in=expires_in, expires_at=expires_at, refresh_token=refresh
    )
    fast, reference = _token_json(body), _json(body.model_dump(exclude_none=True))
    assert fast.body == reference.body
    assert fast.raw_headers == reference.raw_headers
    assert json.loads(fast.body)["token_type"] == "Bearer"


def test_the_json_answers_are_never_stored_and_say_their_type() -> None:
    response = _json({"a": 1})
    assert response.raw_headers == [
        (b"cache-control", b"no-store"),
        (b"pragma", b"no-cache"),
        (b"content-length", b"7"),
        (b"content-type", b"application/json"),
    ]
