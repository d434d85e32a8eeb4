"""govreports.links and govreports.antibot: which links are reports, columns, pagers and
attachments, which hosts may be followed, and what an anti-bot answer looks like."""
from __future__ import annotations

import pytest

from govreports.antibot import blocked_reason
from govreports.links import (HostPolicy, Link, anchors, attachment_in_viewer, is_attachment_url,
                              is_column_title, may_link_attachments, is_next_page_text, is_report_title,
                              normalize_title, page_is_annual_column)
from tests.fixture_pages import FIXTURES


@pytest.mark.parametrize("title", [
    "平潭综合实验区2021年度政府信息公开工作年度报告",           # year 年度 twice
    "贵溪市人民政府2019年政府信息公开工作年度报告",
    "平潭县人民政府2012年政府信息公开工作年度报告",
    "北京市密云区2017年信息公开年度报告",                         # no 政府/工作
    "从江县2021年政府信息公开年度报告",
    "衡南县2022年政府信息公开工作年报",                           # …年报
    "保康县人民政府2020年政府信息公开工作报告",                   # …工作报告
    "洪泽区人民政府2023年\n政府信息公开工作年度报告",             # broken across lines
    "  平潭综合实验区2021年度政府信息公开\u3000工作年度报告 ",   # full-width space, padding
    "二〇二一年度政府信息公开工作年度报告",                       # year in Chinese numerals
    "平潭县2019年政府信息公开工作年度报告（图片版）",             # image-only reports are reports
])
def test_report_titles(title):
    assert is_report_title(title)


@pytest.mark.parametrize("title", [
    "政府信息公开年报",                                           # the column, not a report
    "政府信息公开工作年度报告",                                   # a yearless heading
    "关于做好2021年度政府信息公开工作年度报告编制发布工作的通知",
    "关于印发《2022年政务公开工作要点》的通知",
    "《平潭综合实验区2021年度政府信息公开工作年度报告》解读",
    "2021年度企业年报公示工作开始",
    "平潭县2020年统计年报",
    "2022年政府信息公开工作年度报告评估结果通报",
    "平潭综合实验区2021年国民经济和社会发展统计公报",
    "",
    None,
])
def test_not_report_titles(title):
    assert not is_report_title(title)


def test_bare_yearly_report_only_counts_inside_a_column():
    assert not is_report_title("平潭县2012年年报")
    assert is_report_title("平潭县2012年年报", in_column=True)
    assert is_report_title("某县2020年度报告", in_column=True)
    # The negative words still apply inside a column.
    assert not is_report_title("关于2020年年报编制的通知", in_column=True)


@pytest.mark.parametrize("text,expected", [
    ("政府信息公开年报", True), ("政府信息\n公开年报", True), ("信息公开年报", True),
    ("政府信息公开工作年度报告", True), ("年报", True), ("政务公开年报", True),
    ("2021年政府信息公开年报", False), ("政府信息公开指南", False), ("政府信息公开制度", False),
])
def test_column_titles(text, expected):
    assert is_column_title(text) is expected


def test_list_page_is_recognised_as_a_column_by_title_or_column_meta():
    assert page_is_annual_column("政府信息公开年报_平潭综合实验区党工委管委会")
    assert page_is_annual_column("列表", column_name="政府信息公开年报")
    assert not page_is_annual_column("政务公开_平潭综合实验区党工委管委会")


def test_anchors_join_broken_titles_prefer_full_title_attribute_and_drop_fragments():
    html = """<ul>
      <li><a href="./202402/t20240226_93001.htm">洪泽区人民政府2023年<br/>政府信息公开工作年度报告</a></li>
      <li><a href="../201204/t20120418_80716.htm#top" title="平潭县人民政府2011年政府信息公开工作年度报告">平潭县人民政府2011年政府信息公开工作…</a></li>
      <li><a href="javascript:void(0)">登录</a><a href="mailto:x@y.gov.cn">信箱</a><a href="#">顶部</a></li>
    </ul>"""
    links = anchors(html, "http://www.example.gov.cn/zwgk/zfxxgknb/index.html")
    assert links == [
        Link("http://www.example.gov.cn/zwgk/zfxxgknb/202402/t20240226_93001.htm",
             "洪泽区人民政府2023年政府信息公开工作年度报告"),
        Link("http://www.example.gov.cn/zwgk/201204/t20120418_80716.htm",
             "平潭县人民政府2011年政府信息公开工作年度报告"),
    ]


def test_normalize_title_removes_every_kind_of_space():
    assert normalize_title(" 平潭\u3000县\xa0 2021\n年\t年报\u200b ") == "平潭县2021年年报"


@pytest.mark.parametrize("url,expected", [
    ("http://x.gov.cn/a/P020250428338575424191.docx", True),
    ("http://x.gov.cn/a/report.PDF", True),
    ("http://x.gov.cn/a/b.doc", True), ("http://x.gov.cn/a/b.wps", True),
    ("http://x.gov.cn/a/b.xls", True), ("http://x.gov.cn/a/b.xlsx", True),
    ("http://x.gov.cn/generic2/web/viewer.html?file=/a/P0202.pdf", True),
    ("http://x.gov.cn/generic2/web/viewer.html?file={{qzbFile}}", False),
    ("http://x.gov.cn/a/t20220208_80613.htm", False),
    ("http://x.gov.cn/a/pdf/index.html", False),
])
def test_attachment_urls(url, expected):
    assert is_attachment_url(url) is expected


def test_viewer_link_gives_the_file_behind_it():
    assert attachment_in_viewer("http://x.gov.cn/generic2/web/viewer.html?file=/zwgk/P1.pdf") \
        == "http://x.gov.cn/zwgk/P1.pdf"


@pytest.mark.parametrize("text,expected", [
    ("下一页", True), ("下页", True), (" 下一页 ", True), (">", True), ("»", True),
    ("上一页", False), ("尾页", False), ("2", False),
])
def test_next_page_text(text, expected):
    assert is_next_page_text(text) is expected


def test_host_policy_allows_gov_cn_but_not_mirrors_nor_loopback():
    policy = HostPolicy()
    for url in ("https://www.pingtan.gov.cn/zwgk/", "http://gov.cn/", "http://xxgk.huichang.gov.cn/x",
                "http://WWW.PINGTAN.GOV.CN./x"):
        assert policy.allows(url), url
    for url in ("https://saintpaulhem.com/zwgk/zfxxgk/zfxxgknb/202202/t20220208_80613.htm",
                "http://pingtan.gov.cn.saintpaulhem.com/x", "http://notgov.cn/x",
                "http://gov.cn.evil.com/x", "http://127.0.0.2/x", "file:///tmp/x.html", "nonsense",
                # Loopback only where the tests and the demo name it (their settings).
                "http://127.0.0.1:8000/a", "http://localhost/a"):
        assert not policy.allows(url), url
    assert HostPolicy(["*.gov.cn", "127.0.0.1"]).allows("http://127.0.0.1:8000/a")


def test_host_policy_extended_by_registry_hosts():
    policy = HostPolicy(["*.gov.cn"]).extended(["www.media-centre.cn"])
    assert policy.allows("http://www.media-centre.cn/x")
    assert not policy.allows("http://other.media-centre.cn/x")
    assert not policy.allows("http://127.0.0.1/x")
    assert policy.domains() == ["gov.cn", "www.media-centre.cn"]


# --- anti-bot answers ---------------------------------------------------------------------

RS_412 = (b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts=window['$_ts']={};"
          b"$_ts.nsd=84706;</script><script src='/x/c.js' r='m'></script></head><body></body></html>")


def test_rs_challenge_412_and_202():
    assert blocked_reason(412, RS_412) == "rs_ts"
    assert blocked_reason(202, RS_412) == "rs_ts"
    assert blocked_reason(200, RS_412) == "rs_ts"


def test_other_challenges():
    assert blocked_reason(412, b"<html>Precondition Failed</html>") == "http_412"
    assert blocked_reason(521, b"<script>document.cookie=...</script>") == "jsl_521"


def test_real_report_pages_are_not_blocked_answers():
    body = (FIXTURES / "real" / "pingtan-2021.html").read_bytes()
    assert blocked_reason(200, body) is None
    assert blocked_reason(404, b"<html>404</html>") is None


# --- the attachment pre-scan ----------------------------------------------------------------

ATTACHMENT_PAGES = [
    '<a href="/u/P020200101.pdf">附件</a>',
    '<a href="P1.DOCX">报告</a>',
    '<a href="/generic2/web/viewer.html?file=/zwgk/P1.pdf">全真版</a>',
    '<a href="/module/download/downfile.jsp?classid=0&filename=2101291642.pdf">下载</a>',
    '<a href="/system/_content/download.jsp?owner=1&wbfileid=2">某县2020年度报告.wps</a>',
    '<a href="/x/DownLoad.aspx?id=3">附件：年度报告.xls】</a>',
]


@pytest.mark.parametrize("snippet", ATTACHMENT_PAGES)
def test_pages_linking_files_pass_the_pre_scan(snippet):
    from spiders.platforms.base import Page, PlatformAdapter
    page = Page("http://www.x.gov.cn/zwgk/nb/t1.htm", f"<html><body><p>正文</p>{snippet}</body></html>")
    assert PlatformAdapter().attachment_links(page), snippet
    assert may_link_attachments(page.text)


def test_the_pre_scan_agrees_with_the_anchor_scan_on_every_fixture_page():
    from spiders.platforms.base import PlatformAdapter
    pages = sorted(FIXTURES.rglob("*.htm*"))
    assert len(pages) >= 5
    skipped = 0
    for path in pages:
        text = path.read_bytes().decode("utf-8", errors="replace")
        adapter = PlatformAdapter()
        full = [l for l in anchors(text, "http://www.x.gov.cn/a/b.htm") if adapter.is_attachment(l)]
        if full:
            assert may_link_attachments(text), path
        skipped += not may_link_attachments(text)
    # The scan must spare real report pages without files their anchor parse.
    assert skipped >= 1
    assert not may_link_attachments((FIXTURES / "real" / "pingtan-2019.html").read_text(encoding="utf-8"))


def test_the_pre_scan_reads_bodies_in_gbk():
    page = '<html><body><p>平潭县年度报告</p><a href="/u/附件一.PDF">附件</a></body></html>'
    assert may_link_attachments(page.encode("gbk"))
    assert not may_link_attachments(page.replace(".PDF", ".htm").encode("gbk"))
