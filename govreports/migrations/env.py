"""Alembic environment for govreports.store's schema (`Base.metadata`, batch mode for SQLite).

Run by govreports.migrate, which passes an open connection in `config.attributes["connection"]`
and owns its transaction. Run by the `alembic` command (alembic.ini at the repository root), it
opens the database by the rule every govreports command follows (govreports.config.database_url:
`-x db=URL`, then $GOVREPORTS_DATABASE_URL, then the default SQLite file), through the same
exclusive transaction.
"""
from __future__ import annotations

from alembic import context

from govreports.config import database_url
from govreports.store import Base

config = context.config
OPTIONS = dict(target_metadata=Base.metadata, render_as_batch=True, compare_type=True,
               # SQLite has transactional DDL too: one schema change is all or nothing there as well.
               transactional_ddl=True)


def _url() -> str:
    return database_url(explicit=context.get_x_argument(as_dictionary=True).get("db"))


def run_offline() -> None:
    context.configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"}, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        context.configure(connection=conn, **OPTIONS)
        context.run_migrations()
        return
    from govreports.migrate import exclusive
    from govreports.store import create_store_engine
    engine = create_store_engine(_url())
    try:
        with exclusive(engine) as conn:
            context.configure(connection=conn, **OPTIONS)
            context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
