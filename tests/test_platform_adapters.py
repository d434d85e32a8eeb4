"""The Hanweb, Hanweb-Jiangxi, gkmlpt and VSB adapters on the simulated portals' pages (no
network, no Scrapy), their detection rules, the registry arguments that pick them, and the
spider's requests for them (one list page at a time, and every request picklable for JOBDIR).
Also the paging variants of issue 4: Fujian's list2.trsapi lists (page 1 static, then the site
search channel), Hanweb JPaaS columns drawn from the page-build unit, and Hanweb columns whose
dataproxy parameters are encrypted (recorded, not guessed)."""
from __future__ import annotations

import pickle
from urllib.parse import parse_qsl, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from govreports.links import ReportLink
from govreports.mockportal import Hit
from govreports.registry import Portal
from spiders.annual_reports import AnnualReportsSpider
from spiders.crawling.fetchlog import fetch_problem
from spiders.platforms import Page, adapter_for, detect
from spiders.platforms.generic import GenericV1
from spiders.platforms.gkmlpt import GkmlptV1, annual_categories, article_header, site_config
from spiders.platforms.hanweb import (HanwebJiangxiV1, HanwebV1, encrypted_group, jpage_options,
                                      unit_spec)
from spiders.platforms.trs import TrsV1, list2_options, search_answer
from spiders.platforms.vsb import VsbV1, list_stem
from tests import platform_sites as ps

BASE = "http://127.0.0.1:8000"
SITES = {**ps.build_sites(), **ps.build_paging_sites()}


class _Portal:
    """Stands in for a running MockPortal where a route writes absolute URLs."""
    def url(self, path: str) -> str:
        return BASE + path


for _site in SITES.values():
    _site.portal = _Portal()  # type: ignore[assignment]


def served(key: str, path: str, query: str = "") -> Page:
    route = SITES[key].routes[path]
    params = dict(parse_qsl(query, keep_blank_values=True))
    body = route(Hit(path, params, 9)).body
    return Page(BASE + path + (f"?{query}" if query else ""), body.decode("utf-8"))


def served_url(key: str, url: str) -> Page:
    parts = urlsplit(url)
    return served(key, parts.path, parts.query)


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


# --- Fujian TRS list2.trsapi --------------------------------------------------------------------

def test_fujian_list2_page_names_its_search_channel():
    page = served("fujian", ps.FJ_COLUMN)
    assert type(detect(page.url, page.text)) is TrsV1
    assert list2_options(page.text) == {
        "args": {"channelid": ps.FJ_CHANNEL, "classsql": f"chnlid={ps.FJ_CHNL}",
                 "sortfield": ps.FJ_SORT},
        "prepage": ps.FJ_PER, "recordCount": len(ps.FJ_ROWS)}
    # A report page loads list2.trsapi too, but lists nothing.
    report = (ps.FIXTURES / "real/pingtan-2021.html").read_text("utf-8")
    assert "list2.trsapi" in report and list2_options(report) is None


def test_fujian_page_1_is_static_and_later_pages_come_from_the_search_channel():
    adapter, site = TrsV1(), SITES["fujian"]
    page = served("fujian", ps.FJ_COLUMN)
    assert adapter.is_annual_column(page)
    assert [link.url for link in adapter.report_links(page, in_column=True)] == [
        BASE + ps.fj_path(1), BASE + ps.fj_path(5)]
    # Search page 1 is the static page again: never planned.
    assert adapter.next_pages(page) == [BASE + p for p in site.later_pages]
    second = served_url("fujian", adapter.next_pages(page)[0])
    assert search_answer(second) is not None
    links = adapter.report_links(second)
    want = [n for n in range(10, 20) if ps.FJ_ROWS[n][3] is not None]
    assert [link.url for link in links] == [BASE + ps.fj_path(n) for n in want]
    # What the JSON row says about the report goes with its link.
    assert dict(links[0].header) == {"索引号": "FJ001813-0300-2014-80754",
                                     "发布机构": "平潭综合实验区管委会办公室", "发布日期": "2014-01-23"}
    assert adapter.next_pages(second) == [BASE + site.later_pages[-1]]
    last = served_url("fujian", site.later_pages[-1])
    assert adapter.next_pages(last) == []
    assert [link.title for link in adapter.report_links(last)] == [
        ps.FJ_ROWS[20][1], ps.FJ_ROWS[21][1]]


def test_fujian_without_a_record_count_asks_page_2_and_follows_page_count():
    page = served("fujian", ps.FJ_COLUMN)
    bare = Page(page.url, page.text.replace(f"recordCount: '{len(ps.FJ_ROWS)}',", ""))
    assert list2_options(bare.text)["recordCount"] is None
    assert TrsV1().next_pages(bare) == [BASE + SITES["fujian"].later_pages[0]]


def test_fujian_search_with_other_parameters_finds_nothing_and_stops():
    url = BASE + SITES["fujian"].later_pages[0].replace("chnlid%3D1813", "chnlid%3D9")
    page = served_url("fujian", url)
    assert TrsV1().report_links(page) == [] and TrsV1().next_pages(page) == []


def test_was5_answers_in_javascript_flavoured_json_are_read():
    body = ('{"count":"2","pagenum":"2",\n"py":\'###pypy###\',\n"docs":[\n{\n"title":"<font color=red>'
            '某某县</font>人民政府2021年政府信息公开工作年度报告",\n"url":"http://x.gov.cn/a/t20220120_1.htm",'
            '\n"chnldocurl":"http://x.gov.cn/zfxxgknb/202201/t20220120_1.htm","time":"2022-01-20"}]}')
    page = Page("http://x.gov.cn/was5/web/search?channelid=1&page=2&prepage=15", body)
    (link,) = TrsV1().report_links(page)
    assert (link.url, link.title) == ("http://x.gov.cn/zfxxgknb/202201/t20220120_1.htm",
                                      "某某县人民政府2021年政府信息公开工作年度报告")
    assert dict(link.header) == {"发布日期": "2022-01-20"}


# --- Hanweb: client-side columns and encrypted parameters --------------------------------------

def test_a_column_drawn_by_the_page_build_unit_pages_through_its_api():
    adapter, site = HanwebV1(), SITES["zjunit"]
    page = served("zjunit", ps.ZJU_COLUMN)
    assert type(detect(page.url, page.text)) is HanwebV1
    assert unit_spec(page.text) == (ps.ZJU_API, ps.ZJU_QUERY)
    assert adapter.report_links(page, in_column=True) == []   # a shell: no rows of its own
    (first,) = adapter.next_pages(page)
    titles, url, pages = [], first, 0
    while url:
        got = served_url("zjunit", url)
        assert adapter.is_annual_column(got)
        titles += [link.title for link in adapter.report_links(got)]
        nxt = adapter.next_pages(got)
        url, pages = (nxt[0] if nxt else None), pages + 1
    assert titles == [t for _, t, body in ps.ZJU_ROWS if body is not None]
    # Page 1 as the page declares it; later pages keep the unit's own page size.
    assert pages == 3 and site.asked[0] == ps.ZJU_QUERY
    assert [a.get("paramJson") for a in site.asked] == [
        None, '{"pageNo":2,"pageSize":4}', '{"pageNo":3,"pageSize":4}']


def test_encrypted_dataproxy_parameters_are_named_not_replayed():
    adapter = HanwebV1()
    page = served("encrypted", ps.ENC_COLUMN)
    assert encrypted_group(page.text) == ps.ENC_GROUP
    assert [link.url for link in adapter.report_links(page, in_column=True)] == [
        BASE + ps.ENC_ROWS[0][0], BASE + ps.ENC_ROWS[2][0]]
    assert adapter.next_pages(page) == []
    ((reason, detail),) = adapter.unreachable(page)
    assert reason == "encrypted_params" and "9 announced, 3 on the page" in detail
    # Plain numbers are not a secret, and a static page holding the whole list lacks nothing.
    assert adapter.unreachable(served("hanweb", ps.HW_COLUMN)) == []
    whole = Page(page.url, page.text.replace(f"totalRecord: {ps.ENC_TOTAL}", "totalRecord: 3"))
    assert adapter.unreachable(whole) == []


def test_the_spider_records_an_unreachable_list_in_the_fetch_log():
    spider = spider_for(column=BASE + ps.ENC_COLUMN)
    seen = []

    def record(**kw):
        seen.append(kw)
    spider.crawler.signals.connect(record, signal=fetch_problem)
    page = served("encrypted", ps.ENC_COLUMN)
    request = spider._list_request(page.url, "330381", "hanweb", False, 0)
    response = HtmlResponse(url=page.url, body=page.text.encode("utf-8"), encoding="utf-8",
                            request=request)
    out = list(spider.parse_list(response, **request.cb_kwargs))
    assert len([r for r in out if r.callback == spider.parse_report]) == 2
    assert not [r for r in out if r.callback == spider.parse_list]
    assert [(k["url"], k["outcome"], k["reason"], k["portal_code"]) for k in seen] == [
        (BASE + ps.ENC_COLUMN, "blocked", "encrypted_params", "330381")]


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
