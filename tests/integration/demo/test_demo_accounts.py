"""The demo's accounts in a real SQLite database: created once, with their roles and scopes."""

from __future__ import annotations

from pathlib import Path

from jotauth.composition import open_services
from jotauth_demo.accounts import DEMO_ACCOUNTS, ensure_demo_accounts
from jotauth_demo.settings import demo_settings


async def test_demo_accounts_are_created_once_and_can_log_in(tmp_path: Path) -> None:
    settings = demo_settings(
        data_dir=tmp_path, host="127.0.0.1", port=8000, argon2_memory_cost=64, argon2_time_cost=1
    )

    await ensure_demo_accounts(settings, DEMO_ACCOUNTS)
    await ensure_demo_accounts(settings, DEMO_ACCOUNTS)  # a restart changes nothing

    async with open_services(settings, signing=False) as services:
        users = await services.users.list_users()
        assert sorted(u.email for u in users) == ["admin@example.com", "user@example.com"]
        admin = await services.users.get_user_by_email("admin@example.com")
        reader = await services.users.get_user_by_email("user@example.com")
        assert admin is not None and admin.roles == ("admin",)
        assert "lessons:write" in admin.scope
        assert reader is not None and reader.roles == ()
        assert "lessons:write" not in reader.scope
        for account in DEMO_ACCOUNTS:
            user = await services.users.authenticate(account.email, account.password)
            assert user.email == account.email
