"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import JSONResponse, Response

from jotauth.keys import SigningKeysError
from jotauth.server.context import Context
from jotauth.server.problems import FeatureDisabled, NotAuthenticated, NotFound
from jotauth.store import StoreUnavailable
from jotauth.throttle import ThrottleUnavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up and serving HTTP."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness (what login needs is reachable)", responses={503: {}})
async def readyz(context: Context) -> Response:
    """200 when the store and the login throttle (Redis, when configured) answer and a
    signing key is loaded, else 503: a balancer must not send logins that can only fail."""
    try:
        await context.store.ping()
        await context.throttle.ping()
        context.keys.signing_key()
    except ThrottleUnavailable:  # a StoreUnavailable too: caught first
        return JSONResponse({"status": "unavailable", "throttle": "unreachable"}, status_code=503)
    except StoreUnavailable:
        return JSONResponse({"status": "unavailable", "store": "unreachable"}, status_code=503)
    except SigningKeysError:
        return JSONResponse({"status": "unavailable", "keys": "no signing key"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={401: {}, 404: {}},
)
async def metrics(request: Request, context: Context) -> Response:
    """Prometheus text exposition of this app's registry.

    Only with ``Authorization: Bearer <metrics_token>`` (401 otherwise). Without a configured
    ``metrics_token`` it is open in ``--dev`` and 404 ``feature_disabled`` elsewhere, as it is
    with ``metrics_enabled = false``: a production server never serves it to anyone.
    """
    settings = context.settings
    if not settings.metrics_enabled:
        raise NotFound()
    if settings.metrics_token is None:
        # Login and refresh counts tell an attacker how their spray is going, and the hash
        # queue depth when to push (issue 10, item 13): public only on a developer's machine.
        if not settings.dev:
            raise FeatureDisabled("/metrics needs JOTAUTH_METRICS_TOKEN outside --dev.")
    else:
        # A scraper proves itself with a static bearer token (RFC 6750 §2.1), compared in
        # constant time.
        expected = ("Bearer " + settings.metrics_token.get_secret_value()).encode("utf-8")
        presented = request.headers.get("authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(presented, expected):
            raise NotAuthenticated("/metrics needs the metrics bearer token.")
    try:
        # The outbox is shared by every instance: its counts are read at scrape time.
        for state, count in (await context.outbox.counts()).items():
            context.metrics.mail_outbox.labels(state).set(count)
    except StoreUnavailable:
        pass  # the other series still tell the story; readiness reports the store
    return Response(context.metrics.render(), media_type=CONTENT_TYPE_LATEST)
