"""The demo logins: printed at start-up and created in the demo's database on first start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jotauth.composition import open_services
from jotauth.settings import Settings


@dataclass(frozen=True)
class DemoAccount:
    """A demo login printed at start-up: fixed on purpose, the demo only listens on loopback."""

    email: str
    password: str
    name: str
    roles: tuple[str, ...]
    scope: tuple[str, ...]


DEMO_ACCOUNTS = (
    DemoAccount(
        email="user@example.com",
        password="jot-demo-reader-42",
        name="Demo User",
        roles=(),
        scope=("lessons:read",),
    ),
    DemoAccount(
        email="admin@example.com",
        password="jot-demo-keeper-42",
        name="Demo Admin",
        roles=("admin",),
        scope=("lessons:read", "lessons:write"),
    ),
)


async def ensure_demo_accounts(settings: Settings, accounts: Sequence[DemoAccount]) -> None:
    """Create the demo accounts that do not exist yet (this also creates the database)."""
    async with open_services(settings, signing=False) as services:
        for account in accounts:
            if await services.users.get_user_by_email(account.email) is None:
                await services.users.create_user(
                    account.email,
                    account.password,
                    name=account.name,
                    roles=account.roles,
                    scope=account.scope,
                    email_verified=True,  # made by the operator: no mail to confirm
                )
