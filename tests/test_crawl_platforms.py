"""The real spider (`scrapy crawl` in a subprocess) on simulated Hanweb, Hanweb-Jiangxi, gkmlpt
and VSB portals (tests/platform_sites.py), through the real pipelines into SQLite.

One registry crawl of the four portals is checked from every side: each report stored once with
its files and cells (the .wps/.xls/.doc read as the same fixture files alone), header fields from
gkmlpt's JSON, anti-bot answers and an off-site redirect recorded per URL in fetch_log and never
stored, https falling back to http, a 503 list page and a late report page retried after growing
waits, the close summary per portal. A second run into the
same database fetches list pages only. A run stopped after one item and resumed from its JOBDIR
ends with the rows of the uninterrupted crawl. A column given by hand is detected.

Issue 4's portals (platform_sites.build_paging_sites) are crawled apart: a Fujian list2.trsapi
column paged through the site search channel, a Hanweb JPaaS column drawn from its page-build
unit, and a Hanweb column with encrypted dataproxy parameters, recorded as such.
"""
from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from urllib.parse import urlencode

import pytest

from govreports.items import ReportPage
from govreports.model import ParseResult
from govreports.parse import parse_page
from govreports.store import exact_text
from tests import platform_sites as ps
from tests.platform_sites import GK_HEADER_1002, Site, gk_path, registry_csv, start_sites, stop_sites
from tests.portal_fixtures import CrawlRun, run_crawl

BACKOFF = 0.3
# Retries on, with short waits; a timeout well above the longest parse of these pages.
CRAWL = {"RETRY_ENABLED": "True", "RETRY_TIMES": "3", "RETRY_BACKOFF_BASE": str(BACKOFF),
         "DOWNLOAD_TIMEOUT": "1.5"}


@dataclass
class Crawl:
    run: CrawlRun
    db: Path

    def rows(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db) as con:
            return con.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def sites():
    running = start_sites()
    yield running
    stop_sites(running)


@pytest.fixture(scope="module")
def registry(sites, tmp_path_factory) -> Path:
    return registry_csv(sites, tmp_path_factory.mktemp("registry") / "registry.csv")


@pytest.fixture(scope="module")
def first(sites, registry, tmp_path_factory) -> Crawl:
    tmp = tmp_path_factory.mktemp("first")
    db = tmp / "crawl.sqlite"
    run = run_crawl(tmp, {"registry": str(registry)}, settings=CRAWL, db_url=f"sqlite:///{db}")
    assert run.returncode == 0, run.log[-4000:]
    # Hits per path after the first crawl, for the second one to be compared with.
    hits = {key: dict(site.portal.hits_full) for key, site in sites.items()}
    crawl = Crawl(run, db)
    crawl.hits_after = hits  # type: ignore[attr-defined]
    return crawl


def expected_reports(sites: dict[str, Site]) -> dict[str, str]:
    return {site.stored_url(path): site.code for site in sites.values() for path in site.reports}


# --- the first crawl ---------------------------------------------------------------------------

def test_every_report_is_stored_once_under_its_portal(first, sites):
    rows = first.rows("SELECT url, portal_code FROM reports")
    assert sorted(rows) == sorted(expected_reports(sites).items())
    assert first.rows("SELECT COUNT(*) FROM report_versions")[0][0] == len(rows)
    assert first.run.stat("govreports/stored_new") == len(rows)
    assert first.run.stat("log_count/ERROR") == 0, first.run.log[-4000:]


def test_files_are_stored_with_their_report(first, sites):
    stored = first.rows("SELECT r.url, p.url FROM raw_pages p JOIN report_versions v ON v.id = p.version_id "
                        "JOIN reports r ON r.id = v.report_id WHERE p.role = 'attachment'")
    got: dict[str, set[str]] = {}
    for report, file in stored:
        got.setdefault(report, set()).add(file)
    want = {site.stored_url(report): {site.url(f) for f in files}
            for site in sites.values() for report, files in site.files.items()}
    assert got == want
    # pdf, doc, docx, wps and xls files all came along (the Office files' reading is checked below).
    assert {Path(f.split("filename=")[-1]).suffix for fs in want.values() for f in fs} >= {
        ".pdf", ".doc", ".docx", ".wps", ".xls"}


def test_reports_have_cells_and_attachment_reports_have_the_attachments_cells(first, sites):
    cells = dict(first.rows(
        "SELECT r.url, COUNT(c.id) FROM reports r JOIN report_versions v ON v.id = r.current_version_id "
        "LEFT JOIN cells c ON c.version_id = v.id GROUP BY r.url"))
    from_files = {site.stored_url(p) for site in sites.values() for p in site.cells_from_files}
    for url in expected_reports(sites):
        if "art_5863_104" in url:
            continue  # the image-only report
        assert cells[url] > 20, url
    warned = {url for (url,) in first.rows(
        "SELECT r.url FROM warnings w JOIN report_versions v ON v.id = w.version_id "
        "JOIN reports r ON r.id = v.report_id WHERE w.code = 'tables_from_attachment'")}
    assert warned == from_files


def _cell_tuples(cells) -> list[tuple]:
    return [(c.table, c.row, c.col, exact_text(c.value), c.raw, bool(c.inferred), c.origin) for c in cells]


def _read_directly(name: str) -> ParseResult:
    """A fixture file parsed alone, under its own name and the content type its manifest gives."""
    manifest = json.loads((ps.FIXTURES / Path(name).parent / "manifest.json").read_text("utf-8"))
    return parse_page(ReportPage(url=f"http://x.gov.cn/{Path(name).name}", body=ps.fixture(name),
                                 headers=manifest[Path(name).name]["headers"]))


def test_wps_xls_and_doc_attachments_are_read_as_the_files_are_on_their_own(first, sites):
    hanweb = sites["hanweb"]
    report = ps.HW_ROWS[3][0]
    wps, xls, doc = (hanweb.url(f) for f in hanweb.files[report])
    (version,) = first.rows("SELECT v.id FROM reports r JOIN report_versions v "
                            "ON v.id = r.current_version_id WHERE r.url = ?", hanweb.stored_url(report))
    stored = {url: (zlib.decompress(body), json.loads(headers)) for url, body, headers in first.rows(
        "SELECT url, body, headers FROM raw_pages WHERE version_id = ? AND role = 'attachment'", *version)}
    names = {wps: ps.HW_WPS_FILE, xls: ps.HW_XLS_FILE, doc: ps.HW_DOC_FILE}
    assert {url: sha256(body).hexdigest() for url, (body, _) in stored.items()} == {
        url: sha256(ps.fixture(n)).hexdigest() for url, n in names.items()}
    # Each file as stored (its bytes, the headers kept) reads as the fixture does on its own:
    # a re-parse of the store would find every one of the three tables, not only the first.
    for url, name in names.items():
        alone = _read_directly(name)
        assert len(alone.cells) > 20 and not alone.warnings, name
        body, headers = stored[url]
        again = parse_page(ReportPage(url=url, body=body, headers=headers))
        assert _cell_tuples(again.cells) == _cell_tuples(alone.cells), name
        assert again.source.media_type == alone.source.media_type, name
    # The report's numbers are the first file's (the .wps, a Word 97 file sent as octet-stream).
    wps_alone = _read_directly(ps.HW_WPS_FILE)
    cells = first.rows("SELECT table_key, row_key, col_key, value_exact, raw, inferred, origin FROM cells "
                       "WHERE version_id = ? ORDER BY position", *version)
    assert [(*c[:5], bool(c[5]), c[6]) for c in cells] == _cell_tuples(wps_alone.cells)
    sections = first.rows("SELECT no, heading FROM sections WHERE version_id = ? ORDER BY position", *version)
    assert sections == [(sec.no, sec.heading) for sec in wps_alone.sections] and sections
    (template, year), = first.rows("SELECT template, report_year FROM report_versions WHERE id = ?", *version)
    assert (template, year) == (wps_alone.template, wps_alone.report_year)
    warnings = first.rows("SELECT code, location, message FROM warnings WHERE version_id = ?", *version)
    assert warnings[0] == ("tables_from_attachment", "source", f"tables taken from the attachment {wps}")
    # The .xls and the .doc are other reports: each is set against the .wps, and what it says
    # otherwise, or has besides, is on record (govreports.sources).
    against = {(code, next(u for u in (xls, doc) if f"the attachment {u} " in message))
               for code, _, message in warnings[1:]}
    assert {code for code, _ in against} <= {"attachment_disagrees", "attachment_cells_unused"}
    assert {u for _, u in against} == {xls, doc} and len(against) == len(warnings) - 1


def test_gkmlpt_header_fields_come_from_the_list_json(first, sites):
    url = sites["gkmlpt"].stored_url(gk_path(1002))
    (row,) = first.rows("SELECT v.index_no, v.issuer, v.written_date, v.published_date, v.subject "
                        "FROM reports r JOIN report_versions v ON v.id = r.current_version_id "
                        "WHERE r.url = ?", url)
    # The page itself shows no header at all: every field is the JSON article's.
    assert row == (GK_HEADER_1002["identifier"], GK_HEADER_1002["publisher"], "2023-01-18",
                   "2023-01-19", "政府信息公开年报")


def test_encodings_are_recorded(first, sites):
    enc = dict(first.rows("SELECT r.url, v.encoding FROM reports r "
                          "JOIN report_versions v ON v.id = r.current_version_id"))
    hanweb, jiangxi = sites["hanweb"], sites["jiangxi"]
    # GB2312 declared only in <meta>; GBK in the HTTP header; UTF-8.
    assert enc[hanweb.stored_url("/art/2022/1/26/art_1229106699_3006.html")].startswith("gb")
    assert enc[jiangxi.stored_url("/art/2020/1/15/art_5863_103.html")].startswith("gb")
    assert enc[jiangxi.stored_url("/art/2022/1/20/art_5863_102.html")] == "utf-8"


def test_anti_bot_answers_are_recorded_per_url_and_never_stored(first, sites):
    logged = {(url, reason): (outcome, code, role, status)
              for url, reason, outcome, code, role, status in first.rows(
                  "SELECT url, reason, outcome, portal_code, role, status FROM fetch_log "
                  "WHERE outcome = 'blocked'")}
    want = {(site.stored_url(path), reason): ("blocked", site.code, "report")
            for site in sites.values() for path, reason in site.blocked.items()}
    assert {k: v[:3] for k, v in logged.items()} == want
    assert {reason for _, reason in want} == {"jsl_521", "http_403", "rs_ts", "http_418", "stub_200"}
    stored = {url for (url,) in first.rows("SELECT url FROM reports")}
    assert not stored & {url for url, _ in want}
    for site in sites.values():
        for reason in set(site.blocked.values()):
            n = sum(1 for r in site.blocked.values() if r == reason)
            assert first.run.stat(f"govreports/portal/{site.code}/blocked/{reason}") == n


def test_a_redirect_off_the_allowed_hosts_is_dropped_and_recorded(first, sites):
    vsb = sites["vsb"]
    rows = first.rows("SELECT url, detail, portal_code, role FROM fetch_log WHERE outcome = 'offsite'")
    assert sorted(rows) == sorted((vsb.stored_url(path), target, vsb.code,
                                   "attachment" if "download" in path else "report")
                                  for path, target in vsb.offsite.items())
    assert first.run.stat("govreports/offsite_redirect") == len(vsb.offsite)
    assert not first.rows("SELECT 1 FROM reports WHERE url LIKE '%saintpaulhem%'")
    assert not first.rows("SELECT 1 FROM raw_pages WHERE url LIKE '%saintpaulhem%'")
    # The report whose second file was redirected away is stored all the same, with its first.
    report = vsb.stored_url(ps.VSB_ROWS[0][1][0])
    assert first.rows("SELECT p.url FROM raw_pages p JOIN report_versions v ON v.id = p.version_id "
                      "JOIN reports r ON r.id = v.report_id WHERE r.url = ? AND p.role = 'attachment'",
                      report) == [(vsb.url(ps.VSB_FILE),)]


def test_https_that_fails_its_handshake_falls_back_to_http(first, sites):
    vsb = sites["vsb"]
    assert vsb.column_url.startswith("https://") and vsb.portal.tls_refused >= 1
    rows = first.rows("SELECT url, reason, portal_code FROM fetch_log WHERE outcome = 'fallback'")
    assert {reason for _, reason, _ in rows} == {"tls_failed"}
    assert (vsb.column_url, "tls_failed", vsb.code) in rows
    # One failed handshake for the host, not one per request or per retry.
    assert vsb.portal.tls_refused == 1
    assert all(url.startswith("http://") for (url,) in first.rows(
        "SELECT url FROM reports WHERE portal_code = ?", vsb.code))


def test_5xx_and_timeouts_are_retried_after_growing_waits(first, sites):
    for site in sites.values():
        for path, failures in site.retried.items():
            times = site.portal.times(path)[: failures + 1]
            assert len(times) == failures + 1, path
            waits = [b - a for a, b in zip(times, times[1:])]
            for n, wait in enumerate(waits, 1):
                assert wait >= BACKOFF * 2 ** (n - 1), (path, waits)
    assert first.run.stat("retry/reason_count/503 Service Unavailable") == 2
    assert first.run.stat("retry/reason_count/scrapy.exceptions.DownloadTimeoutError") == 1


def _assert_list_pages_asked(sites: dict[str, Site]) -> None:
    """Every list page a site's platform pages through was asked for, none it must not be."""
    for site in sites.values():
        for page in site.first_pages + site.later_pages:
            assert site.portal.hits_full[page] >= 1, (site.key, page)
        for page in site.never:
            assert site.portal.hits_full[page] == 0, (site.key, page)


def test_lists_are_paged_the_platform_way(first, sites):
    _assert_list_pages_asked(sites)
    for site in sites.values():
        for path in site.not_reports:
            assert site.portal.hits[path] == 0, (site.key, path)


def test_close_summary_counts_per_portal(first, sites):
    assert "crawl summary per portal" in first.run.log
    for site in sites.values():
        assert first.run.stat(f"govreports/portal/{site.code}/reports") == len(site.reports)
        line = next(line for line in first.run.log.splitlines() if line.strip().startswith(site.code + ":"))
        assert f"{len(site.reports)} reports" in line and f"blocked {len(site.blocked)}" in line


# --- incremental: the second run --------------------------------------------------------------

def test_a_second_run_fetches_list_pages_only(first, sites, registry, tmp_path):
    before = {key: dict(site.portal.hits_full) for key, site in sites.items()}
    second = run_crawl(tmp_path, {"registry": str(registry)}, settings=CRAWL,
                       db_url=f"sqlite:///{first.db}", name="second")
    assert second.returncode == 0, second.log[-4000:]
    for key, site in sites.items():
        now = site.portal.hits_full
        asked = {k: now[k] - before[key].get(k, 0) for k in now if now[k] != before[key].get(k, 0)}
        # Page 1 of each list holds only stored reports: nothing beyond it is asked for.
        assert set(asked) <= set(site.first_pages) | {"/robots.txt"}, (key, asked)
        assert all(asked.get(p) == 1 for p in site.first_pages), (key, asked)
    assert second.stat("govreports/stored_new") == second.stat("govreports/stored_unchanged") == 0
    assert second.stat("govreports/skipped_known") == 8  # two on each first page
    assert second.stat("govreports/paging_stopped") == 4
    assert first.rows("SELECT COUNT(*) FROM report_versions")[0][0] == len(expected_reports(sites))


# --- pause and resume -------------------------------------------------------------------------

def _rows_of(db: Path, code: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT r.url, v.content_sha256, v.title, "
            "(SELECT COUNT(*) FROM cells c WHERE c.version_id = v.id), "
            "(SELECT group_concat(p.url, ' ') FROM raw_pages p WHERE p.version_id = v.id) "
            "FROM reports r JOIN report_versions v ON v.id = r.current_version_id "
            "WHERE r.portal_code = ? ORDER BY r.url", (code,)).fetchall()


def test_jobdir_pause_and_resume_ends_with_the_rows_of_an_uninterrupted_crawl(first, sites, registry,
                                                                              tmp_path):
    hanweb = sites["hanweb"]
    db = f"sqlite:///{tmp_path / 'resumed.sqlite'}"
    args = {"registry": str(registry), "code": hanweb.code}
    jobdir = {**CRAWL, "JOBDIR": str(tmp_path / "job")}
    paused = run_crawl(tmp_path, args, settings={**jobdir, "CLOSESPIDER_ITEMCOUNT": "1"},
                       db_url=db, name="paused")
    assert paused.returncode == 0, paused.log[-4000:]
    assert paused.stats["finish_reason"] == "closespider_itemcount"
    assert 1 <= len(_rows_of(tmp_path / "resumed.sqlite", hanweb.code)) < len(hanweb.reports)
    resumed = run_crawl(tmp_path, args, settings=jobdir, db_url=db, name="resumed")
    assert resumed.returncode == 0, resumed.log[-4000:]
    assert resumed.stats["finish_reason"] == "finished"
    assert _rows_of(tmp_path / "resumed.sqlite", hanweb.code) == _rows_of(first.db, hanweb.code)


# --- a column given by hand -------------------------------------------------------------------

def test_a_gkmlpt_column_given_by_hand_is_detected(sites, tmp_path):
    gk = sites["gkmlpt"]
    run = run_crawl(tmp_path, {"column": gk.url("/gkmlpt/index")}, collect=True)
    assert run.returncode == 0, run.log[-4000:]
    assert run.stat("govreports/detected/gkmlpt") == 1
    assert sorted(i["url"] for i in run.items) == sorted(gk.stored_url(p) for p in gk.reports)
    listed = {i["url"]: i for i in run.items}[gk.stored_url(gk_path(1002))]
    assert "11440305007542227X/2023-00123" in listed["headers"]["x-govreports-listing-header"]


# --- issue 4: later pages through the platform's own channel ----------------------------------

@pytest.fixture(scope="module")
def paging_sites():
    running = start_sites(ps.build_paging_sites)
    yield running
    stop_sites(running)


@pytest.fixture(scope="module")
def paging(paging_sites, tmp_path_factory) -> Crawl:
    tmp = tmp_path_factory.mktemp("paging")
    db = tmp / "crawl.sqlite"
    registry = registry_csv(paging_sites, tmp / "registry.csv")
    run = run_crawl(tmp, {"registry": str(registry)}, settings=CRAWL, db_url=f"sqlite:///{db}")
    assert run.returncode == 0, run.log[-4000:]
    crawl = Crawl(run, db)
    crawl.registry = registry  # type: ignore[attr-defined]
    return crawl


def _beyond_page_1(sites: dict[str, Site]) -> set[str]:
    fujian, unit = sites["fujian"], sites["zjunit"]
    return ({fujian.stored_url(ps.fj_path(n)) for n in range(ps.FJ_PER, len(ps.FJ_ROWS))
             if ps.FJ_ROWS[n][3] is not None}
            | {unit.stored_url(p) for p, _, body in ps.ZJU_ROWS if body is not None})


def test_reports_beyond_page_1_are_stored_exactly_once(paging, paging_sites):
    rows = paging.rows("SELECT url, portal_code FROM reports")
    assert sorted(rows) == sorted(expected_reports(paging_sites).items())
    beyond = _beyond_page_1(paging_sites)
    assert len(beyond) == 9 and beyond <= {url for url, _ in rows}
    versions = dict(paging.rows("SELECT r.url, COUNT(v.id) FROM reports r JOIN report_versions v "
                                "ON v.report_id = r.id GROUP BY r.url"))
    assert set(versions.values()) == {1}
    for site in paging_sites.values():
        for path in site.reports:
            assert site.portal.hits[path] >= 1, (site.key, path)  # more only when retried
        for path in site.not_reports:
            assert site.portal.hits[path] == 0, (site.key, path)
    assert paging.run.stat("govreports/stored_new") == len(rows)
    assert paging.run.stat("log_count/ERROR") == 0, paging.run.log[-4000:]


def test_later_pages_are_asked_from_the_platforms_channel(paging, paging_sites):
    _assert_list_pages_asked(paging_sites)
    unit = paging_sites["zjunit"]
    # In this order (a page the busy test machine answered too late is asked again).
    assert list(dict.fromkeys(a.get("paramJson") for a in unit.asked)) == [
        None, '{"pageNo":2,"pageSize":4}', '{"pageNo":3,"pageSize":4}']
    assert paging_sites["encrypted"].portal.hits["/module/web/jpage/dataproxy.jsp"] == 0


def test_search_rows_give_fujian_reports_the_header_their_pages_lack(paging, paging_sites):
    fujian = paging_sites["fujian"]
    (row,) = paging.rows("SELECT v.index_no, v.published_date FROM reports r JOIN report_versions v "
                         "ON v.id = r.current_version_id WHERE r.url = ?",
                         fujian.stored_url(ps.fj_path(11)))
    # The 索引号 only the search row has; the page's own date stands before the row's.
    assert row == ("FJ001813-0300-2014-80754", "2014-01-22")
    # Rows of the static page 1 have no such header.
    (row,) = paging.rows("SELECT v.index_no FROM reports r JOIN report_versions v "
                         "ON v.id = r.current_version_id WHERE r.url = ?",
                         fujian.stored_url(ps.fj_path(1)))
    assert row == (None,)


def test_an_encrypted_list_is_recorded_not_taken_for_complete(paging, paging_sites):
    enc = paging_sites["encrypted"]
    rows = paging.rows("SELECT url, outcome, reason, portal_code, role FROM fetch_log")
    assert rows == [(enc.column_url, "blocked", "encrypted_params", enc.code, "list")]
    (detail,) = paging.rows("SELECT detail FROM fetch_log")[0]
    assert f"{ps.ENC_TOTAL} announced, 3 on the page" in detail
    assert paging.run.stat(f"govreports/portal/{enc.code}/blocked/encrypted_params") == 1
    line = next(line for line in paging.run.log.splitlines()
                if line.strip().startswith(enc.code + ":"))
    assert "2 reports" in line and "blocked 1 (encrypted_params 1)" in line


def test_a_second_run_reads_page_1_only_and_records_the_encrypted_list_again(paging, paging_sites,
                                                                              tmp_path):
    before = {key: dict(site.portal.hits_full) for key, site in paging_sites.items()}
    second = run_crawl(tmp_path, {"registry": str(paging.registry)}, settings=CRAWL,
                       db_url=f"sqlite:///{paging.db}", name="second")
    assert second.returncode == 0, second.log[-4000:]
    for key, site in paging_sites.items():
        now = site.portal.hits_full
        asked = {k for k in now if now[k] != before[key].get(k, 0)} - {"/robots.txt"}
        want = set(site.first_pages)
        if key == "zjunit":  # the shell, then the unit's page 1 that holds its first report
            want.add(f"{ps.ZJU_API}?" + urlencode(ps.ZJU_QUERY))
        assert asked == want, (key, asked)
    assert second.stat("govreports/stored_new") == 0
    assert paging.rows("SELECT COUNT(*) FROM fetch_log WHERE reason = 'encrypted_params'") == [(2,)]
