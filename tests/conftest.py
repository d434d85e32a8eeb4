"""Session-wide test setup: crawls run by any test write their summary into a temporary folder,
never over data/crawl-summary.json, which the next real crawl compares itself with; and the
property-based tests run the same examples on every CI run (CI=true), so a landing is judged on
the code, while a developer's run keeps exploring new examples; and `db_url`, the database a
store test runs against, once per backend."""
from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from tests.databases import PG_URL, _pg_problem

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True, scope="session")
def _summary_away_from_data(tmp_path_factory):
    saved = os.environ.get("GOVREPORTS_SUMMARY_FILE")
    os.environ["GOVREPORTS_SUMMARY_FILE"] = str(tmp_path_factory.mktemp("summaries") / "crawl-summary.json")
    yield
    if saved is None:
        os.environ.pop("GOVREPORTS_SUMMARY_FILE", None)
    else:
        os.environ["GOVREPORTS_SUMMARY_FILE"] = saved


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh empty database: a SQLite file under tmp_path, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        # A folder that does not exist yet: the store must create it.
        yield f"sqlite:///{tmp_path}/db/x.sqlite"
        return
    problem = _pg_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL at {PG_URL} unreachable: {problem}")
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
