"""Schema revisions: every database is brought to the current schema by Alembic, never by hand.

The revisions live in govreports/migrations/versions (batch mode, so SQLite can alter tables).
Opening a Store calls `ensure_current`, which decides by what it finds:

- no govreports table yet: the revisions are run from the first, so a new database is built by
  exactly the code that upgrades old ones (and the migrations are exercised on every new
  database, not only on the rare upgrade);
- govreports tables but no `alembic_version` (made by `create_all` before migrations existed):
  stamped at head if the tables already match the models, else at BASELINE (the schema every
  release before migrations created) and upgraded from there;
- an older revision: upgraded.

A schema change runs in one transaction that has the database to itself (SQLite: BEGIN IMMEDIATE
with foreign keys off, because a batch migration recreates a table and a DROP TABLE with foreign
keys on would cascade into the child rows, and legacy ALTER TABLE so views over a rebuilt table
do not fail the rename; PostgreSQL: an advisory lock), so a crawl and a CLI
command opening the store at once do not both migrate. Derived data (report groups, primary
reports, continuity checks: govreports.groups) is rebuilt in that same transaction whenever an
existing database was upgraded or stamped, because the rules that make it live in code.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The schema of every database made before migrations existed (commit 5113879, `create_all`).
BASELINE = "0001"
# Any one of the tables tells a govreports database from an empty (or foreign) one.
MARKER_TABLE = "reports"
# pg_advisory_xact_lock key: b"govrepor" as a big-endian integer; any constant would do.
_PG_LOCK = 0x676F767265706F72


class SchemaError(RuntimeError):
    """The database's schema cannot be brought to this code's (e.g. it is newer)."""


def alembic_config(connection: Optional[Connection] = None, *,
                   version_locations: Optional[list[str]] = None) -> Config:
    """An Alembic Config for the packaged migrations, working on `connection` when given.

    `version_locations` adds folders of extra revisions (the tests add a test-only one).
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if version_locations:
        cfg.set_main_option("version_locations", " ".join(
            [str(MIGRATIONS / "versions"), *map(str, version_locations)]))
        cfg.set_main_option("path_separator", "space")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision of this code's schema."""
    return _script().get_current_head()


def current_revision(conn: Connection) -> Optional[str]:
    """The revision stamped in the database, None if it has none."""
    return MigrationContext.configure(conn).get_current_revision()


def differences(conn: Connection) -> list[Any]:
    """What Alembic autogenerate would change to make the database match the models."""
    from govreports.store import Base
    ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
    return compare_metadata(ctx, Base.metadata)


@contextmanager
def exclusive(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that has the database to itself, committed on success."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            # Not inside a transaction: SQLite ignores this pragma there.
            raw = conn.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")
            # A batch migration renames its rebuilt copy of a table; modern SQLite then re-checks
            # every view over that table, mid-rebuild, and refuses (govreports.views has some).
            raw.execute("PRAGMA legacy_alter_table=ON")
            try:
                conn.execution_options(govreports_write=True)  # BEGIN IMMEDIATE (store._sqlite_setup)
                with conn.begin():
                    # SQLite refuses to rename a table a view names (batch mode does), so the
                    # views go first; Store recreates them (govreports.views.ensure_views).
                    from govreports.views import drop_views
                    drop_views(conn)
                    yield conn
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaError(f"migration left dangling foreign keys: {broken[:5]}")
            finally:
                raw.execute("PRAGMA legacy_alter_table=OFF")
                raw.execute("PRAGMA foreign_keys=ON")
        return
    with engine.connect() as conn, conn.begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            # PostgreSQL refuses to drop or retype a column a view uses.
            from govreports.views import drop_views
            drop_views(conn)
        yield conn


def ensure_current(engine: Engine) -> Optional[str]:
    """Bring the database to head. Returns None if it already was, else what was done:
    "created", "stamped" or "upgraded"."""
    target = head()
    with engine.connect() as conn:
        if current_revision(conn) == target:
            return None
    with exclusive(engine) as conn:
        return _bring_to_head(conn, target)


def _bring_to_head(conn: Connection, target: str) -> Optional[str]:
    # Checked again under the lock: another process may have migrated meanwhile.
    rev = current_revision(conn)
    if rev == target:
        return None
    cfg = alembic_config(conn)
    if rev is None:
        if not inspect(conn).has_table(MARKER_TABLE):
            command.upgrade(cfg, "head")
            return "created"
        if not differences(conn):
            command.stamp(cfg, "head")
            action = "stamped"
        else:
            log.info("un-versioned database: stamping %s and upgrading", BASELINE)
            command.stamp(cfg, BASELINE)
            command.upgrade(cfg, "head")
            action = "upgraded"
    else:
        try:
            _script().get_revision(rev)
        except CommandError as exc:
            raise SchemaError(f"the database is at revision {rev!r}, which this code does not know "
                              f"(made by a newer govreports?); its head is {target!r}") from exc
        command.upgrade(cfg, "head")
        action = "upgraded"
    from govreports import groups
    groups.rebuild(conn)
    return action


def upgrade(engine: Engine, revision: str = "head", *,
            version_locations: Optional[list[str]] = None) -> None:
    """Upgrade (or, for an older target, nothing) to `revision`, with no derived-data rebuild."""
    with exclusive(engine) as conn:
        command.upgrade(alembic_config(conn, version_locations=version_locations), revision)


def downgrade(engine: Engine, revision: str, *,
              version_locations: Optional[list[str]] = None) -> None:
    with exclusive(engine) as conn:
        command.downgrade(alembic_config(conn, version_locations=version_locations), revision)


def describe(engine: Engine) -> dict[str, Any]:
    """The database's revision, this code's head, and whether they agree."""
    with engine.connect() as conn:
        rev = current_revision(conn)
        tables = inspect(conn).has_table(MARKER_TABLE)
    return {"current": rev, "head": head(), "up_to_date": rev == head(),
            "unversioned": rev is None and tables}
