"""`scrapy crawl annual_reports -O reports.csv`: one flat, Excel-safe row per report with the columns
of the export's reports.csv, while the pipelines still get (and store) the whole ReportPage."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from govreports.export import REPORT_COLUMNS, export_csv
from pipelines.feeds import ReportCsvItemExporter, ReportJsonLinesItemExporter
from tests.fixture_pages import FIXTURES
from tests.portal_fixtures import FAST, ROOT
from tests.test_store import make_page, make_result

SAVED = FIXTURES / "real" / "pingtan-2021.html"
# The columns reports.csv had when the feed export was made; others may follow.
_CORE = ["url", "title", "report_year", "template", "index_no", "issuer", "written_date",
         "published_date", "doc_no", "subject", "category", "portal_code", "sha256", "fetched_at",
         "n_cells", "n_warnings", "warning_codes", "n_checks_failed", "failed_checks"]


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _export(exporter_cls, items, **kwargs) -> bytes:
    buf = io.BytesIO()
    exporter = exporter_cls(buf, **kwargs)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return buf.getvalue()


def test_csv_exporter_flattens_a_report_page():
    page = make_page()
    page.result = make_result(title="=HYPERLINK(\"http://evil\")")
    bare = make_page(b"other", url="https://example.gov.cn/2.htm")   # the pipelines did not run
    data = _export(ReportCsvItemExporter, [page, bare], encoding="utf-8-sig", fields_to_export=None)
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    head, row, bare_row = _csv_rows(data)
    assert head == REPORT_COLUMNS
    r = dict(zip(head, row))
    assert r["title"] == "'=HYPERLINK(\"http://evil\")"
    assert (r["report_year"], r["template"], r["issuer"], r["written_date"]) == \
        ("2019", "2019", "贵溪市人民政府", "2020-01-16")
    assert (r["n_cells"], r["n_warnings"], r["warning_codes"]) == ("5", "2", "row_incomplete;local_row")
    assert (r["n_checks_failed"], r["failed_checks"]) == ("1", "requests.row_total.new")
    assert (r["portal_code"], r["fetched_at"]) == ("360681", "2024-05-01T08:00:00+00:00")
    b = dict(zip(head, bare_row))
    assert (b["url"], b["title"], b["n_cells"]) == ("https://example.gov.cn/2.htm", "", "0")
    assert len(b["sha256"]) == 64


def test_json_lines_are_typed_and_have_no_bom():
    page = make_page()
    page.result = make_result()
    data = _export(ReportJsonLinesItemExporter, [page], encoding="utf-8-sig", fields_to_export=None)
    assert not data.startswith(b"\xef\xbb\xbf")
    (row,) = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert list(row) == REPORT_COLUMNS
    assert (row["report_year"], row["n_cells"], row["published_date"]) == (2019, 5, None)


def test_crawl_with_dash_o_writes_the_reports_csv_row(tmp_path):
    out, db = tmp_path / "out.csv", f"sqlite:///{tmp_path / 'crawl.sqlite'}"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports", "-a", f"url={SAVED.as_uri()}",
           "-O", str(out)]
    for k, v in FAST.items():
        cmd += ["-s", f"{k}={v}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, GOVREPORTS_DATABASE_URL=db),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    head, *rows = _csv_rows(data)
    assert head == REPORT_COLUMNS and set(_CORE) <= set(head)
    (row,) = rows
    feed = dict(zip(head, row))
    assert feed["url"] == SAVED.as_uri()
    assert (feed["title"], feed["report_year"], feed["template"]) == \
        ("平潭综合实验区2021年度政府信息公开工作年度报告", "2021", "2021")
    assert int(feed["n_cells"]) > 150
    # The pipelines still stored the report, and the export of the store says the same thing
    # (a column only the store knows, such as a report's group, is empty in the feed).
    stored_head, *stored_rows = _csv_rows(export_csv(db, tmp_path / "export")["reports"].read_bytes())
    (stored,) = [dict(zip(stored_head, r)) for r in stored_rows]
    assert {k: feed[k] for k in _CORE} == {k: stored[k] for k in _CORE}
