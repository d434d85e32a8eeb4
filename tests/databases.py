"""The test databases: the PostgreSQL server the tests use beside SQLite, and whether it answers."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator, Optional

import pytest
from sqlalchemy import create_engine, text

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


def require_pg() -> None:
    """Skip the test when the PostgreSQL server does not answer; in CI, where it must, fail it."""
    problem = _pg_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL at {PG_URL} unreachable: {problem}")


@contextmanager
def pg_schema() -> Iterator[str]:
    """The URL of a throwaway schema on the test server, dropped afterwards."""
    require_pg()
    schema = f"govreports_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
