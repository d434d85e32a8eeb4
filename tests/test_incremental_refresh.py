"""`-a refresh=1` re-fetches stored reports with HTTP conditional requests (If-None-Match /
If-Modified-Since from the stored ETag / Last-Modified); `-a refresh=full` fetches them again in
full. Store and spider pieces first, then real crawls against a portal on 127.0.0.1 that answers
304 to matching validators and records what it received."""
from __future__ import annotations

import json
import pickle
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

import pytest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from govreports.incremental import KnownReports
from govreports.items import ReportPage
from govreports.parse import parse_page
from govreports.store import Store
from spiders.annual_reports import AnnualReportsSpider, _refresh_mode
from tests.fixture_pages import FIXTURES
from tests.portal_fixtures import run_crawl

PAGE_2019 = (FIXTURES / "real" / "pingtan-2019.html").read_bytes()
PAGE_2021 = (FIXTURES / "real" / "pingtan-2021.html").read_bytes()
TITLE = "模拟县人民政府{}年政府信息公开工作年度报告"
LM_2021 = "Mon, 04 Mar 2024 08:00:00 GMT"
LM_2022 = "Tue, 05 Mar 2024 09:30:00 GMT"
CONDITIONAL = ("if-none-match", "if-modified-since")


# --- the store and the spider, without a crawl ------------------------------------------------

def _save(store: Store, url: str, body: bytes, headers: dict[str, str],
          fetched_at: str = "2024-03-01T00:00:00+00:00") -> str:
    page = ReportPage(url=url, body=body, headers={"content-type": "text/html; charset=utf-8",
                                                   **headers}, fetched_at=fetched_at)
    return store.save(page, parse_page(page))


def test_store_gives_the_current_versions_validators_and_touch_only_moves_forward(db_url):
    a, b, c = ("http://www.x.gov.cn/nb/a.html", "http://www.x.gov.cn/nb/b.html",
               "http://www.x.gov.cn/nb/c.html")
    with Store(db_url) as store:
        _save(store, a, PAGE_2019, {"etag": '"v1"'})
        _save(store, b, PAGE_2021, {"last-modified": LM_2021})
        _save(store, c, PAGE_2019 + b"<!-- c -->", {})
        assert store.validators([a, b, c, "http://www.x.gov.cn/nb/none.html"]) == {
            a: {"etag": '"v1"'}, b: {"last-modified": LM_2021}}
        # A new content under a new ETag: the current version's ETag is the one to send.
        assert _save(store, a, PAGE_2019 + b"<!-- v2 -->", {"etag": '"v2"'},
                     fetched_at="2024-03-02T00:00:00+00:00") == "changed"
        assert store.validators([a]) == {a: {"etag": '"v2"'}}

        later = datetime(2024, 4, 1, tzinfo=timezone.utc)
        assert store.touch([a, b, "http://www.x.gov.cn/nb/none.html"], later) == 2
        assert store.touch(c, later - timedelta(days=60)) == 0  # never back in time
        seen = {r.url: (r.first_seen, r.last_seen) for r in _reports(store)}
        assert seen[a] == (datetime(2024, 3, 1, tzinfo=timezone.utc), later)
        assert seen[b][1] == later
        assert seen[c][1] == datetime(2024, 3, 1, tzinfo=timezone.utc)


def test_validators_follow_the_latest_fetch_even_of_unchanged_content(db_url):
    """A server that changes its ETag without changing the page (a CMS republishing its static
    files) is asked with the newest one; a late replay does not bring back older ones; a report
    stored before revision 0005 keeps its raw page's."""
    from sqlalchemy import update
    from govreports.store import Report
    a, b = "http://www.x.gov.cn/nb/a.html", "http://www.x.gov.cn/nb/b.html"
    with Store(db_url) as store:
        _save(store, a, PAGE_2019, {"etag": '"v1"', "last-modified": LM_2021})
        assert _save(store, a, PAGE_2019, {"etag": '"v1b"', "last-modified": LM_2022},
                     fetched_at="2024-03-05T00:00:00+00:00") == "unchanged"
        assert store.validators([a]) == {a: {"etag": '"v1b"', "last-modified": LM_2022}}
        assert _save(store, a, PAGE_2019, {"etag": '"old"'}, fetched_at="2024-03-03T00:00:00+00:00") == "unchanged"
        assert store.validators([a]) == {a: {"etag": '"v1b"', "last-modified": LM_2022}}
        # The server stopped sending an ETag: only what it sent is sent back.
        _save(store, a, PAGE_2019, {"last-modified": LM_2022}, fetched_at="2024-03-06T00:00:00+00:00")
        assert store.validators([a]) == {a: {"last-modified": LM_2022}}

        _save(store, b, PAGE_2021, {"etag": '"raw"'})
        with store.engine.begin() as conn:  # as an older database holds it
            conn.execute(update(Report).where(Report.url == b).values(etag=None, last_modified=None))
        assert store.validators([b]) == {b: {"etag": '"raw"'}}


def _reports(store: Store) -> list[Any]:
    from sqlalchemy import select
    from govreports.store import Report
    with store.session() as s:
        return list(s.scalars(select(Report)))


def test_known_reports_turns_stored_headers_into_request_validators_for_twins_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    with Store(url) as store:
        _save(store, "https://www.x.gov.cn/nb/a.html", PAGE_2019,
              {"etag": 'W/"a1"', "last-modified": LM_2021})
        _save(store, "http://www.x.gov.cn/nb/b.html", PAGE_2021, {})
    known = KnownReports(url, refresh=True)
    try:
        assert known.validators(["http://www.x.gov.cn/nb/a.html", "http://www.x.gov.cn/nb/b.html",
                                 "http://www.x.gov.cn/nb/new.html"]) == {
            "http://www.x.gov.cn/nb/a.html": {"If-None-Match": 'W/"a1"',
                                              "If-Modified-Since": LM_2021}}
        # The 304 came for the http address; the report is stored under https.
        assert known.touch("http://www.x.gov.cn/nb/a.html")
    finally:
        known.close()
    with Store(url) as store:
        last = {r.url: r.last_seen for r in _reports(store)}
    recently = datetime.now(timezone.utc) - timedelta(minutes=5)
    assert last["https://www.x.gov.cn/nb/a.html"] > recently
    assert last["http://www.x.gov.cn/nb/b.html"] == datetime(2024, 3, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, mode", [(None, None), ("0", None), ("1", "conditional"),
                                         ("true", "conditional"), ("full", "full"),
                                         (" FULL ", "full")])
def test_refresh_argument(value, mode):
    assert _refresh_mode(value) == mode


def test_an_unknown_refresh_value_is_refused():
    with pytest.raises(ValueError, match="refresh=al"):
        AnnualReportsSpider(column="http://www.x.gov.cn/nb/", refresh="al")


LIST_URL = "http://www.x.gov.cn/nb/index.html"


def _list_response() -> HtmlResponse:
    items = "".join(f'<li><a href="{y}.html">{TITLE.format(y)}</a></li>' for y in (2021, 2022))
    body = ('<html><head><meta charset="utf-8"><meta name="ColumnName" content="政府信息公开年报">'
            f"<title>政府信息公开年报</title></head><body><ul>{items}</ul></body></html>").encode()
    return HtmlResponse(LIST_URL, body=body, encoding="utf-8")


def _spider(monkeypatch, db: str, refresh: str) -> AnnualReportsSpider:
    monkeypatch.setenv("GOVREPORTS_DATABASE_URL", db)
    crawler = get_crawler(AnnualReportsSpider)
    spider = AnnualReportsSpider.from_crawler(crawler, column=LIST_URL, refresh=refresh)
    crawler.spider = spider
    return spider


def _report_requests(spider: AnnualReportsSpider) -> dict[str, Request]:
    out = spider.parse_list(_list_response(), portal_code="350128", platform="auto",
                            in_column=False, hops=0)
    return {r.url: r for r in out if getattr(r.callback, "__name__", "") == "parse_report"}


def test_refresh_1_requests_carry_the_validators_and_pickle_refresh_full_ones_do_not(
        tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    stored = "http://www.x.gov.cn/nb/2021.html"
    with Store(db) as store:
        _save(store, stored, PAGE_2021, {"etag": '"e2021"', "last-modified": LM_2021})
    spider = _spider(monkeypatch, db, "1")
    requests = _report_requests(spider)
    assert set(requests) == {stored, "http://www.x.gov.cn/nb/2022.html"}
    conditional, fresh = requests[stored], requests["http://www.x.gov.cn/nb/2022.html"]
    assert conditional.headers.get("If-None-Match") == b'"e2021"'
    assert conditional.headers.get("If-Modified-Since") == LM_2021.encode()
    # 304 reaches the callback, and the anti-bot statuses still do (the meta key replaces the
    # spider's list).
    assert 304 in conditional.meta["handle_httpstatus_list"]
    allowed = set(conditional.meta["handle_httpstatus_list"])
    assert set(AnnualReportsSpider.handle_httpstatus_list) <= allowed
    assert not any(fresh.headers.get(h) for h in CONDITIONAL)
    assert "handle_httpstatus_list" not in fresh.meta
    # A JOBDIR queue stores requests pickled (spiders/crawling/jobdir.py): the validators survive.
    again = request_from_dict(pickle.loads(pickle.dumps(conditional.to_dict(spider=spider),
                                                        protocol=4)), spider=spider)
    assert again.headers.get("If-None-Match") == b'"e2021"'
    assert again.meta["handle_httpstatus_list"] == conditional.meta["handle_httpstatus_list"]

    # The 304 answer: nothing yielded, counted, last_seen moved.
    answer = Response(stored, status=304, request=again)
    assert again.callback == spider.parse_report
    assert list(again.callback(answer, **again.cb_kwargs)) == []
    stats = spider.crawler.stats
    assert stats.get_value("govreports/not_modified") == 1
    assert stats.get_value("govreports/portal/350128/not_modified") == 1
    spider.known.close()
    with Store(db) as store:
        assert _reports(store)[0].last_seen > datetime(2024, 3, 1, tzinfo=timezone.utc)
        assert store.counts()["report_versions"] == 1

    full = _spider(monkeypatch, db, "full")
    requests = _report_requests(full)
    assert set(requests) == {stored, "http://www.x.gov.cn/nb/2022.html"}
    for request in requests.values():
        assert not any(request.headers.get(h) for h in CONDITIONAL)
        assert "handle_httpstatus_list" not in request.meta
    full.known.close()


# --- crawls against a portal that knows validators ----------------------------------------------

@dataclass
class Page:
    body: bytes
    etag: Optional[str] = None
    last_modified: Optional[str] = None


class ValidatorPortal:
    """A 年报 column on 127.0.0.1 whose report pages carry ETag / Last-Modified and answer 304
    to matching validators (`honour=False`: a server that ignores them). `received` keeps the
    validators of every request, by path."""

    def __init__(self, pages: dict[str, Page], honour: bool = True) -> None:
        self.pages, self.honour = pages, honour
        self.received: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "ValidatorPortal":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def sent(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [h for p, h in self.received if p == path]

    def not_modified(self, page: Page, headers: Any) -> bool:
        if not self.honour:
            return False
        tag, since = headers.get("If-None-Match"), headers.get("If-Modified-Since")
        if tag is not None:  # RFC 9110 13.2.2: If-None-Match decides when both are sent
            return page.etag is not None and tag in (page.etag, "*")
        if since is not None and page.last_modified is not None:
            return parsedate_to_datetime(page.last_modified) <= parsedate_to_datetime(since)
        return False

    def column(self) -> bytes:
        items = "".join(f'<li><a href="{path.rsplit("/", 1)[1]}">{TITLE.format(path[4:8])}</a></li>'
                        for path in sorted(self.pages, reverse=True))
        return ('<html><head><meta charset="utf-8"><meta name="ColumnName" content="政府信息公开年报">'
                f"<title>政府信息公开年报</title></head><body><ul>{items}</ul></body></html>").encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?")[0]
                with portal._lock:
                    portal.received.append((path, {h: self.headers[h] for h in CONDITIONAL
                                                   if self.headers.get(h) is not None}))
                page = portal.pages.get(path)
                headers = {}
                if path == "/nb/index.html":
                    status, body = 200, portal.column()
                elif page is None:
                    status, body = 404, b"not found"
                else:
                    headers = {k: v for k, v in (("ETag", page.etag),
                                                 ("Last-Modified", page.last_modified)) if v}
                    status, body = ((304, b"") if portal.not_modified(page, self.headers)
                                    else (200, page.body))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _pages() -> dict[str, Page]:
    # ETag only, Last-Modified only, both: each validator is sent when it was stored.
    return {"/nb/2019.html": Page(PAGE_2019, etag='"p2019-1"'),
            "/nb/2021.html": Page(PAGE_2021, last_modified=LM_2021),
            "/nb/2022.html": Page(PAGE_2021 + b"<!-- 2022 -->", etag='"p2022-1"',
                                  last_modified=LM_2022)}


EXPECTED_VALIDATORS = {"/nb/2019.html": {"if-none-match": '"p2019-1"'},
                       "/nb/2021.html": {"if-modified-since": LM_2021},
                       "/nb/2022.html": {"if-none-match": '"p2022-1"',
                                         "if-modified-since": LM_2022}}


def _db_rows(path) -> dict[str, tuple[datetime, int]]:
    """url -> (last_seen, number of versions), read from the database file."""
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT r.url, r.last_seen, COUNT(v.id) FROM reports r "
                           "JOIN report_versions v ON v.report_id = r.id GROUP BY r.url").fetchall()
    return {url: (datetime.fromisoformat(seen), n) for url, seen, n in rows}


def _crawl(tmp_path, portal: ValidatorPortal, db_file, name: str, refresh: Optional[str] = None):
    args = {"column": portal.url("/nb/index.html")}
    if refresh:
        args["refresh"] = refresh
    portal.received.clear()
    run = run_crawl(tmp_path, args, db_url=f"sqlite:///{db_file}", name=name)
    assert run.returncode == 0 and run.stats.get("finish_reason") == "finished", run.log[-3000:]
    return run


def test_refresh_1_sends_validators_and_a_304_stores_nothing_but_moves_last_seen(tmp_path):
    db = tmp_path / "cond.sqlite"
    pages = _pages()
    with ValidatorPortal(pages) as portal:
        first = _crawl(tmp_path, portal, db, "first")
        assert first.stat("govreports/stored_new") == 3, first.log[-3000:]
        assert all(portal.sent(p) == [{}] for p in pages)  # nothing stored yet: no validators
        before = _db_rows(db)
        assert sorted(before) == sorted(portal.url(p) for p in pages)

        second = _crawl(tmp_path, portal, db, "second", refresh="1")
        assert {p: portal.sent(p) for p in pages} == {p: [v] for p, v in
                                                      EXPECTED_VALIDATORS.items()}
        assert portal.sent("/nb/index.html") == [{}]  # list pages are never conditional
        assert second.stat("govreports/not_modified") == 3
        assert second.stat("govreports/portal/-/not_modified") == 3
        for outcome in ("new", "unchanged", "changed"):
            assert second.stat(f"govreports/stored_{outcome}") == 0, outcome
        after = _db_rows(db)
        assert {u: n for u, (_, n) in after.items()} == {u: 1 for u in before}
        assert all(after[u][0] > before[u][0] for u in before), (before, after)
        # Only 304s is a healthy crawl, not "stored nothing".
        summary = json.loads((tmp_path / "second-summary.json").read_text(encoding="utf-8"))
        assert summary["totals"]["known"] == 3 and summary["alerts"] == []
        assert "3 not modified (304)" in second.log

        # One page changes under a new ETag: that one is fetched in full and stored as changed.
        pages["/nb/2022.html"] = Page(PAGE_2021 + b"<!-- 2022 revised -->", etag='"p2022-2"',
                                      last_modified="Wed, 06 Mar 2024 10:00:00 GMT")
        third = _crawl(tmp_path, portal, db, "third", refresh="1")
        assert portal.sent("/nb/2022.html") == [EXPECTED_VALIDATORS["/nb/2022.html"]]
        assert third.stat("govreports/not_modified") == 2
        assert third.stat("govreports/stored_changed") == 1
        assert third.stat("govreports/stored_new") == third.stat("govreports/stored_unchanged") == 0
        versions = {u: n for u, (_, n) in _db_rows(db).items()}
        assert versions == {**{u: 1 for u in before}, portal.url("/nb/2022.html"): 2}
        with Store(f"sqlite:///{db}") as store:
            # The next refresh sends the new version's validators.
            changed = portal.url("/nb/2022.html")
            assert store.validators([changed]) == {changed: {
                "etag": '"p2022-2"', "last-modified": "Wed, 06 Mar 2024 10:00:00 GMT"}}


def test_a_server_ignoring_validators_answers_200_and_refresh_full_sends_none(tmp_path):
    db = tmp_path / "ignore.sqlite"
    pages = _pages()
    with ValidatorPortal(pages, honour=False) as portal:
        first = _crawl(tmp_path, portal, db, "first")
        assert first.stat("govreports/stored_new") == 3, first.log[-3000:]
        rows = _db_rows(db)

        full = _crawl(tmp_path, portal, db, "full", refresh="full")
        assert all(portal.sent(p) == [{}] for p in pages), portal.received
        assert full.stat("govreports/stored_unchanged") == 3
        assert full.stat("govreports/not_modified") == 0

        cond = _crawl(tmp_path, portal, db, "cond", refresh="1")
        assert {p: portal.sent(p) for p in pages} == {p: [v] for p, v in
                                                      EXPECTED_VALIDATORS.items()}
        assert cond.stat("govreports/not_modified") == 0
        assert cond.stat("govreports/stored_unchanged") == 3
        assert cond.stat("govreports/stored_new") == cond.stat("govreports/stored_changed") == 0
        assert {u: n for u, (_, n) in _db_rows(db).items()} == {u: 1 for u in rows}
