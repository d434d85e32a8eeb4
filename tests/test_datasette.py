"""Datasette over the SQLite file, as the README runs it:

    datasette data/govreports.sqlite --metadata govreports/datasette/metadata.yml

The database is made by the real store from real parsed reports. The metadata must name only
tables and columns that exist (and describe every column of the store); every canned query must
run. Then Datasette itself is started on a free 127.0.0.1 port: its JSON API answers a canned
query and a facet, and headless Chromium renders a canned query page with its rows.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from lxml import html as lxml_html

from govreports import stats
from govreports.parse import parse_page
from govreports.store import Base, Store
from govreports.views import VIEWS
from tests.fixture_pages import load_page

ROOT = Path(__file__).resolve().parents[1]
METADATA = ROOT / "govreports" / "datasette" / "metadata.yml"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Real reports and the portal each would be crawled from (GB/T 2260 codes).
REPORTS = {"guixi-2019-annual-report.txt": "360681", "pingtan-2019.html": "350128",
           "pingtan-2021.html": "350128"}


def _missing(what: str, why: str) -> None:
    # CI installs every tool these tests need: there a missing one is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"{what} missing in CI: {why}")
    pytest.skip(f"{what} not installed here: {why}")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    # Datasette names the database after the file: govreports.sqlite, as the crawl writes it.
    path = tmp_path_factory.mktemp("datasette") / "govreports.sqlite"
    with Store(f"sqlite:///{path}") as store:
        for name, code in REPORTS.items():
            page = load_page(name)
            page.portal_code = code
            store.save(page, parse_page(page))
    return path


@pytest.fixture(scope="module")
def metadata() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def _columns(con: sqlite3.Connection) -> dict[str, list[str]]:
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
    return {n: [r[1] for r in con.execute(f"PRAGMA table_info({n})")] for n in names}


def test_metadata_describes_what_exists_and_all_of_it(db, metadata):
    assert set(metadata["databases"]) == {"govreports", "demo"}
    meta = metadata["databases"]["govreports"]
    with sqlite3.connect(db) as con:
        columns = _columns(con)
    for table, tmeta in meta["tables"].items():
        assert table in columns, f"metadata.yml describes {table}, which the database lacks"
        described = set(tmeta.get("columns", {}))
        assert described <= set(columns[table]), (table, described - set(columns[table]))
        assert set(tmeta.get("facets", [])) <= set(columns[table]), table
    # Every published table and view is described, column by column.
    for table in [t.name for t in Base.metadata.sorted_tables] + list(VIEWS):
        tmeta = meta["tables"].get(table)
        assert tmeta and tmeta.get("description"), f"metadata.yml: no description of {table}"
        missing = set(columns[table]) - set(tmeta["columns"])
        assert not missing, f"metadata.yml: {table} columns without a description: {sorted(missing)}"


def _run(con: sqlite3.Connection, sql: str, **params) -> list[dict]:
    con.row_factory = sqlite3.Row
    names = {p.lstrip(":") for p in re.findall(r":\w+", sql)}
    return [dict(r) for r in con.execute(sql, {n: params.get(n, "") for n in names})]


def test_canned_queries_run_and_give_the_reports_figures(db, metadata):
    queries = metadata["databases"]["govreports"]["queries"]
    assert {"requests_by_county_year", "failing_reports", "outcome_shares_by_year",
            "warnings_by_code", "appeals_by_year", "check_failure_rates"} <= set(queries)
    with sqlite3.connect(db) as con:
        results = {name: _run(con, q["sql"]) for name, q in queries.items()}
        assert all(q.get("title") and q.get("description") for q in queries.values())

        received = {(r["issuer"], r["report_year"]): r for r in results["requests_by_county_year"]}
        guixi = received["贵溪市人民政府", 2019]
        assert (guixi["province"], guixi["portal_code"], guixi["received"], guixi["natural_person"]) == \
            ("江西省", "360681", 69, 64)
        assert type(guixi["received"]) is int
        assert [r["issuer"] for r in _run(con, queries["requests_by_county_year"]["sql"], province="福建省")] \
            == ["平潭县人民政府", "平潭县人民政府"]
        assert [r["report_year"] for r in _run(con, queries["requests_by_county_year"]["sql"],
                                               province="35", year="2021")] == [2021]

        failing = results["failing_reports"]
        assert [(r["issuer"], r["report_year"]) for r in failing] == [("贵溪市人民政府", 2019)]
        assert failing[0]["n_failed"] == 6 and "requests.balance.natural_person" in failing[0]["failed_checks"]

        with Store(f"sqlite:///{db}") as store:
            figures = stats.compute(store)
        shares = {r["report_year"]: r for r in results["outcome_shares_by_year"]}
        assert set(shares) == set(figures.outcomes)
        for year, row in shares.items():
            assert row["reports"] == figures.outcomes[year][0]
            assert row["handled"] == figures.outcomes[year][2]
            assert row["disclosed_pct"] == round(100 * figures.share(year, "disclosed"), 1)
            assert sum(row[f"{g}_pct"] for g, _, _ in stats.OUTCOME_GROUPS) == pytest.approx(100, abs=0.3)
        rates = {r["check_family"]: r for r in results["check_failure_rates"]}
        for family, fig in figures.checks.items():
            assert (rates[family]["passed"] + rates[family]["failed"], rates[family]["failed"]) == \
                (fig.assessed, fig.failed)
        assert {r["code"] for r in results["warnings_by_code"]} >= {"row_incomplete"}
        assert [r["report_year"] for r in results["appeals_by_year"]] == [2019, 2021]


def test_copies_that_disagree_are_a_canned_query(tmp_path, metadata):
    from govreports.items import Attachment
    page = load_page("pingtan-2021.html")
    page.portal_code = "350128"
    # The page's own report attached again, one figure changed (63 -> 68).
    assert page.body.count(b">63<") == 1
    page.attachments = [Attachment(url="http://www.pingtan.gov.cn/u/copy.html", headers=page.headers,
                                   body=page.body.replace(b">63<", b">68<"))]
    path = tmp_path / "govreports.sqlite"
    with Store(f"sqlite:///{path}") as store:
        store.save(page, parse_page(page))
        alone = load_page("guixi-2019-annual-report.txt")
        store.save(alone, parse_page(alone))
    with sqlite3.connect(path) as con:
        rows = _run(con, metadata["databases"]["govreports"]["queries"]["copies_disagree"]["sql"])
    assert [(r["issuer"], r["report_year"], r["code"]) for r in rows] == [
        ("平潭县人民政府", 2021, "attachment_disagrees")]
    assert "63 stored, 68 in the attachment" in json.loads(rows[0]["raw"])[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def datasette(db):
    if importlib.util.find_spec("datasette") is None:
        _missing("datasette", "pip install -r requirements-dev.txt")
    port = _free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(db), "--metadata",
                             str(METADATA), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"datasette did not start: {log.read().decode(errors='replace')[-2000:]}")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _json(url: str):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


def test_datasette_answers_a_canned_query_and_a_facet(datasette):
    rows = _json(f"{datasette}/govreports/requests_by_county_year.json?_shape=array&province={quote('江西省')}")
    assert [(r["issuer"], r["report_year"], r["received"]) for r in rows] == [("贵溪市人民政府", 2019, 69)]

    table = _json(f"{datasette}/govreports/current_reports.json")
    # The facets come from metadata.yml, not from the request.
    assert set(table["facet_results"]) >= {"province", "report_year", "template"}
    provinces = {f["value"]: f["count"] for f in table["facet_results"]["province"]["results"]}
    assert provinces == {"福建省": 2, "江西省": 1}
    templates = {f["value"]: f["count"] for f in table["facet_results"]["template"]["results"]}
    assert templates == {"2019": 2, "2021": 1}


def test_chromium_renders_the_failing_reports_page(datasette, tmp_path):
    if not Path(CHROMIUM).exists():
        _missing("chromium", "apt-get install -y chromium")
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         f"{datasette}/govreports/failing_reports"],
        capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = lxml_html.fromstring(proc.stdout)
    assert "Reports whose checks fail" in page.findtext(".//h1")
    head = [th.text_content().strip() for th in page.xpath("//table[contains(@class, 'rows-and-columns')]//th")]
    assert head[:5] == ["province", "issuer", "report_year", "template", "n_failed"]
    rows = [[td.text_content().strip() for td in tr.xpath("./td")]
            for tr in page.xpath("//table[contains(@class, 'rows-and-columns')]/tbody/tr")]
    assert len(rows) == 1
    assert rows[0][:5] == ["江西省", "贵溪市人民政府", "2019", "2019", "6"]
    assert "requests.balance.natural_person" in rows[0][5]
