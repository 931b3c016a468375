"""WebSocket handshakes through JWTAuthMiddleware: bearer in the subprotocol list, or the
access cookie from an allowed origin; anything else is closed with 1008."""

import json

import pytest
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import connect

from jotauth.guard import WEBSOCKET_BEARER_PROTOCOL
from tests.integration.guard.guard_apps import ACCESS_COOKIE
from tests.integration.guard.guard_harness import APP_ORIGIN


def ws_url(server) -> str:
    return f"ws://127.0.0.1:{server.port}/api/ws"


def test_bearer_subprotocol_is_accepted_and_only_the_marker_is_echoed(guarded, mint):
    token = mint.token(sub="ws-user")
    with connect(ws_url(guarded), subprotocols=[WEBSOCKET_BEARER_PROTOCOL, token]) as ws:
        assert ws.subprotocol == WEBSOCKET_BEARER_PROTOCOL
        message = json.loads(ws.recv(timeout=5))
    assert message["sub"] == "ws-user"
    assert token not in message["subprotocols"]  # the app never sees the token
    assert message["subprotocols"] == [WEBSOCKET_BEARER_PROTOCOL]


def test_other_subprotocols_survive_next_to_the_bearer_one(guarded, mint):
    token = mint.token()
    offered = ["chat.v1", WEBSOCKET_BEARER_PROTOCOL, token]
    with connect(ws_url(guarded), subprotocols=offered) as ws:
        message = json.loads(ws.recv(timeout=5))
    assert message["subprotocols"] == ["chat.v1", WEBSOCKET_BEARER_PROTOCOL]


def test_access_cookie_from_an_allowed_origin_is_accepted(guarded, mint):
    headers = {"Cookie": f"{ACCESS_COOKIE}={mint.token(sub='cookie-ws')}"}
    with connect(ws_url(guarded), additional_headers=headers, origin=APP_ORIGIN) as ws:
        assert json.loads(ws.recv(timeout=5))["sub"] == "cookie-ws"


def closed_code(url: str, **kwargs) -> tuple[int, str]:
    with connect(url, **kwargs) as ws, pytest.raises(ConnectionClosedError) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_missing_token_closes_with_1008(guarded):
    assert closed_code(ws_url(guarded)) == (1008, "missing_token")


def test_invalid_bearer_subprotocol_closes_with_1008(guarded, mint):
    expired = mint.token(exp=1000)
    code, reason = closed_code(ws_url(guarded), subprotocols=[WEBSOCKET_BEARER_PROTOCOL, expired])
    assert (code, reason) == (1008, "expired")


def test_bearer_marker_without_a_token_closes_with_1008(guarded):
    code, _ = closed_code(ws_url(guarded), subprotocols=[WEBSOCKET_BEARER_PROTOCOL])
    assert code == 1008


def test_cookie_handshake_from_a_foreign_origin_closes_with_1008(guarded, mint):
    # Cross-site WebSocket hijacking: the browser would attach the cookie for evil.example.
    headers = {"Cookie": f"{ACCESS_COOKIE}={mint.token()}"}
    code, reason = closed_code(
        ws_url(guarded), additional_headers=headers, origin="https://evil.example"
    )
    assert (code, reason) == (1008, "csrf_failed")


def test_refusal_is_a_1008_close_even_when_only_app_subprotocols_were_offered(guarded):
    # Without a subprotocol in the accept, browsers would fail the handshake (1006) instead.
    with connect(ws_url(guarded), subprotocols=["chat.v1"]) as ws:
        assert ws.subprotocol == "chat.v1"
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "missing_token")


def test_refusal_of_a_bearer_subprotocol_handshake_echoes_the_marker_not_the_token(guarded):
    with connect(ws_url(guarded), subprotocols=[WEBSOCKET_BEARER_PROTOCOL, "not-a-jwt"]) as ws:
        assert ws.subprotocol == WEBSOCKET_BEARER_PROTOCOL
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=5)
