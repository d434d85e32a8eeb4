"""Session-wide test setup: crawls run by any test write their summary into a temporary folder,
never over data/crawl-summary.json, which the next real crawl compares itself with; and the
property-based tests run the same examples on every CI run (CI=true), so a landing is judged on
the code, while a developer's run keeps exploring new examples; and `db_url`, the database a
store test runs against, once per backend."""
from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.databases import pg_schema

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
    with pg_schema() as url:
        yield url
