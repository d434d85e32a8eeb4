"""Fetching right, piece by piece (the crawl tests in test_crawl_platforms.py run them together):
anti-bot answers told from pages, off-site redirects dropped and recorded, https falling back to
http only when nothing came back, retry waits, the list's header merged into the parse, the
incremental store query, and the fetch log's rows and per-portal stats."""
from __future__ import annotations

import sqlite3

import pytest
from scrapy.exceptions import (DownloadConnectionRefusedError, DownloadFailedError,
                               DownloadTimeoutError)
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from govreports.antibot import blocked_reason
from govreports.incremental import KnownReports
from govreports.items import ReportPage, listing_header, with_listing_header
from govreports.mockportal import Answer, Hit
from govreports.parse import parse_page
from govreports.store import Store
from spiders.annual_reports import AnnualReportsSpider
from spiders.crawling.fetchlog import FetchLog, fetch_problem, report_fetch
from spiders.crawling.httpfallback import HttpFallbackMiddleware, tls_failed
from spiders.crawling.redirects import (OffsiteMetaRefreshMiddleware, OffsiteRedirect,
                                        OffsiteRedirectMiddleware)
from spiders.crawling.retry import BackoffRetryMiddleware
from tests import platform_sites as ps
from tests.fixture_pages import FIXTURES


# --- anti-bot answers --------------------------------------------------------------------------

@pytest.mark.parametrize("answer,reason", [
    (ps.RS_412, "rs_ts"), (ps.JSL_521, "jsl_521"), (ps.WAF_418, "http_418"),
    (ps.DENIED_403, "http_403"), (ps.STUB_200, "stub_200"),
    ((200, b"<html><head></head><body>  </body></html>"), "stub_200"),
])
def test_anti_bot_answers_are_classified(answer, reason):
    assert blocked_reason(*answer) == reason


@pytest.mark.parametrize("body", [
    ps.gkmlpt_index(Hit("/gkmlpt/index", {}, 1)).body,               # an app shell with data
    b'<?xml version="1.0"?><datastore><recordset></recordset></datastore>',  # an empty list
    b'{"classify": {"post_count": 0}, "articles": []}',
    b"<html><body>\xe6\x9a\x82\xe6\x97\xa0\xe4\xbf\xa1\xe6\x81\xaf</body></html>",  # 暂无信息
    ps.SMALL_PDF, ps.OLE,
    (FIXTURES / "html" / "image-only-2021.html").read_bytes(),
])
def test_small_real_answers_are_not_stubs(body):
    assert blocked_reason(200, body) is None


# --- off-site redirects ------------------------------------------------------------------------

def crawler_with_spider(settings=None):
    crawler = get_crawler(AnnualReportsSpider, {"GOVREPORTS_INCREMENTAL": False, **(settings or {})})
    crawler.spider = AnnualReportsSpider.from_crawler(crawler, column="http://www.x.gov.cn/nb/")
    recorded = []
    crawler.signals.connect(lambda **kw: recorded.append(kw), signal=fetch_problem, weak=False)
    return crawler, recorded


def test_a_3xx_off_the_allowed_hosts_fails_the_request_and_is_recorded():
    crawler, recorded = crawler_with_spider()
    mw = OffsiteRedirectMiddleware.from_crawler(crawler)
    request = Request("http://www.x.gov.cn/nb/1.htm", meta={"govreports_portal": "350128"})
    away = Response(request.url, status=302, headers={"Location": "http://saintpaulhem.com/nb/1.htm"})
    with pytest.raises(OffsiteRedirect):
        mw.process_response(request, away)
    (row,) = recorded
    assert (row["url"], row["outcome"], row["reason"], row["detail"], row["portal_code"]) == (
        request.url, "offsite", "offsite_redirect", "http://saintpaulhem.com/nb/1.htm", "350128")
    # Redirects that stay on allowed hosts go on to Scrapy's RedirectMiddleware.
    home = Response(request.url, status=301, headers={"Location": "/nb/2.htm"})
    assert mw.process_response(request, home) is home
    assert mw.process_response(request, Response(request.url, status=200)) is not None


def test_a_meta_refresh_off_the_allowed_hosts_is_dropped_too():
    crawler, recorded = crawler_with_spider()
    mw = OffsiteMetaRefreshMiddleware.from_crawler(crawler)
    request = Request("http://www.x.gov.cn/nb/1.htm")
    page = HtmlResponse(request.url, body=b'<html><head><meta http-equiv="refresh" content="0;'
                                          b'url=http://fitline.top/nb/1.htm"></head></html>')
    with pytest.raises(OffsiteRedirect):
        mw.process_response(request, page)
    assert recorded[0]["detail"] == "http://fitline.top/nb/1.htm"
    same = HtmlResponse(request.url, body=b'<meta http-equiv="refresh" content="0;url=/nb/2.htm">')
    assert mw.process_response(request, same) is same


# --- https -> http -----------------------------------------------------------------------------

def _cut(exc):
    try:
        raise DownloadFailedError(str(exc)) from exc
    except DownloadFailedError as wrapped:
        return wrapped


def test_tls_failure_is_nothing_coming_back():
    assert tls_failed(_cut(ResponseNeverReceived([Failure(ConnectionLost())])))
    assert tls_failed(DownloadConnectionRefusedError("port 443 closed"))
    # A response cut halfway, or a slow server, is not a TLS problem: retried as it is.
    assert not tls_failed(_cut(ResponseFailed([Failure(ConnectionLost())])))
    assert not tls_failed(DownloadTimeoutError("took too long"))


def test_https_falls_back_to_http_for_the_whole_host_and_is_recorded_per_portal():
    crawler, recorded = crawler_with_spider()
    mw = HttpFallbackMiddleware.from_crawler(crawler)
    broken = _cut(ResponseNeverReceived([Failure(ConnectionLost())]))
    first = Request("https://www.x.gov.cn/robots.txt")
    again = mw.process_exception(first, broken)
    assert again.url == "http://www.x.gov.cn/robots.txt" and again.dont_filter
    assert again.meta["govreports_https_url"] == first.url
    column = Request("https://www.x.gov.cn:443/nb/", meta={"govreports_portal": "350128"})
    assert mw.process_request(column).url == "http://www.x.gov.cn/nb/"
    assert mw.process_request(Request("https://www.y.gov.cn/nb/")) is None
    assert mw.process_request(Request("http://www.x.gov.cn/nb/")) is None
    assert [(r["url"], r["portal_code"]) for r in recorded] == [
        (first.url, None), ("https://www.x.gov.cn:443/nb/", "350128")]
    assert mw.process_exception(Request("https://www.z.gov.cn/"), DownloadTimeoutError()) is None
    off, _ = crawler_with_spider({"GOVREPORTS_HTTP_FALLBACK": False})
    assert HttpFallbackMiddleware.from_crawler(off).process_exception(first, broken) is None


# --- retries -----------------------------------------------------------------------------------

def test_retry_waits_double_up_to_the_cap():
    mw = BackoffRetryMiddleware(Settings({"RETRY_ENABLED": True, "RETRY_BACKOFF_BASE": 2,
                                          "RETRY_BACKOFF_MAX": 60}))
    assert [mw.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_the_project_replaces_scrapys_retry_middleware():
    from scrapy.utils.project import get_project_settings
    mws = get_project_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert mws["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert mws["spiders.crawling.retry.BackoffRetryMiddleware"] == 550
    # Order matters: the fallback sees a TLS failure before the retries, the 3xx check sees the
    # answer before RedirectMiddleware (600), the meta refresh check after decompression (590).
    assert mws["spiders.crawling.httpfallback.HttpFallbackMiddleware"] > 550
    assert mws["spiders.crawling.redirects.OffsiteRedirectMiddleware"] > 600
    assert 580 < mws["spiders.crawling.redirects.OffsiteMetaRefreshMiddleware"] < 590


# --- the list's header in the parse ------------------------------------------------------------

def test_listing_header_fills_the_gaps_of_the_pages_own_header():
    body = ("<html><head><title>某县2022年政府信息公开工作年度报告</title></head><body>"
            "<table><tr><td>发布机构：</td><td>某县人民政府办公室</td><td>发布日期：</td>"
            "<td>2023-01-20</td></tr></table>"
            "<p>全文详见附件。</p></body></html>").encode("utf-8")
    headers = with_listing_header({"content-type": "text/html; charset=utf-8"},
                                  [("索引号", "000014349/2023-00012"), ("发布机构", "列表里的机构"),
                                   ("成文日期", "2023-01-18"), ("文号", "")])
    assert listing_header(headers) == [("索引号", "000014349/2023-00012"), ("发布机构", "列表里的机构"),
                                       ("成文日期", "2023-01-18")]
    header = parse_page(ReportPage(url="http://www.x.gov.cn/a.html", body=body, headers=headers)).header
    assert header.index_no == "000014349/2023-00012" and header.written_date == "2023-01-18"
    # The page wins where both say.
    assert (header.issuer, header.published_date) == ("某县人民政府办公室", "2023-01-20")
    assert with_listing_header({"a": "b"}, []) == {"a": "b"}
    assert listing_header({"x-govreports-listing-header": "not json"}) == []


# --- the store: known reports and the fetch log ------------------------------------------------

def test_known_reports_are_one_query_and_ignore_the_scheme(tmp_path):
    db = f"sqlite:///{tmp_path / 'k.sqlite'}"
    from tests.test_store import make_result
    with Store(db) as store:
        page = ReportPage(url="http://www.x.gov.cn/nb/1.htm", body=b"<html>1</html>",
                          headers={}, fetched_at="2024-05-01T08:00:00+00:00")
        store.save(page, make_result())
    known = KnownReports(db)
    assert known.known(["https://www.x.gov.cn/nb/1.htm", "http://www.x.gov.cn/nb/2.htm"]) == {
        "https://www.x.gov.cn/nb/1.htm"}
    known.close()
    # No database: nothing is known, so everything is fetched.
    down = KnownReports("postgresql+psycopg://crawler@127.0.0.1:1/govreports")
    assert down.known(["http://a.gov.cn/"]) == set() and down.known(["http://b.gov.cn/"]) == set()


def test_fetch_log_rows_and_per_portal_stats(tmp_path, monkeypatch):
    db = tmp_path / "log.sqlite"
    monkeypatch.setenv("GOVREPORTS_DATABASE_URL", f"sqlite:///{db}")
    crawler = get_crawler(AnnualReportsSpider)
    ext = FetchLog.from_crawler(crawler)
    request = Request("http://www.x.gov.cn/nb/2.htm",
                      meta={"govreports_portal": "350128", "govreports_role": "report"})
    report_fetch(crawler, request, "blocked", "rs_ts", status=412, size=470)
    report_fetch(crawler, None, "fallback", "tls_failed", url="https://www.x.gov.cn/robots.txt")
    stats = crawler.stats.get_stats()
    assert stats["govreports/portal/350128/blocked"] == 1
    assert stats["govreports/portal/350128/blocked/rs_ts"] == 1
    assert stats["govreports/portal/-/fallback/tls_failed"] == 1
    assert ext.summary()[1].startswith("350128: 0 reports") and "blocked 1 (rs_ts 1)" in ext.summary()[1]
    ext.spider_closed(None, "finished")
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT url, portal_code, role, outcome, reason, status, size FROM fetch_log "
                           "ORDER BY id").fetchall()
    assert rows == [("http://www.x.gov.cn/nb/2.htm", "350128", "report", "blocked", "rs_ts", 412, 470),
                    ("https://www.x.gov.cn/robots.txt", None, None, "fallback", "tls_failed", None, None)]
    with pytest.raises(sqlite3.IntegrityError):
        with sqlite3.connect(db) as con:
            con.execute("INSERT INTO fetch_log (url, outcome, reason, logged_at) "
                        "VALUES ('x', 'stored', 'r', '2024-01-01')")


# --- incremental: what counts as known, when a list may stop early -----------------------------

def test_a_report_refused_for_good_recently_counts_as_known_a_passing_failure_does_not(tmp_path):
    from datetime import datetime, timedelta, timezone
    db = f"sqlite:///{tmp_path / 'k.sqlite'}"
    now = datetime.now(timezone.utc)
    base = "http://www.x.gov.cn/nb/"
    with Store(db) as store:
        for name, outcome, reason, role, age in [
                ("robots", "failed", "robots_txt", "report", 1), ("waf", "blocked", "rs_ts", "report", 1),
                ("gone", "failed", "http_404", "report", 1), ("busy", "failed", "http_503", "report", 1),
                ("slow", "failed", "DownloadTimeoutError", "report", 1),
                ("old", "failed", "robots_txt", "report", 40),
                ("asfile", "failed", "http_404", "attachment", 1)]:
            store.log_fetch(base + name, outcome, reason, role=role,
                            logged_at=now - timedelta(days=age))
    known = KnownReports(db, failed_known_days=30)
    urls = [base + n for n in ("robots", "waf", "gone", "busy", "slow", "old", "asfile", "new")]
    # The https twin of a refused http address is the same page.
    assert known.known(urls + ["https://www.x.gov.cn/nb/robots"]) == {
        base + "robots", base + "waf", base + "gone", "https://www.x.gov.cn/nb/robots"}
    assert known.last_failed == {base + "robots", base + "waf", base + "gone",
                                 "https://www.x.gov.cn/nb/robots"}
    known.close()
    off = KnownReports(db, failed_known_days=0)
    assert off.known(urls) == set()
    off.close()


def test_a_list_stops_early_only_after_a_finished_walk(tmp_path):
    from datetime import datetime, timezone
    db = f"sqlite:///{tmp_path / 'w.sqlite'}"
    col, other = "http://www.x.gov.cn/nb/", "http://www.y.gov.cn/nb/"
    first = KnownReports(db)
    # Never walked: walked in full.
    assert first.begin_walk(col, "350128") is False
    assert first.begin_walk(other, "350129") is False
    # A crawl that was stopped (or killed: finish never runs) finishes no walk.
    assert first.finish("shutdown") == []
    first.close()
    second = KnownReports(db)
    assert second.begin_walk(col, "350128") is False
    assert second.begin_walk(other, "350129") is False
    with Store(db) as store:
        # A list page of 350129 failed during this walk; 350128 only had a report refused for good.
        store.log_fetch(other + "index_2.html", "failed", "http_503", portal_code="350129", role="list")
        store.log_fetch(col + "r.html", "failed", "robots_txt", portal_code="350128", role="report")
    assert second.finish("finished") == [col]
    second.close()
    third = KnownReports(db)
    assert third.begin_walk(col, "350128") is True
    assert third.begin_walk(other, "350129") is False
    # Asked again in the same run, the answer is the same (the start was recorded once).
    assert third.begin_walk(col, "350128") is True
    third.close()
    # Killed now: the walk that began in `third` is the latest, and it did not finish.
    fourth = KnownReports(db)
    assert fourth.begin_walk(col, "350128") is False
    with Store(db) as store:
        walk = store.walks([col])[col]
        assert walk.finished_at is None and walk.started_at < datetime.now(timezone.utc)
    fourth.close()


ROBOTS_TITLE = "模拟县人民政府{}年政府信息公开工作年度报告"


def _robots_column(hit: Hit) -> Answer:
    pages = {"/nb/index.html": ([("2023.html", 2023), ("forbidden/2022.html", 2022)], "index_1.html"),
             "/nb/index_1.html": ([("2021.html", 2021)], None)}
    links, nxt = pages[hit.path]
    items = "".join(f'<li><a href="{href}">{ROBOTS_TITLE.format(year)}</a></li>' for href, year in links)
    more = f'<a href="{nxt}">下一页</a>' if nxt else ""
    return Answer(200, "text/html; charset=utf-8", (
        '<html><head><meta charset="utf-8"><meta name="ColumnName" content="政府信息公开年报">'
        f"<title>政府信息公开年报</title></head><body><ul>{items}</ul>{more}</body></html>").encode())


def test_a_robots_forbidden_report_on_page_1_does_not_make_every_run_page_through(tmp_path):
    from govreports.mockportal import Answer, MockPortal
    from tests.portal_fixtures import run_crawl
    page = (FIXTURES / "real" / "pingtan-2019.html").read_bytes()
    routes = {"/robots.txt": lambda hit: Answer(200, "text/plain", b"User-agent: *\nDisallow: /nb/forbidden/\n"),
              "/nb/index.html": _robots_column, "/nb/index_1.html": _robots_column,
              **{f"/nb/{y}.html": (lambda hit: Answer(200, "text/html; charset=utf-8", page))
                 for y in (2023, 2021)},
              "/nb/forbidden/2022.html": lambda hit: Answer(200, "text/html; charset=utf-8", page)}
    db = f"sqlite:///{tmp_path / 'robots.sqlite'}"
    with MockPortal(site_dir=None, routes=routes) as portal:
        args = {"column": portal.url("/nb/index.html")}
        first = run_crawl(tmp_path, args, db_url=db, name="first")
        assert first.returncode == 0 and first.stats["finish_reason"] == "finished", first.log[-3000:]
        assert portal.hits["/nb/index_1.html"] == 1 and portal.hits["/nb/2021.html"] == 1
        assert portal.hits["/nb/forbidden/2022.html"] == 0
        with sqlite3.connect(tmp_path / "robots.sqlite") as con:
            assert con.execute("SELECT reason FROM fetch_log WHERE url = ?",
                               (portal.url("/nb/forbidden/2022.html"),)).fetchall() == [("robots_txt",)]
        second = run_crawl(tmp_path, args, db_url=db, name="second")
        assert second.returncode == 0, second.log[-3000:]
        # Page 1 holds a stored report and one refused for good: nothing new, and the first
        # walk reached the end of the list, so page 2 is not asked for again.
        assert portal.hits["/nb/index.html"] == 2
        assert portal.hits["/nb/index_1.html"] == 1, second.log[-3000:]
        assert second.stat("govreports/skipped_known") == 1
        assert second.stat("govreports/skipped_refused") == 1
        assert second.stat("govreports/paging_stopped") == 1
