"""Alembic environment: migrates the connection jotauth hands over (see ``jotauth.store.migrate``).

Used from the command line too: ``alembic -x url=sqlite:///jotauth.db upgrade head`` with a
config whose ``script_location`` points here (see ``migrations/README.md``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from jotauth.store.migrate import VERSION_TABLE
from jotauth.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database with -x url=... (a synchronous driver URL)")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


_main()
