"""The test databases: the PostgreSQL server the tests use beside SQLite, and whether it answers."""
from __future__ import annotations

import os
from typing import Optional

from sqlalchemy import create_engine

PG_URL = os.environ.get("GOVREPORTS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_reachable: Optional[str] = None


def _pg_problem() -> str:
    """Empty if the PostgreSQL server answers, else why not (asked once per run)."""
    global _pg_reachable
    if _pg_reachable is None:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                _pg_reachable = ""
        except Exception as exc:  # any failure to connect means: no server here
            _pg_reachable = f"{type(exc).__name__}: {exc}".splitlines()[0]
        finally:
            engine.dispose()
    return _pg_reachable
