"""The outbox's delivery loop: claim a due mail, send it, settle it; retry with backoff.

Started by the server's lifespan. "Sent once": a mail is marked sent right after the SMTP
server accepted it and is never claimed again. Only a crash in the instant between the
server's ``250`` and that write can repeat a mail (at-least-once, as any outbox); the repeat
carries the same ``Message-ID`` so mail clients show one. A failed delivery is retried
after ``retry_delay * 2^(attempt-1)`` seconds (capped at an hour), at most ``max_attempts``
times; a permanent refusal (5xx for the recipient) is not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, Protocol

from jotauth.mail.errors import DeliveryFailed, MailError
from jotauth.mail.message import build_message
from jotauth.store import Outbox, QueuedMail

_log = logging.getLogger("jotauth.mail")
MAX_RETRY_DELAY_S = 3600.0
DeliveryOutcome = Literal["sent", "retry", "dead"]


class MailTransport(Protocol):
    """Where messages go: SMTP, or the dev mailbox."""

    @property
    def description(self) -> str:
        """Where mail goes, for the start-up log (no credentials)."""
        ...

    async def send(self, message: EmailMessage) -> None:
        """Deliver one message or raise :class:`DeliveryFailed`."""
        ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded attempts with exponential backoff."""

    max_attempts: int
    retry_delay: float

    def next_attempt_in(self, attempt: int) -> float | None:
        """Seconds until the next try after failed attempt ``attempt`` (1-based), or None
        when the attempts are used up."""
        if attempt >= self.max_attempts:
            return None
        return min(MAX_RETRY_DELAY_S, math.ldexp(self.retry_delay, attempt - 1))


class OutboxDelivery:
    """Drains the outbox through a transport."""

    def __init__(
        self,
        outbox: Outbox,
        transport: MailTransport,
        *,
        sender: str,
        retry: RetryPolicy,
        clock: Callable[[], float] = time.time,
        on_outcome: Callable[[DeliveryOutcome], None] | None = None,
    ) -> None:
        self._outbox = outbox
        self._transport = transport
        self._sender = sender
        self._retry = retry
        self._clock = clock
        self._on_outcome = on_outcome or (lambda outcome: None)
        self._sender_domain = sender.rpartition("@")[2].rstrip(">").strip() or "jotauth"
        self._wake = asyncio.Event()

    @property
    def transport(self) -> MailTransport:
        """Where this delivery sends."""
        return self._transport

    def wake(self) -> None:
        """Deliver now rather than at the next poll (a mail was just queued)."""
        self._wake.set()

    async def deliver_due(self) -> int:
        """Deliver every mail that is due now; returns how many were attempted."""
        attempted = 0
        while (queued := await self._outbox.claim_next()) is not None:
            attempted += 1
            await self._deliver(queued)
        return attempted

    async def run(self, stop: asyncio.Event, *, interval: float) -> None:
        """Until ``stop``: deliver what is due, then wait ``interval`` seconds (or a wake)."""
        while not stop.is_set():
            try:
                await self.deliver_due()
            except Exception as error:  # the store may be down: keep the loop, retry later
                _log.warning("mail delivery pass failed: %s", type(error).__name__)
            self._wake.clear()
            stopping = asyncio.create_task(stop.wait())
            waking = asyncio.create_task(self._wake.wait())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(
                    {stopping, waking}, timeout=interval, return_when=asyncio.FIRST_COMPLETED
                )
            stopping.cancel()
            waking.cancel()

    async def _deliver(self, queued: QueuedMail) -> None:
        try:
            message = build_message(
                queued.mail, sender=self._sender, message_id=f"<{queued.id}@{self._sender_domain}>"
            )
            await self._transport.send(message)
        except MailError as error:
            permanent = not isinstance(error, DeliveryFailed) or error.permanent
            wait = None if permanent else self._retry.next_attempt_in(queued.attempt)
            retry_at = None if wait is None else self._clock() + wait
            await self._outbox.mark_failed(queued.id, error=error.detail, retry_at=retry_at)
            outcome: DeliveryOutcome = "dead" if retry_at is None else "retry"
            # Never the recipient or the body: the log is no mailbox (DESIGN §12).
            _log.warning("mail %s not delivered (%s): %s", queued.id, outcome, error.detail)
            self._on_outcome(outcome)
            return
        await self._outbox.mark_sent(queued.id)
        self._on_outcome("sent")
