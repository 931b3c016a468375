"""The development mailbox: ``--dev`` without SMTP delivers here, shown at ``/dev/mailbox``.

Mail never goes to the log (it carries single-use links). The box is in memory and
bounded: the newest ``capacity`` messages, lost at restart, for one developer's browser.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True, slots=True)
class DevMail:
    """One delivered message, as the mailbox page shows it."""

    message_id: str
    to: str
    subject: str
    text: str
    html: str
    received_at: float


class DevMailbox:
    """A mail transport that keeps what it is given."""

    def __init__(self, *, capacity: int = 200, clock: Callable[[], float] = time.time) -> None:
        self._messages: deque[DevMail] = deque(maxlen=capacity)
        self._clock = clock

    description = "the dev mailbox (/dev/mailbox)"

    async def send(self, message: EmailMessage) -> None:
        """Keep ``message`` (newest first in :meth:`messages`)."""
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        self._messages.append(
            DevMail(
                message_id=str(message["Message-ID"]),
                to=str(message["To"]),
                subject=str(message["Subject"]),
                text=text.get_content() if text is not None else "",
                html=html.get_content() if html is not None else "",
                received_at=self._clock(),
            )
        )

    def messages(self) -> list[DevMail]:
        """Every kept message, newest first."""
        return list(reversed(self._messages))
