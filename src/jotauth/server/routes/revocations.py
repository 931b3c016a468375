"""``/.well-known/jotauth-revocations``: sessions ended within the access-token lifetime."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from jotauth.server.context import Context

router = APIRouter(tags=["keys"])


@router.get(
    "/.well-known/jotauth-revocations",
    summary="Recently ended sessions, for resource servers (DESIGN §9)",
    response_description="{sessions: {sid: refuse-until}, keys: {kid: refuse-until}}",
)
async def revocations(request: Request, context: Context) -> Response:
    """Poll this (honouring ``max-age`` and the ETag) to refuse ended sessions' tokens."""
    document = await context.revocations.document()
    etag = document.etag()
    headers = {
        "Cache-Control": f"public, max-age={context.revocations.max_age}",
        "ETag": etag,
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(document.to_json(), media_type="application/json", headers=headers)
