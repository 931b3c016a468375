"""Storage: SQLAlchemy async engine, migrations, signing keys at rest, the audit trail.

``store = await open_store(settings)`` connects (creating and migrating a SQLite file on first
start) and every service takes the :class:`Store`. Any outage surfaces as
:class:`StoreUnavailable` (``code = "store_unavailable"``) so the HTTP layer can answer 503.
"""

from jotauth.store.audit import (
    AUDIT_EVENTS,
    AuditEvent,
    AuditEventName,
    AuditLog,
    ThrottledEventName,
)
from jotauth.store.database import Store, open_store
from jotauth.store.errors import (
    KeyNotFound,
    SealBroken,
    StoreError,
    StoreUnavailable,
    UnsupportedDatabase,
)
from jotauth.store.keys import KEY_STATES, KeyRepository, KeyState, StoredKey
from jotauth.store.outbox import OUTBOX_STATES, Outbox, OutboxState, OutgoingMail, QueuedMail
from jotauth.store.sealing import Sealer
from jotauth.store.throttled_attempts import ThrottledCount
from jotauth.store.unit_statements import prepared

__all__ = [
    "AUDIT_EVENTS",
    "KEY_STATES",
    "OUTBOX_STATES",
    "AuditEvent",
    "AuditEventName",
    "AuditLog",
    "KeyNotFound",
    "KeyRepository",
    "KeyState",
    "Outbox",
    "OutboxState",
    "OutgoingMail",
    "QueuedMail",
    "SealBroken",
    "Sealer",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredKey",
    "ThrottledCount",
    "ThrottledEventName",
    "UnsupportedDatabase",
    "open_store",
    "prepared",
]
