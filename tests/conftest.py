"""Session-wide test setup: crawls run by any test write their summary into a temporary folder,
never over data/crawl-summary.json, which the next real crawl compares itself with."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _summary_away_from_data(tmp_path_factory):
    saved = os.environ.get("GOVREPORTS_SUMMARY_FILE")
    os.environ["GOVREPORTS_SUMMARY_FILE"] = str(tmp_path_factory.mktemp("summaries") / "crawl-summary.json")
    yield
    if saved is None:
        os.environ.pop("GOVREPORTS_SUMMARY_FILE", None)
    else:
        os.environ["GOVREPORTS_SUMMARY_FILE"] = saved
