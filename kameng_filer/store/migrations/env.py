"""Alembic environment of the kameng-filer store; normally run by ``kameng_filer.store.engine.upgrade``.

When the store runs it, an open connection is passed in ``config.attributes["connection"]``. For
development, ``alembic -c kameng_filer/store/migrations/alembic.ini …`` works too and uses
``sqlalchemy.url`` or, when that is empty, the database in the data folder (``KAMENG_HOME``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from kameng_filer.schema import METADATA

config = context.config
target_metadata = METADATA


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from kameng_filer import paths

    return f"sqlite:///{paths.db_path()}"


def _configure(**kw: object) -> None:
    context.configure(target_metadata=target_metadata, render_as_batch=True, compare_type=True, **kw)


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the connection handed in by the store, or a fresh engine for the alembic CLI."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url())
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
