"""The Hanweb, Hanweb-Jiangxi, gkmlpt and VSB adapters on the simulated portals' pages (no
network, no Scrapy), their detection rules, the registry arguments that pick them, and the
spider's requests for them (one list page at a time, and every request picklable for JOBDIR)."""
from __future__ import annotations

import pickle

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from govreports.links import ReportLink
from govreports.mockportal import Hit
from govreports.registry import Portal
from spiders.annual_reports import AnnualReportsSpider
from spiders.platforms import Page, adapter_for, detect
from spiders.platforms.generic import GenericV1
from spiders.platforms.gkmlpt import GkmlptV1, annual_categories, article_header, site_config
from spiders.platforms.hanweb import HanwebJiangxiV1, HanwebV1, jpage_options
from spiders.platforms.trs import TrsV1
from spiders.platforms.vsb import VsbV1, list_stem
from tests import platform_sites as ps

BASE = "http://127.0.0.1:8000"
SITES = ps.build_sites()


def served(key: str, path: str, query: str = "") -> Page:
    route = SITES[key].routes[path]
    params = dict(p.split("=", 1) for p in query.split("&") if p)
    body = route(Hit(path, params, 9)).body
    return Page(BASE + path + (f"?{query}" if query else ""), body.decode("utf-8"))


# --- detection ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key,path,query,cls", [
    ("hanweb", ps.HW_COLUMN, "", HanwebV1),
    ("hanweb", "/module/web/jpage/dataproxy.jsp",
     f"startrecord=4&endrecord=6&perpage=3&columnid={ps.HW_COL}&unitid={ps.HW_UNIT}&webid={ps.HW_WEB}",
     HanwebV1),
    ("jiangxi", ps.JX_COLUMN, "", HanwebJiangxiV1),
    ("gkmlpt", "/gkmlpt/index", "", GkmlptV1),
    ("gkmlpt", f"/gkmlpt/api/all/{ps.GK_CAT}", f"page=1&sid={ps.GK_SID}", GkmlptV1),
    ("vsb", ps.VSB_LIST, "", VsbV1),
])
def test_each_platforms_pages_are_detected(key, path, query, cls):
    page = served(key, path, query)
    assert type(detect(page.url, page.text)) is cls


def test_detection_leaves_trs_and_other_pages_alone():
    trs = Page(BASE + "/zwgk/xxgknb/", '<script>createPageHTML(3, 0, "index", "html");</script>'
               '<a href="./202202/t20220208_1.htm">a</a>')
    assert type(detect(trs.url, trs.text)) is TrsV1
    assert type(detect(BASE + "/", "<html><a href='/about.html'>关于</a></html>")) is GenericV1


def test_registry_platform_hanweb_takes_the_jiangxi_variant_by_its_page():
    page = served("jiangxi", ps.JX_COLUMN)
    assert type(adapter_for("hanweb", page.url, page.text)[0]) is HanwebJiangxiV1
    other = served("hanweb", ps.HW_COLUMN)
    assert type(adapter_for("hanweb", other.url, other.text)[0]) is HanwebV1
    assert type(adapter_for("hanweb")[0]) is HanwebV1


# --- Hanweb ------------------------------------------------------------------------------------

def test_hanweb_rows_come_from_the_datastore_and_later_pages_from_dataproxy():
    page = served("hanweb", ps.HW_COLUMN)
    adapter = HanwebV1()
    assert adapter.is_annual_column(page)
    links = adapter.report_links(page, in_column=True)
    # The notice on page 1 is not a report; its rows sit in a <script> only the adapter reads.
    assert [link.url for link in links] == [BASE + p for p, _ in ps.HW_ROWS[:2]]
    assert GenericV1().report_links(page, in_column=True) == []
    assert [u.split("?")[1] for u in adapter.next_pages(page)] == [
        u.split("?")[1] for u in SITES["hanweb"].later_pages]
    query = SITES["hanweb"].later_pages[0].split("?")[1]
    dataproxy = served("hanweb", "/module/web/jpage/dataproxy.jsp", query)
    assert [link.title for link in adapter.report_links(dataproxy, in_column=True)] == [
        t for _, t in ps.HW_ROWS[3:6]]
    assert adapter.next_pages(dataproxy) == []


def test_hanweb_options_and_a_column_without_them_falls_back_to_pager_links():
    opts = jpage_options(served("hanweb", ps.HW_COLUMN).text)
    assert opts == {"perPage": "3", "totalRecord": "7", "columnid": ps.HW_COL, "unitid": ps.HW_UNIT,
                    "webid": ps.HW_WEB, "proxyUrl": "/module/web/jpage/dataproxy.jsp"}
    bare = Page(BASE + "/col/col1/index.html", '<a href="index_2.html">下一页</a>')
    assert HanwebV1().next_pages(bare) == [BASE + "/col/col1/index_2.html"]


def test_hanweb_files_include_downfile_jsp_links():
    page = Page(BASE + ps.HW_ROWS[1][0], (ps.FIXTURES / "html/jiangsu-hanweb-2020.html").read_text("utf-8"))
    assert [a.url for a in HanwebV1().attachment_links(page)] == [
        BASE + "/module/download/downfile.jsp?classid=0&filename=2101291642.pdf",
        BASE + "/picture/0/2101291642123.docx"]


def test_jiangxi_pages_are_the_columns_own_url_with_uid_and_pagenum():
    page = served("jiangxi", ps.JX_COLUMN)
    assert HanwebJiangxiV1().next_pages(page) == [BASE + SITES["jiangxi"].later_pages[0]]
    last = served("jiangxi", ps.JX_COLUMN, f"uid={ps.JX_UID}&pageNum=2")
    assert HanwebJiangxiV1().next_pages(last) == []
    assert [link.title for link in HanwebJiangxiV1().report_links(last, in_column=True)] == [
        t for _, t in ps.JX_ROWS[2:]]


# --- gkmlpt ------------------------------------------------------------------------------------

def test_gkmlpt_config_tree_and_the_annual_category():
    sid, tree = site_config(served("gkmlpt", "/gkmlpt/index").text)
    assert sid == ps.GK_SID and [n["id"] for n in tree] == [2619, 2621, ps.GK_CAT, 2640]
    # The top-most 年报 category only: its list holds its children's articles.
    assert list(annual_categories(tree)) == [ps.GK_CAT]
    assert list(annual_categories([{"id": 1, "name": "信息公开", "children": [
        {"id": 7, "name": "政府信息公开年度报告"}]}])) == [7]


def test_gkmlpt_start_url_keeps_the_category_the_registry_names():
    portal = Portal("440305", "南山区", "广东省", "深圳市", "gkmlpt",
                    "http://www.szns.gov.cn/gkmlpt/annualreport#2629")
    assert GkmlptV1().start_urls(portal) == ["http://www.szns.gov.cn/gkmlpt/index#2629"]
    unit = Portal("440300", "x", "广东省", "", "gkmlpt", "http://www.sz.gov.cn/szsrmzfxxgk/")
    assert GkmlptV1().start_urls(unit) == ["http://www.sz.gov.cn/szsrmzfxxgk/gkmlpt/index"]
    index = served("gkmlpt", "/gkmlpt/index")
    named = Page(index.url + "#2630", index.text)
    assert GkmlptV1().column_links(named) == [f"{BASE}/gkmlpt/api/all/2630?page=1&sid={ps.GK_SID}"]
    assert GkmlptV1().column_links(index) == [f"{BASE}/gkmlpt/api/all/{ps.GK_CAT}?page=1&sid={ps.GK_SID}"]


def test_gkmlpt_articles_carry_header_and_files_and_pages_go_by_100():
    page = served("gkmlpt", f"/gkmlpt/api/all/{ps.GK_CAT}", f"page=1&sid={ps.GK_SID}")
    adapter = GkmlptV1()
    links = adapter.report_links(page)
    assert [link.url for link in links] == [BASE + ps.gk_path(1001), BASE + ps.gk_path(1002)]
    second = links[1]
    assert isinstance(second, ReportLink)
    assert dict(second.header) == {"索引号": ps.GK_HEADER_1002["identifier"],
                                   "发布机构": ps.GK_HEADER_1002["publisher"], "分类": "政府信息公开年报",
                                   "成文日期": "2023-01-18", "发布日期": "2023-01-19 09:30:00"}
    assert [f.url for f in second.files] == [BASE + "/attachment/0/512/512002/1002.pdf",
                                            BASE + "/attachment/0/512/512002/1002.docx"]
    # 103 articles: page 1 names page 2, page 2 names nothing; page 0 (= page 1) is never asked.
    assert adapter.next_pages(page) == [f"{BASE}/gkmlpt/api/all/{ps.GK_CAT}?page=2&sid={ps.GK_SID}"]
    two = served("gkmlpt", f"/gkmlpt/api/all/{ps.GK_CAT}", f"page=2&sid={ps.GK_SID}")
    assert adapter.next_pages(two) == []
    # A site that puts everything on page 1 (and 404s beyond): no page 2 is asked for.
    whole = Page(page.url, '{"classify": {"post_count": 150}, "articles": [%s]}'
                 % ",".join(['{"id": 1, "title": "x", "url": "/a"}'] * 150))
    assert adapter.next_pages(whole) == []
    assert not adapter.continue_after_missing_page


def test_gkmlpt_dates_from_timestamps_are_china_time():
    assert dict(article_header({"date": 1673971200000, "display_publish_time": 1674000000}))[
        "成文日期"] == "2023-01-18"
    assert article_header({"document_number": " ", "identifier": None}) == ()


# --- VSB ---------------------------------------------------------------------------------------

def test_vsb_plans_its_downward_numbered_pages():
    adapter = VsbV1()
    first = served("vsb", ps.VSB_LIST)
    assert adapter.is_annual_column(first)
    assert adapter.next_pages(first) == [BASE + p for p in ps.VSB_PAGES[1:]]
    second = served("vsb", ps.VSB_PAGES[1])
    assert adapter.next_pages(second) == [BASE + ps.VSB_PAGES[2]]
    assert adapter.next_pages(served("vsb", ps.VSB_PAGES[2])) == []
    assert list_stem("/xxgk/zfxxgknb.htm") == list_stem("/xxgk/zfxxgknb/7.htm") == "/xxgk/zfxxgknb"


def test_vsb_files_are_download_jsp_links_named_in_their_text():
    detail = Page(BASE + ps.VSB_ROWS[0][1][0],
                  SITES["vsb"].routes[ps.VSB_ROWS[0][1][0]](Hit("/", {}, 1)).body.decode("utf-8"))
    links = VsbV1().attachment_links(detail)
    assert [link.url for link in links] == [BASE + ps.VSB_FILE, BASE + ps.VSB_MIRRORED]
    assert links[0].title.endswith(".docx】")
    # A download script's link without a file name in its query or text is not a file.
    plain = Page(detail.url, f'<a href="{ps.VSB_DOWNLOAD}?wbfileid=1">点击下载</a>')
    assert VsbV1().attachment_links(plain) == []


# --- the spider's requests for these platforms -------------------------------------------------

def spider_for(**kwargs) -> AnnualReportsSpider:
    crawler = get_crawler(AnnualReportsSpider, {"GOVREPORTS_INCREMENTAL": False})
    return AnnualReportsSpider.from_crawler(crawler, **kwargs)


def response_of(page: Page, request_url: str = None) -> TextResponse:
    cls = TextResponse if page.text.lstrip().startswith(("{", "<?xml")) else HtmlResponse
    return cls(url=page.url.split("#")[0], body=page.text.encode("utf-8"), encoding="utf-8",
               request=Request(request_url or page.url))


def test_registry_arguments_pick_portals_and_their_adapters():
    jiangxi = spider_for(province="江西省")
    assert set(jiangxi.portals) == {"360733", "360681", "360821"}
    requests = list(jiangxi._start_requests())
    assert {r.cb_kwargs["portal_code"]: r.cb_kwargs["platform"] for r in requests} == {
        "360733": "generic", "360681": "hanweb", "360821": "trs"}
    assert not [k for k in jiangxi.crawler.stats.get_stats() if "adapter_fallback" in k]
    (guixi,) = spider_for(code="360681")._start_requests()
    assert guixi.url == "http://www.guixi.gov.cn/" and guixi.meta["govreports_portal"] == "360681"
    (column,) = spider_for(column=BASE + "/gkmlpt/index")._start_requests()
    assert column.cb_kwargs["platform"] == "auto" and column.meta["govreports_role"] == "list"


def test_registry_file_rows_start_where_their_adapter_says(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("code,name,province,prefecture,platform,column_url,allowed_hosts,note\n"
                    f"440305,南山区,广东省,深圳市,gkmlpt,{BASE}/gkmlpt/annualreport#{ps.GK_CAT},127.0.0.1,\n"
                    f"623022,卓尼县,甘肃省,甘南藏族自治州,vsb,{BASE}{ps.VSB_LIST},127.0.0.1,\n",
                    encoding="utf-8")
    spider = spider_for(registry=str(path))
    assert [r.url for r in spider._start_requests()] == [f"{BASE}/gkmlpt/index#{ps.GK_CAT}",
                                                         BASE + ps.VSB_LIST]
    assert spider.hosts.allows(BASE + "/x") and not spider.hosts.allows("http://localhost/x")


def test_list_pages_are_requested_one_at_a_time_and_every_request_pickles():
    spider = spider_for(column=BASE + ps.HW_COLUMN)
    out = list(spider.parse_list(response_of(served("hanweb", ps.HW_COLUMN)), portal_code="330523",
                                 platform="hanweb", in_column=False, hops=0))
    pages = [r for r in out if r.callback == spider.parse_list]
    reports = [r for r in out if r.callback == spider.parse_report]
    assert len(reports) == 2 and len(pages) == 1
    assert pages[0].url.endswith("startrecord=4&endrecord=6&perpage=3&columnid=1229106699"
                                 "&unitid=4916391&webid=3185")
    assert len(pages[0].cb_kwargs["ahead"]) == 1

    api = served("gkmlpt", f"/gkmlpt/api/all/{ps.GK_CAT}", f"page=1&sid={ps.GK_SID}")
    out += list(spider.parse_list(response_of(api), portal_code="440305", platform="gkmlpt",
                                  in_column=True, hops=1))
    report = next(r for r in out if r.url.endswith(ps.gk_path(1002)))
    assert report.cb_kwargs["listing"][0] == ["索引号", ps.GK_HEADER_1002["identifier"]]
    detail = Page(report.url, ps.gk_detail(1002, False).decode("utf-8"))
    out += list(spider.parse_report(response_of(detail), **report.cb_kwargs))
    attachment = out[-1]
    assert attachment.callback == spider.parse_attachment
    assert attachment.cb_kwargs["item"].headers["x-govreports-listing-header"]
    # What a JOBDIR disk queue does with each of them.
    for request in out:
        back = request_from_dict(pickle.loads(pickle.dumps(request.to_dict(spider=spider))),
                                 spider=spider)
        assert (back.url, back.callback, back.errback, back.meta) == (
            request.url, request.callback, request.errback, request.meta)
        assert pickle.loads(pickle.dumps(back.cb_kwargs)).keys() == request.cb_kwargs.keys()


def test_a_failed_list_page_goes_on_or_ends_the_list_as_the_platform_says():
    from twisted.python.failure import Failure
    spider = spider_for(column=BASE + "/")
    for platform, goes_on in (("trs", True), ("gkmlpt", False)):
        request = spider._list_request(BASE + "/p2", "1", platform, True, 0,
                                       ahead=[BASE + "/p3"], seen=[BASE + "/p1"])
        failure = Failure(ConnectionRefusedError("refused"))
        failure.request = request
        nxt = list(spider.list_failed(failure))
        assert [r.url for r in nxt] == ([BASE + "/p3"] if goes_on else [])
        if goes_on:
            assert nxt[0].cb_kwargs["seen"] == [BASE + "/p1", BASE + "/p2"]
