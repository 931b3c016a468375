"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import JSONResponse, Response

from jotauth.server.context import Context
from jotauth.server.signing_keys import SigningKeysError
from jotauth.store import StoreUnavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up and serving HTTP."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness (store reachable)", responses={503: {}})
async def readyz(context: Context) -> Response:
    """200 when the store answers and a signing key is loaded, else 503."""
    try:
        await context.store.ping()
        context.keys.signing_key()
    except StoreUnavailable:
        return JSONResponse({"status": "unavailable", "store": "unreachable"}, status_code=503)
    except SigningKeysError:
        return JSONResponse({"status": "unavailable", "keys": "no signing key"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(context: Context) -> Response:
    """Prometheus text exposition of this app's registry."""
    return Response(context.metrics.render(), media_type=CONTENT_TYPE_LATEST)
