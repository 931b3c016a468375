"""The durable mail outbox (DESIGN §12): mails written in a transaction, delivered later.

A mail is queued in the same transaction as what it announces (the single-use link it
carries), so either both exist or neither. Delivery claims one row at a time with a
conditional ``UPDATE`` (``pending`` and due, or a ``sending`` lease that ran out): of several
instances, exactly one wins each row. A delivery that fails goes back to ``pending`` with a
later ``next_attempt_at``; after ``max_attempts`` it is ``dead`` (kept for the operator, its
count in ``/metrics``). A sent mail's bodies are cleared: they held a link.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from jotauth.store.database import Store
from jotauth.store.schema import mail_outbox

OutboxState = Literal["pending", "sending", "sent", "dead"]
OUTBOX_STATES: tuple[OutboxState, ...] = ("pending", "sending", "sent", "dead")
# How long a claimed mail is reserved for the instance that claimed it: past it (the
# instance died mid-delivery), another instance delivers it.
LEASE_S = 120.0
_MAX_ERROR_CHARS = 200


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """A rendered mail: recipient, subject and both bodies (headers already checked)."""

    recipient: str
    subject: str
    text_body: str
    html_body: str
    recipient_name: str = ""


@dataclass(frozen=True, slots=True)
class QueuedMail:
    """A mail claimed for delivery: its id (the Message-ID's left part) and attempt number."""

    id: str
    mail: OutgoingMail
    attempt: int


class Outbox:
    """Queue, claim and settle mails in the ``mail_outbox`` table."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def enqueue_in(self, conn: AsyncConnection, mail: OutgoingMail) -> str:
        """Queue ``mail`` inside the caller's transaction; returns its id."""
        mail_id = uuid.uuid4().hex
        now = self._clock()
        await conn.execute(
            insert(mail_outbox).values(
                id=mail_id,
                recipient=mail.recipient,
                recipient_name=mail.recipient_name,
                subject=mail.subject,
                text_body=mail.text_body,
                html_body=mail.html_body,
                state="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
        return mail_id

    async def enqueue(self, mail: OutgoingMail) -> str:
        """Queue ``mail`` in a transaction of its own."""
        async with self._store.transaction() as conn:
            return await self.enqueue_in(conn, mail)

    async def claim_next(self) -> QueuedMail | None:
        """Reserve the oldest due mail for delivery, or None when nothing is due."""
        now = self._clock()
        due = or_(
            and_(mail_outbox.c.state == "pending", mail_outbox.c.next_attempt_at <= now),
            and_(mail_outbox.c.state == "sending", mail_outbox.c.lease_until < now),
        )
        async with self._store.read() as conn:
            candidates = (
                await conn.execute(
                    select(mail_outbox.c.id)
                    .where(due)
                    .order_by(mail_outbox.c.next_attempt_at)
                    .limit(5)
                )
            ).scalars()
            ids = list(candidates)
        for mail_id in ids:
            async with self._store.transaction() as conn:
                claimed = (
                    (
                        await conn.execute(
                            update(mail_outbox)
                            .where(mail_outbox.c.id == mail_id, due)
                            .values(
                                state="sending",
                                lease_until=now + LEASE_S,
                                attempts=mail_outbox.c.attempts + 1,
                            )
                            .returning(*mail_outbox.c)
                        )
                    )
                    .mappings()
                    .first()
                )
            if claimed is not None:  # else another instance won this row: try the next
                return QueuedMail(
                    id=claimed["id"],
                    attempt=int(claimed["attempts"]),
                    mail=OutgoingMail(
                        recipient=claimed["recipient"],
                        recipient_name=claimed["recipient_name"],
                        subject=claimed["subject"],
                        text_body=claimed["text_body"],
                        html_body=claimed["html_body"],
                    ),
                )
        return None

    async def mark_sent(self, mail_id: str) -> None:
        """The SMTP server accepted the mail: never send it again; drop its bodies."""
        async with self._store.transaction() as conn:
            await conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id == mail_id)
                .values(
                    state="sent",
                    sent_at=self._clock(),
                    lease_until=None,
                    text_body="",
                    html_body="",
                    last_error=None,
                )
            )

    async def mark_failed(self, mail_id: str, *, error: str, retry_at: float | None) -> None:
        """A delivery failed: retry at ``retry_at``, or give up (``dead``) when None."""
        values: dict[str, object] = {
            "state": "pending" if retry_at is not None else "dead",
            "lease_until": None,
            "last_error": error[:_MAX_ERROR_CHARS],
        }
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        async with self._store.transaction() as conn:
            await conn.execute(
                update(mail_outbox).where(mail_outbox.c.id == mail_id).values(**values)
            )

    async def counts(self) -> dict[OutboxState, int]:
        """How many mails are in each state."""
        async with self._store.read() as conn:
            rows = await conn.execute(
                select(mail_outbox.c.state, func.count()).group_by(mail_outbox.c.state)
            )
            found = {state: int(count) for state, count in rows}
        return {state: found.get(state, 0) for state in OUTBOX_STATES}
