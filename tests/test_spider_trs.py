"""The annual_reports spider on a TRS column: the platform adapters on their own, then the real
spider in a subprocess against the simulated portal (govreports.mockportal), first with a
collecting pipeline, then through the real parse and SQL pipelines into SQLite, twice."""
from __future__ import annotations

import sqlite3

import pytest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from govreports.items import ReportPage

from govreports.mockportal import SITE_DIR, load_manifest
from spiders.annual_reports import AnnualReportsSpider
from spiders.platforms import Page, adapter_for, detect
from spiders.platforms.generic import GenericV1
from spiders.platforms.trs import TrsV1, page_count
from tests.portal_fixtures import _digest, mock_portal, run_crawl  # noqa: F401 (fixture)

MANIFEST = load_manifest()
COLUMN = MANIFEST["column"]
REPORTS = MANIFEST["reports"]
GBK_PAGE = COLUMN + "202001/t20200116_14842.htm"
GBK_TITLE = "贵溪市人民政府2019年政府信息公开工作年度报告"
BASE = "http://127.0.0.1:8000"


def site_page(path: str, encoding: str = "utf-8") -> Page:
    entry = MANIFEST["pages"][path if not path.endswith("/") else path + "index.html"]
    text = (SITE_DIR / "site" / entry["file"]).read_bytes().decode(encoding)
    return Page(BASE + path, text)


# --- adapters, without Scrapy -------------------------------------------------------------

@pytest.mark.parametrize("script,expected", [
    ('createPageHTML(3, 0, "index", "html");', (3, 0, "index", "html")),
    ("createPageHTML('page_div',12, 1,'index','shtml',115);", (12, 1, "index", "shtml")),
    ('createPageHTML(5,2,"list","shtml")', (5, 2, "list", "shtml")),
    ("createPageHTML(7, 0);", (7, 0, "index", "html")),
    ("function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}", None),
])
def test_trs_page_count(script, expected):
    assert page_count(f"<script>{script}</script>") == expected


def test_trs_next_pages_follow_create_page_html():
    page = site_page(COLUMN)
    assert TrsV1().next_pages(page) == [BASE + COLUMN + "index_1.html", BASE + COLUMN + "index_2.html"]
    # The same pages from a later page of the list, and from a list.shtml column.
    later = Page(BASE + COLUMN + "index_2.html", page.text)
    assert TrsV1().next_pages(later)[1] == BASE + COLUMN + "index_2.html"
    shtml = Page("http://www.x.gov.cn/shuyang/xxgknb/list.shtml",
                 '<script>createPageHTML(3, 0, "list", "shtml");</script>')
    assert TrsV1().next_pages(shtml) == ["http://www.x.gov.cn/shuyang/xxgknb/list_1.shtml",
                                         "http://www.x.gov.cn/shuyang/xxgknb/list_2.shtml"]


def test_trs_start_url_gets_its_folder_slash():
    from govreports.registry import Portal
    portal = Portal("350128", "平潭县", "福建省", "福州市", "trs",
                    "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb")
    assert TrsV1().start_urls(portal) == ["https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"]


def test_trs_report_links_on_a_list_page():
    page = site_page(COLUMN)
    adapter = TrsV1()
    assert adapter.is_annual_column(page)
    links = {link.url: link.title for link in adapter.report_links(page, in_column=True)}
    assert links == {
        BASE + COLUMN + "202402/t20240226_93001.htm": "洪泽区人民政府2023年政府信息公开工作年度报告",
        BASE + COLUMN + "202301/t20230131_91001.htm": "平潭综合实验区2022年度政府信息公开工作年度报告",
        # The spider, not the adapter, applies the host allow-list.
        "http://127.0.0.2" + COLUMN + "202202/t20220208_80613.htm":
            "平潭综合实验区2021年度政府信息公开工作年度报告（镜像）",
    }


def test_generic_finds_the_column_on_a_zwgk_page_and_detection_picks_platforms():
    zwgk = site_page("/zwgk/")
    assert GenericV1().column_links(zwgk) == [BASE + COLUMN]
    assert isinstance(detect(zwgk.url, zwgk.text), GenericV1)
    lst = site_page(COLUMN)
    assert isinstance(detect(lst.url, lst.text), TrsV1)


def test_generic_pagination_by_next_link_and_page_numbers_in_the_same_folder():
    page = Page("http://www.x.gov.cn/xxgknb/list.html", """
        <a href="list_2.html">2</a><a href="list_3.html">3</a><a href="/other/list_9.html">9</a>
        <a href="list.html?page=2">下一页</a><a href="javascript:next()">下一页</a>""")
    assert GenericV1().next_pages(page) == [
        "http://www.x.gov.cn/xxgknb/list_2.html", "http://www.x.gov.cn/xxgknb/list_3.html",
        "http://www.x.gov.cn/xxgknb/list.html?page=2"]


def test_attachment_links_on_a_report_page():
    page = site_page(COLUMN + "202402/t20240226_93001.htm")
    (link,) = GenericV1().attachment_links(page)
    assert link.url == BASE + COLUMN + "202402/P020240226593718205437.pdf"
    assert link.title.endswith(".pdf")
    assert TrsV1().attachment_links(site_page(COLUMN + "202202/t20220208_80613.htm")) == []


def test_every_registry_platform_has_its_adapter_and_others_fall_back_to_generic():
    for platform in ("trs", "hanweb", "gkmlpt", "vsb", "generic"):
        adapter, exact = adapter_for(platform)
        assert exact and adapter.platform == platform
    adapter, exact = adapter_for("wordpress")
    assert isinstance(adapter, GenericV1) and not exact


# --- the spider's host allow-list setting (no crawl needed) ---------------------------------

def test_allowed_hosts_setting_takes_effect():
    crawler = get_crawler(AnnualReportsSpider, {"GOVREPORTS_ALLOWED_HOSTS": "*.gov.cn"})
    spider = AnnualReportsSpider.from_crawler(crawler, column="http://127.0.0.1:9/zwgk/")
    assert spider.hosts.allows("https://www.pingtan.gov.cn/x")
    assert spider.hosts.allows("http://127.0.0.1:9/other")      # the column given by hand
    assert not spider.hosts.allows("http://localhost/x")         # not in this setting
    assert spider.allowed_domains == ["127.0.0.1", "gov.cn"]

    default = AnnualReportsSpider.from_crawler(get_crawler(AnnualReportsSpider),
                                               code="350128")
    # Loopback only where the tests and the demo name it: never in a production crawl.
    assert not default.hosts.allows("http://localhost/x")
    assert not default.hosts.allows("http://127.0.0.1:9/x")
    assert not default.hosts.allows("http://saintpaulhem.com/x")


def test_registry_start_requests_use_each_portals_adapter():
    spider = spider_for(province="四川省")
    requests = list(spider._start_requests())
    assert [r.url for r in requests] == [p.column_url for p in spider.portals.values()]
    assert {r.cb_kwargs["portal_code"] for r in requests} == {"510522", "511423", "510727"}
    # 洪雅 is a VSB portal, crawled with the VSB adapter: no generic stand-in.
    assert spider.crawler.stats.get_value("govreports/adapter_fallback/vsb") is None

    (one,) = spider_for(column=BASE + COLUMN, code="350128")._start_requests()
    assert one.url == BASE + COLUMN and one.cb_kwargs["portal_code"] == "350128"
    assert one.cb_kwargs["platform"] == "auto"


def test_bad_arguments_are_refused():
    crawler = get_crawler(AnnualReportsSpider)
    with pytest.raises(ValueError, match="does not combine"):
        AnnualReportsSpider.from_crawler(crawler, url="http://x.gov.cn/a.htm", code="350128")
    with pytest.raises(ValueError, match="no portal with code 110999"):
        AnnualReportsSpider.from_crawler(get_crawler(AnnualReportsSpider), code="110999")
    with pytest.raises(ValueError, match="unknown"):
        AnnualReportsSpider.from_crawler(get_crawler(AnnualReportsSpider), platform="wordpress",
                                         column="http://x.gov.cn/")


# --- the spider's callbacks, fed saved responses (no network) -------------------------------

def spider_for(**kwargs) -> AnnualReportsSpider:
    # No store behind these callbacks: the incremental check would open the default database.
    crawler = get_crawler(AnnualReportsSpider, {"GOVREPORTS_INCREMENTAL": False})
    return AnnualReportsSpider.from_crawler(crawler, **kwargs)


def response(path: str, body: bytes = None, cls=HtmlResponse):
    url = BASE + path
    if body is None:
        body = (SITE_DIR / "site" / MANIFEST["pages"][path]["file"]).read_bytes()
    entry = MANIFEST["pages"].get(path, {})
    return cls(url=url, body=body, status=entry.get("status", 200), request=Request(url),
               headers={"Content-Type": entry.get("content_type", "text/html")})


def test_list_callback_follows_reports_and_pages_on_allowed_hosts_only():
    spider = spider_for(column=BASE + COLUMN)
    out = list(spider.parse_list(response(COLUMN + "index.html"), portal_code="350128",
                                 platform="trs", in_column=False, hops=0))
    reports = [r for r in out if r.callback == spider.parse_report]
    pages = [r for r in out if r.callback == spider.parse_list]
    assert {r.url for r in reports} == {BASE + COLUMN + "202402/t20240226_93001.htm",
                                        BASE + COLUMN + "202301/t20230131_91001.htm"}
    assert all(r.cb_kwargs["portal_code"] == "350128" for r in reports)
    # One page at a time: the next, with the one after it carried along.
    (page,) = pages
    assert page.url == BASE + COLUMN + "index_1.html"
    assert page.cb_kwargs["ahead"] == [BASE + COLUMN + "index_2.html"]
    assert page.cb_kwargs["seen"] == [BASE + COLUMN + "index.html"]
    assert spider.crawler.stats.get_value("govreports/offsite") == 1


def test_report_is_yielded_once_after_its_attachment_or_its_failure():
    spider = spider_for(column=BASE + COLUMN)
    page = COLUMN + "202402/t20240226_93001.htm"
    pdf = COLUMN + "202402/P020240226593718205437.pdf"
    (request,) = spider.parse_report(response(page), portal_code=None, platform="trs",
                                     list_url=None, title_hint="洪泽")
    assert request.url == BASE + pdf and request.dont_filter

    # Fetched: the report comes out with the PDF attached.
    (item,) = request.callback(response(pdf, cls=Response), **request.cb_kwargs)
    assert isinstance(item, ReportPage) and [a.url for a in item.attachments] == [BASE + pdf]
    assert item.attachments[0].body.startswith(b"%PDF")

    # Not fetched (404, refused, too big …): the report still comes out, without it.
    (request,) = spider.parse_report(response(page), portal_code=None, platform="trs",
                                     list_url=None, title_hint="洪泽")
    failure = Failure(ConnectionRefusedError("refused"))
    failure.request = request
    (item,) = request.errback(failure)
    assert isinstance(item, ReportPage) and item.attachments == []
    assert spider.crawler.stats.get_value("govreports/attachment_failed") == 1


def test_blocked_report_page_yields_nothing():
    spider = spider_for(column=BASE + COLUMN)
    (blocked,) = MANIFEST["blocked"]
    waf = response(blocked)
    assert waf.status == 412
    assert list(spider.parse_report(waf, portal_code=None, platform="trs", list_url=None,
                                    title_hint=None)) == []
    assert spider.crawler.stats.get_value("govreports/blocked/rs_ts") == 1


# --- the real spider against the simulated portal -------------------------------------------

@pytest.fixture(scope="module")
def column_crawl(mock_portal, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("column")
    return run_crawl(tmp, {"column": mock_portal.column_url}, collect=True)


def test_crawl_yields_every_report_once(column_crawl, mock_portal):
    assert column_crawl.returncode == 0, column_crawl.log[-3000:]
    urls = [item["url"] for item in column_crawl.items]
    assert sorted(urls) == sorted(mock_portal.url(p) for p in REPORTS)
    assert column_crawl.stat("govreports/list_pages") == 3


def test_crawl_keeps_raw_bytes_and_headers(column_crawl, mock_portal):
    items = {item["url"]: item for item in column_crawl.items}
    gbk = items[mock_portal.url(GBK_PAGE)]
    assert gbk["headers"]["content-type"] == "text/html; charset=GBK"
    assert gbk["sha256"] == _digest(mock_portal.file_bytes(GBK_PAGE))
    # GBK bytes, not UTF-8 re-encoded: the title is there in GBK and not in UTF-8.
    raw = mock_portal.file_bytes(GBK_PAGE)
    assert GBK_TITLE.encode("gbk") in raw and GBK_TITLE.encode("utf-8") not in raw
    for path, title in REPORTS.items():
        item = items[mock_portal.url(path)]
        assert item["status"] == 200 and item["list_url"].startswith(mock_portal.column_url)
        assert item["title_hint"] == title, path      # broken and truncated titles made whole


def test_attachment_is_fetched_into_its_report(column_crawl, mock_portal):
    items = {item["url"]: item for item in column_crawl.items}
    for page, files in MANIFEST["attachments"].items():
        attached = items[mock_portal.url(page)]["attachments"]
        assert [a["url"] for a in attached] == [mock_portal.url(f) for f in files]
        assert attached[0]["sha256"] == _digest(mock_portal.file_bytes(files[0]))
        assert attached[0]["headers"]["content-type"] == "application/pdf"
    assert sum(len(i["attachments"]) for i in column_crawl.items) == 1


def test_crawl_is_polite_and_records_what_it_did_not_take(column_crawl, mock_portal):
    assert mock_portal.hits["/robots.txt"] >= 1
    for path in MANIFEST["robots_disallowed"] + MANIFEST["not_reports"]:
        assert mock_portal.hits[path] == 0, path
    assert column_crawl.stat("robotstxt/forbidden") == 1
    assert column_crawl.stat("govreports/offsite") == len(MANIFEST["offsite"])
    assert column_crawl.stat("govreports/blocked/rs_ts") == len(MANIFEST["blocked"])
    assert "anti-bot answer" in column_crawl.log and "$_ts" in column_crawl.log
    # The report listed on two pages was fetched once.
    assert mock_portal.hits[COLUMN + "202202/t20220208_80613.htm"] == 1


def test_generic_adapter_reaches_the_same_reports_from_the_zwgk_page(mock_portal, tmp_path):
    run = run_crawl(tmp_path, {"column": mock_portal.url("/zwgk/")}, collect=True)
    assert run.returncode == 0, run.log[-3000:]
    assert sorted(i["url"] for i in run.items) == sorted(mock_portal.url(p) for p in REPORTS)
    assert run.stat("govreports/detected/generic") >= 1


def test_registry_row_drives_the_crawl(mock_portal, tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "code,name,province,prefecture,platform,column_url,allowed_hosts,note\n"
        f"350128,平潭县,福建省,福州市,trs,{mock_portal.column_url},127.0.0.1,mock\n"
        "130533,威县,河北省,邢台市,generic,http://www.weixian.gov.cn/,,not crawled here\n",
        encoding="utf-8")
    run = run_crawl(tmp_path, {"registry": str(registry), "province": "福建"}, collect=True)
    assert run.returncode == 0, run.log[-3000:]
    assert len(run.items) == len(REPORTS)
    assert {i["portal_code"] for i in run.items} == {"350128"}


# --- through the real pipelines into SQLite -------------------------------------------------

def stored(db_path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path) as con:
        return con.execute(
            "SELECT r.url, v.title FROM reports r JOIN report_versions v "
            "ON v.report_id = r.id AND v.is_current ORDER BY r.url").fetchall()


def test_reports_are_stored_once_also_on_a_second_run(mock_portal, tmp_path):
    db = tmp_path / "crawl.sqlite"
    first = run_crawl(tmp_path, {"column": mock_portal.column_url}, db_url=f"sqlite:///{db}",
                      name="first")
    assert first.returncode == 0, first.log[-3000:]
    assert first.stat("govreports/stored_new") == len(REPORTS), first.log[-3000:]
    rows = stored(db)
    assert sorted(url for url, _ in rows) == sorted(mock_portal.url(p) for p in REPORTS)

    # The second run is incremental: stored reports are not fetched again.
    hits = {p: mock_portal.hits[p] for p in REPORTS}
    second = run_crawl(tmp_path, {"column": mock_portal.column_url}, db_url=f"sqlite:///{db}",
                       name="second")
    assert second.returncode == 0, second.log[-3000:]
    assert second.stat("govreports/stored_new") == second.stat("govreports/stored_unchanged") == 0
    # Page 1 holds stored reports and one the anti-bot wall refused (known from the fetch log):
    # nothing new, and the first run walked the whole list, so pages 2 and 3 are not asked for.
    assert second.stat("govreports/list_pages") == 1
    assert second.stat("govreports/paging_stopped") == 1
    assert second.stat("govreports/skipped_refused") == 1
    assert {p: mock_portal.hits[p] for p in REPORTS} == hits
    assert stored(db) == rows

    # -a refresh=1 fetches them all again; the same content adds no version.
    third = run_crawl(tmp_path, {"column": mock_portal.column_url, "refresh": "1"},
                      db_url=f"sqlite:///{db}", name="third")
    assert third.returncode == 0, third.log[-3000:]
    assert third.stat("govreports/stored_new") == 0
    assert third.stat("govreports/stored_unchanged") == len(REPORTS)
    assert third.stat("govreports/skipped_known") == 0
    assert stored(db) == rows
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM report_versions").fetchone()[0] == len(REPORTS)

    titles = dict(rows)
    assert titles[mock_portal.url(GBK_PAGE)] == GBK_TITLE
