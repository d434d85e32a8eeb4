"""`scrapy crawl annual_reports -a url=URL`: exactly one report page, from a saved file (file://)
or from the simulated portal (http), yielded as it was fetched, and stored by the real pipelines."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

from govreports.mockportal import load_manifest
from tests.fixture_pages import FIXTURES
from tests.portal_fixtures import ROOT, _digest, mock_portal, run_crawl  # noqa: F401 (fixture)

MANIFEST = load_manifest()
SAVED = FIXTURES / "real" / "pingtan-2021.html"
GBK_PAGE = MANIFEST["column"] + "202001/t20200116_14842.htm"
HONGZE_PAGE = MANIFEST["column"] + "202402/t20240226_93001.htm"


def saved_copy(tmp_path):
    # A path with a space and Chinese, as saved pages often have.
    target = tmp_path / "saved pages" / "平潭2021.html"
    target.parent.mkdir()
    shutil.copy(SAVED, target)
    return target


def test_saved_page_by_file_url(tmp_path):
    page = saved_copy(tmp_path)
    run = run_crawl(tmp_path, {"url": page.as_uri()}, collect=True)
    assert run.returncode == 0, run.log[-3000:]
    (item,) = run.items
    assert item["url"] == page.as_uri()
    assert item["path"] == str(page)
    assert item["sha256"] == _digest(SAVED.read_bytes())
    assert item["attachments"] == [] and item["portal_code"] is None and item["list_url"] is None


def test_saved_page_is_stored_by_the_real_pipelines(tmp_path):
    page = saved_copy(tmp_path)
    db = tmp_path / "one.sqlite"
    run = run_crawl(tmp_path, {"url": page.as_uri()}, db_url=f"sqlite:///{db}")
    assert run.returncode == 0, run.log[-3000:]
    assert run.stat("govreports/stored_new") == 1, run.log[-3000:]
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT r.url, v.title, v.report_year FROM reports r "
                           "JOIN report_versions v ON v.report_id = r.id").fetchall()
    assert rows == [(page.as_uri(), "平潭综合实验区2021年度政府信息公开工作年度报告", 2021)]


def test_one_live_page_with_its_charset_and_attachment(mock_portal, tmp_path):
    run = run_crawl(tmp_path, {"url": mock_portal.url(GBK_PAGE)}, collect=True, name="gbk")
    (item,) = run.items
    assert item["headers"]["content-type"] == "text/html; charset=GBK"
    assert item["sha256"] == _digest(mock_portal.file_bytes(GBK_PAGE))
    assert item["path"] is None

    run = run_crawl(tmp_path, {"url": mock_portal.url(HONGZE_PAGE)}, collect=True, name="pdf")
    (item,) = run.items
    assert [a["headers"]["content-type"] for a in item["attachments"]] == ["application/pdf"]
    # Only that page: no list page, no other report.
    assert run.stat("downloader/request_count") == 3   # robots.txt, the page, its PDF


def test_anti_bot_answer_yields_nothing_and_is_recorded(mock_portal, tmp_path):
    (blocked,) = MANIFEST["blocked"]
    run = run_crawl(tmp_path, {"url": mock_portal.url(blocked)}, collect=True)
    assert run.returncode == 0
    assert run.items == []
    assert run.stat("govreports/blocked/rs_ts") == 1


def test_unusable_url_is_refused_with_a_message():
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "annual_reports",
                           "-a", "url=ftp://example.gov.cn/a.htm", "-s", "ITEM_PIPELINES={}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "need an http(s):// or file:// URL" in proc.stderr
