"""Settings of the demo: ``--dev`` cookies, SQLite and a secret key kept in a data directory."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from jotauth.settings import Settings


def demo_settings(*, data_dir: Path, host: str, port: int, **overrides: Any) -> Settings:
    """Settings of the demo: --dev cookies, SQLite and a secret key kept in ``data_dir``.

    ``JOTAUTH_*`` environment variables still apply to everything not fixed here (the
    browser tests shorten the access-token lifetime that way).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    origin = f"http://{host}:{port}"
    # People type "localhost" as often as "127.0.0.1": both may log in (login CSRF checks
    # the Origin header against this list), each with its own cookies (passkeys need the
    # name: WebAuthn takes no IP address as relying party).
    twins = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    origins = (origin, f"http://{twins[host]}:{port}") if host in twins else (origin,)
    values: dict[str, Any] = {
        "dev": True,
        "issuer": origin,
        "public_url": origin,
        "allowed_origins": origins,
        "database_url": f"sqlite+aiosqlite:///{(data_dir / 'jotauth.db').resolve()}",
        "secret_key": _demo_secret_key(data_dir),
        "host": host,
        "port": port,
        # Public sign-up, and the mails' links open the SPA's account pages (/account/…).
        "signup_enabled": True,
        "account_links_url": f"{origin}/account",
    }
    values.update(overrides)
    return Settings(**values)


def _demo_secret_key(data_dir: Path) -> str:
    # The key-encryption key must survive restarts, or the stored signing keys (and every
    # session's CSRF token) would become unreadable; a random one per data directory.
    path = data_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()
