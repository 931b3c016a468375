"""The dev mailbox (``--dev`` without SMTP): the mails this server sent, as a page and JSON.

Only in development mode and only when mail goes there; 404 otherwise. A developer (and
the demo, which links to it) reads reset and verification links here instead of in the
log, where mail never goes (DESIGN §12).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from jotauth.mail import DevMailbox
from jotauth.server.context import Context, ServerContext
from jotauth.server.pages import render_page
from jotauth.server.problems import NotFound

router = APIRouter(prefix="/dev", tags=["development"], include_in_schema=False)
_LINK = re.compile(r"https?://[^\s<>\"']+")


def _mailbox(context: ServerContext) -> DevMailbox:
    mailbox = context.dev_mailbox
    if not context.settings.dev or mailbox is None:
        raise NotFound()
    return mailbox


@router.get("/mailbox", response_model=None)
async def mailbox_page(request: Request, context: Context) -> Response:
    """The kept mails, newest first, their links clickable."""
    mails = [
        {"subject": m.subject, "to": m.to, "text": m.text, "links": _LINK.findall(m.text)}
        for m in _mailbox(context).messages()
    ]
    return render_page(context.templates, request, "dev_mailbox.html", {"mails": mails})


@router.get("/mailbox.json", response_model=None)
async def mailbox_json(context: Context) -> Response:
    """The same as JSON: ``{"mails": [{id, to, subject, text, links, received_at}]}``."""
    mails = [
        {
            "id": m.message_id,
            "to": m.to,
            "subject": m.subject,
            "text": m.text,
            "links": _LINK.findall(m.text),
            "received_at": m.received_at,
        }
        for m in _mailbox(context).messages()
    ]
    return JSONResponse({"mails": mails}, headers={"Cache-Control": "no-store"})
