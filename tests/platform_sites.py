"""Simulated portals of the Hanweb (jpage and Jiangxi), gkmlpt and VSB platforms, for crawl tests.

Each site is a govreports.mockportal.MockPortal serving routes on its own 127.0.0.1 port, built
from the structures portals.md §2 describes (and public crawler code written against the real
sites): where a list's rows are, how it pages, how its files are linked, what its header says.
The report pages themselves are the repository's fixtures (tests/fixtures: real pages and
platform-shaped pages with real forms' tables), a few wrapped in a platform's detail page whose
numbers are in an attachment. Beside the reports each site serves what a crawl must not store:
anti-bot answers, a redirect to a mirror host, a notice in the 年报 column, a list page that
answers 503 twice, a report page that answers too late once.

`SITES` describes every site: the registry row it stands for, the first list page, which paths
are reports (with their titles and files), which are blocked and why, which list pages follow.
`start_sites()` serves them all; `registry_csv()` writes the registry rows for a crawl.

`build_paging_sites()` (served by `start_sites(build_paging_sites)`) holds the paging variants of
issue 4, each modelled on public crawler code and archived pages of the real sites: a Fujian
list2.trsapi column (pingtan.gov.cn's page 1 markup, later pages from the `/fjdzapp/search`
JSON), a Hanweb JPaaS column drawn from its page-build unit (`unitbuild.js` + queryData, the
unit API's `{"data": {"html": …}}`), and a Hanweb column whose dataproxy parameters are
encrypted blobs (only page 1 readable). `Site.asked` keeps the queries a list API was asked.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from govreports.mockportal import Answer, Hit, MockPortal

FIXTURES = Path(__file__).parent / "fixtures"
UTF8 = "text/html; charset=utf-8"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


DOCX = fixture("docx/qinghe-2022.docx")
SMALL_PDF = fixture("pdf/encrypted-owner-only.pdf")
# Word 97 / WPS / BIFF8 files made from the project's reports (tests/fixtures/doc and xls, whose
# READMEs say how): the Zhejiang site's 年报.wps, 统计表.xls and 年报.doc.
HW_WPS_FILE, HW_XLS_FILE, HW_DOC_FILE = "doc/qinghe-2022.wps", "xls/songlin-2022.xls", "doc/pingtan-2021.doc"
# An OLE2 header and padding, which no reader takes: a small real answer that is no anti-bot stub
# (test_fetching). No site serves it any more.
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504

# Anti-bot answers (portals.md §6), as they come: status, body.
RS_412 = (412, b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts=window['$_ts']={};"
               b"$_ts.nsd=84706;$_ts.cd='qhxcrrAlWqAq';</script><script src='/4QbVtADbnLVIc/c.FxJzG50F.js'"
               b" r='m'></script></head><body></body></html>")
JSL_521 = (521, b"<html><body><script>document.cookie=('_')+('_j')+('sl_clearance_s=1700000000.1|0|"
                b"abc')+(';max-age=3600;path=/');location.href=location.pathname+location.search"
                b"</script></body></html>")
WAF_418 = (418, b"<html><head><title>418</title></head><body>request blocked</body></html>")
DENIED_403 = (403, b"<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden"
                   b"</h1></center><hr><center>nginx</center></body></html>")
STUB_200 = (200, b"<html><head><meta charset='utf-8'><script>var _0x1=['cookie','reload'];document"
                 b"[_0x1[0]]='wzws_cid=4f0e2b;path=/';location[_0x1[1]]();</script></head><body>"
                 b"</body></html>")


@dataclass
class Site:
    key: str
    code: str
    name: str
    province: str
    prefecture: str
    platform: str
    column: str                      # the registry's column path (may carry #fragment)
    scheme: str = "http"            # https: the host's TLS is broken (served as such)
    reports: dict[str, str] = field(default_factory=dict)          # path -> title
    files: dict[str, list[str]] = field(default_factory=dict)      # report path -> file paths
    cells_from_files: list[str] = field(default_factory=list)      # reports whose tables are in a file
    blocked: dict[str, str] = field(default_factory=dict)          # path -> antibot reason
    offsite: dict[str, str] = field(default_factory=dict)          # path -> redirect target
    not_reports: list[str] = field(default_factory=list)           # listed, never fetched
    first_pages: list[str] = field(default_factory=list)           # path?query of page 1
    later_pages: list[str] = field(default_factory=list)           # path?query, in order
    never: list[str] = field(default_factory=list)                 # path?query never asked for
    retried: dict[str, int] = field(default_factory=dict)          # path -> answers before OK
    asked: list[dict[str, str]] = field(default_factory=list)      # list API queries, in order
    routes: dict[str, Callable[[Hit], Answer]] = field(default_factory=dict)
    portal: Optional[MockPortal] = None

    def url(self, path: str) -> str:
        assert self.portal is not None
        return self.portal.url(path)

    @property
    def column_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.portal.port}{self.column}"

    def stored_url(self, path: str) -> str:
        """The address a report is stored under: http where the site's https is broken."""
        return self.url(path)


def static(body: bytes, ctype: str = UTF8, status: int = 200) -> Callable[[Hit], Answer]:
    return lambda hit: Answer(status, ctype, body)


def answer(pair: tuple[int, bytes]) -> Callable[[Hit], Answer]:
    return static(pair[1], "text/html", pair[0])


def failing_first(times: int, then: Callable[[Hit], Answer], status: int = 503) -> Callable[[Hit], Answer]:
    """Answers `status` to the first `times` requests for the path, then as `then`."""
    def route(hit: Hit) -> Answer:
        if hit.n <= times:
            return Answer(status, "text/html", b"<html><body><h1>503 Service Unavailable</h1></body></html>")
        return then(hit)
    return route


def late_first(delay: float, then: Callable[[Hit], Answer]) -> Callable[[Hit], Answer]:
    """The first request for the path is answered after `delay` seconds (a client timeout)."""
    def route(hit: Hit) -> Answer:
        got = then(hit)
        if hit.n == 1:
            got.delay = delay
        return got
    return route


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def wrapper_page(title: str, header_rows: str, files: list[tuple[str, str]], charset: str = "utf-8",
                 extra_head: str = "") -> bytes:
    """A detail page whose report is in its attachments: title, header table, 详见附件, links."""
    links = "".join(f'<p><a href="{esc(href)}" target="_blank">{esc(name)}</a></p>' for href, name in files)
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="ArticleTitle" content="{esc(title)}">{extra_head}
<title>{esc(title)}</title></head>
<body><div class="main">{header_rows}
<h1 class="title">{esc(title)}</h1>
<div id="zoom"><p>{esc(title)}全文详见附件。</p><p>附件：</p>{links}</div></div></body></html>""".encode(charset)


# --- Hanweb / jpaas (Zhejiang-style): datastore on page 1, dataproxy.jsp for the rest ----------

HW_COL, HW_UNIT, HW_WEB = "1229106699", "4916391", "3185"
HW_COLUMN = f"/col/col{HW_COL}/index.html"
HW_TITLE_2023 = "安吉县人民政府2023年政府信息公开工作年度报告"
HW_WPS_TITLE = "安吉县人民政府2022年政府信息公开工作年度报告"
HW_ROWS: list[tuple[str, str]] = [
    # (detail path, title) in list order (newest first), 7 rows, 3 per page
    (f"/art/2024/1/25/art_{HW_COL}_3001.html", HW_TITLE_2023),
    (f"/art/2021/1/29/art_{HW_COL}_3002.html", "灌南县人民政府办公室2020年政府信息公开工作年度报告"),
    (f"/art/2024/1/10/art_{HW_COL}_3003.html", "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"),
    (f"/art/2023/1/30/art_{HW_COL}_3004.html", HW_WPS_TITLE),
    (f"/art/2023/1/20/art_{HW_COL}_3005.html", "安吉县人民政府办公室2022年政府信息公开工作年度报告"),
    (f"/art/2022/1/26/art_{HW_COL}_3006.html", "某某区人民政府2021年政府信息公开工作年度报告"),
    (f"/art/2020/1/20/art_{HW_COL}_3007.html", "上海市某某区人民政府办公室2019年政府信息公开工作年度报告"),
]
HW_PER_PAGE = 3


def _hw_record(path: str, title: str) -> str:
    date = "-".join(f"{int(x):02d}" if i else x for i, x in enumerate(path.split("/")[2:5]))
    return (f'<record><![CDATA[\n<li><a href="{path}" title="{esc(title)}" target="_blank">'
            f'{esc(title[:22])}…</a><span class="time">{date}</span></li>]]></record>')


def _hw_nextgroup() -> str:
    return (f'<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid='
            f'{HW_WEB}&path=/&columnid={HW_COL}&unitid={HW_UNIT}&webname=%E5%AE%89%E5%90%89%E5%8E%BF'
            f'&permissiontype=0"></a>]]></nextgroup>')


def hanweb_column(hit: Hit) -> Answer:
    rows = "\n".join(_hw_record(p, t) for p, t in HW_ROWS[:HW_PER_PAGE])
    body = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta name="SiteName" content="安吉县人民政府"><meta name="SiteDomain" content="www.anji.gov.cn">
<meta name="ColumnName" content="政府信息公开年报"><meta name="ColumnType" content="政府信息公开年报">
<title>政府信息公开年报_安吉县人民政府</title>
<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script></head>
<body><div class="top"><a href="/">首页</a><a href="/col/col1229211111/index.html">政务公开</a></div>
<div class="bt-rig-cen-01"><div id="{HW_UNIT}"><script type="text/xml"><datastore>
{_hw_nextgroup()}
<recordset>
{rows}
</recordset></datastore></script></div></div>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>$(document).ready(function(){{ $('#{HW_UNIT}').jpage({{ dataStore: dataStore, perPage: {HW_PER_PAGE},
  totalRecord: {len(HW_ROWS)}, proxyUrl: '/module/web/jpage/dataproxy.jsp', groupSize: 1,
  barPosition: 'bottom', showMode: 'full' }}); }});</script>
</body></html>"""
    return Answer(200, UTF8, body.encode())


def hanweb_dataproxy(hit: Hit) -> Answer:
    q = hit.query
    if (q.get("columnid"), q.get("unitid"), q.get("webid")) != (HW_COL, HW_UNIT, HW_WEB):
        # The real module answers an empty datastore to wrong parameters.
        return Answer(200, "text/xml;charset=UTF-8",
                      b'<?xml version="1.0" encoding="UTF-8"?><datastore><recordset></recordset></datastore>')
    start, end = int(q.get("startrecord", 1)), int(q.get("endrecord", 1))
    rows = "\n".join(_hw_record(p, t) for p, t in HW_ROWS[start - 1:end])
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>{_hw_nextgroup()}<recordset>\n{rows}\n'
            f"</recordset><totalrecord>{len(HW_ROWS)}</totalrecord>"
            f"<totalpage>{-(-len(HW_ROWS) // HW_PER_PAGE)}</totalpage></datastore>")
    return Answer(200, "text/xml;charset=UTF-8", body.encode())


ZJ_HEADER = """<table class="xxgk_table"><tr><th>索引号</th><td>113305230026455663/2024-01234</td>
<th>发布机构</th><td>安吉县人民政府办公室</td></tr><tr><th>公开方式</th><td>主动公开</td><th>公开范围</th>
<td>面向社会</td></tr><tr><th>文&nbsp;&nbsp;号</th><td></td><th>有&nbsp;效&nbsp;性</th><td>有效</td></tr></table>"""


def downfile(hit: Hit) -> Answer:
    name = hit.query.get("filename", "")
    if name.endswith(".docx"):
        return Answer(200, DOCX_TYPE, DOCX, {"Content-Disposition": f'attachment; filename="{name}"'})
    if name.endswith(".pdf"):
        return Answer(200, "application/pdf", SMALL_PDF)
    return Answer(404, "text/html", b"<html>404</html>")


def hanweb_site() -> Site:
    r = dict(HW_ROWS)
    p = [path for path, _ in HW_ROWS]
    docx_2023 = "/module/download/downfile.jsp?classid=0&filename=2401251530123.docx"
    wps, xls, doc = ("/picture/0/2301301010001.wps", "/picture/0/2301301010002.xls",
                     "/picture/0/2301301010003.doc")
    site = Site(
        key="hanweb", code="330523", name="安吉县", province="浙江省", prefecture="湖州市",
        platform="hanweb", column=HW_COLUMN,
        reports={p[0]: r[p[0]], p[1]: r[p[1]], p[3]: r[p[3]], p[5]: r[p[5]], p[6]: r[p[6]]},
        files={p[0]: [docx_2023],
               p[1]: ["/module/download/downfile.jsp?classid=0&filename=2101291642.pdf",
                      "/picture/0/2101291642123.docx"],
               p[3]: [wps, xls, doc]},
        cells_from_files=[p[0], p[3]],
        blocked={p[4]: "jsl_521"},
        not_reports=[p[2]],
        first_pages=[HW_COLUMN],
        later_pages=[f"/module/web/jpage/dataproxy.jsp?startrecord={s}&endrecord={e}&perpage=3"
                     f"&columnid={HW_COL}&unitid={HW_UNIT}&webid={HW_WEB}" for s, e in ((4, 6), (7, 7))],
    )
    site.routes = {
        HW_COLUMN: hanweb_column,
        "/module/web/jpage/dataproxy.jsp": hanweb_dataproxy,
        "/module/download/downfile.jsp": downfile,
        p[0]: static(wrapper_page(r[p[0]], ZJ_HEADER, [(docx_2023, r[p[0]] + ".docx")])),
        p[1]: static(fixture("html/jiangsu-hanweb-2020.html"), "text/html"),
        "/picture/0/2101291642123.docx": static(DOCX, DOCX_TYPE),
        p[2]: static(wrapper_page(r[p[2]], "", [])),
        p[3]: static(wrapper_page(r[p[3]], ZJ_HEADER, [(wps, "年报.wps"), (xls, "统计表.xls"),
                                                       (doc, "年报.doc")])),
        # The .wps as a generic download: its reader is found by the bytes and the name.
        wps: static(fixture(HW_WPS_FILE), "application/octet-stream"),
        xls: static(fixture(HW_XLS_FILE), "application/vnd.ms-excel"),
        doc: static(fixture(HW_DOC_FILE), "application/msword"),
        p[4]: answer(JSL_521),
        # Too late once (the crawl's DOWNLOAD_TIMEOUT), then fine: retried after a backoff.
        p[5]: late_first(2.5, static(fixture("html/gb2312-meta-2021.html"), "text/html")),
        p[6]: static(fixture("html/shanghai-blanks-2019.html")),
    }
    site.retried = {p[5]: 1}
    return site


# --- Hanweb, Jiangxi variant: every page rendered by the server at ?uid=&pageNum= ----------------

JX_COLUMN, JX_UID = "/col/col5863/index.html", "5863001"
JX_ROWS = [
    ("/art/2020/1/16/art_5863_101.html", "贵溪市人民政府2019年政府信息公开工作年度报告"),
    ("/art/2022/1/20/art_5863_102.html", "威县人民政府办公室2021年政府信息公开工作年度报告"),
    ("/art/2020/1/15/art_5863_103.html", "某某县人民政府2019年政府信息公开工作年度报告"),
    ("/art/2022/1/20/art_5863_104.html", "某某镇人民政府2021年政府信息公开工作年度报告（图片版）"),
]
JX_PER_PAGE = 2


def jiangxi_column(hit: Hit) -> Answer:
    n = int(hit.query.get("pageNum") or 1)
    rows = "\n".join(f'<record><![CDATA[<li><a href="{p}" title="{esc(t)}" target="_blank">{esc(t)}'
                     f'</a><span>{p.split("/")[2]}</span></li>]]></record>'
                     for p, t in JX_ROWS[(n - 1) * JX_PER_PAGE: n * JX_PER_PAGE])
    pages = -(-len(JX_ROWS) // JX_PER_PAGE)
    pager = "".join(f'<a href="{JX_COLUMN}?uid={JX_UID}&pageNum={k}">{k}</a>' for k in range(1, pages + 1))
    if n < pages:
        pager += f'<a href="{JX_COLUMN}?uid={JX_UID}&pageNum={n + 1}">下一页</a>'
    body = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="ColumnName" content="政府信息公开年报">
<title>政府信息公开年报_贵溪市人民政府</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/col/col5860/index.html">政务公开</a></div>
<div id="{JX_UID}"><script type="text/xml"><datastore><recordset>
{rows}
</recordset></datastore></script></div>
<script>$('#{JX_UID}').jpage({{ perPage: {JX_PER_PAGE}, totalRecord: {len(JX_ROWS)},
  barPosition: 'bottom' }});</script>
<div class="pager">{pager}</div></body></html>"""
    return Answer(200, UTF8, body.encode())


def jiangxi_site() -> Site:
    p = [path for path, _ in JX_ROWS]
    site = Site(
        key="jiangxi", code="360681", name="贵溪市", province="江西省", prefecture="鹰潭市",
        platform="hanweb", column=JX_COLUMN, reports=dict(JX_ROWS),
        first_pages=[JX_COLUMN], later_pages=[f"{JX_COLUMN}?uid={JX_UID}&pageNum=2"])
    site.routes = {
        JX_COLUMN: jiangxi_column,
        p[0]: static((Path(__file__).parents[1] / "govreports/demo_site/site/zwgk/zfxxgk/zfxxgknb/"
                      "202001/t20200116_14842.htm").read_bytes(), "text/html; charset=GBK"),
        p[1]: static(fixture("html/hebei-oneline-2021.html")),
        p[2]: static(fixture("html/trs-2019-gbk.html"), "text/html; charset=GBK"),
        p[3]: static(fixture("html/image-only-2021.html")),
    }
    return site


# --- Guangdong gkmlpt: _CONFIG on /gkmlpt/index, JSON lists of 100 -------------------------------

GK_SID, GK_CAT = "755018", 2629
GK_TREE = [
    {"id": 2619, "name": "政府信息公开指南", "post_count": 1, "children": []},
    {"id": 2621, "name": "政府信息公开制度", "post_count": 3, "children": []},
    {"id": GK_CAT, "name": "政府信息公开年报", "post_count": 103,
     "children": [{"id": 2630, "name": "部门年报", "post_count": 40, "children": []}]},
    {"id": 2640, "name": "政策解读", "jump_url": "/zcjd/", "children": []},
]
GK_HEADER_1002 = {"identifier": "11440305007542227X/2023-00123", "document_number": "",
                  "publisher": "深圳市南山区人民政府办公室", "date": 1674000000,
                  "created_at": "2023-01-19 09:30:00"}
GK_REPORTS = {
    # post id: (title, api article extras)
    1001: ("深圳市南山区人民政府2022年政府信息公开工作年度报告",
           {"identifier": "11440305007542227X/2023-00122", "document_number": "",
            "publisher": "深圳市南山区人民政府", "date": 1673913600, "created_at": "2023-01-18 10:00:00",
            "attachment": [{"name": "南山区2022年年报.docx", "type": "docx", "mime": DOCX_TYPE,
                            "size": len(DOCX), "url": "/attachment/0/512/512001/1001.docx"}]}),
    1002: ("深圳市南山区人民政府办公室2022年政府信息公开工作年度报告",
           dict(GK_HEADER_1002, classify_main_name="政府信息公开年报", attachment=[
               {"name": "全文.pdf", "type": "pdf", "mime": "application/pdf", "size": len(SMALL_PDF),
                "url": "/attachment/0/512/512002/1002.pdf"},
               {"name": "全文.docx", "type": "docx", "mime": DOCX_TYPE, "size": len(DOCX),
                "url": "/attachment/0/512/512002/1002.docx"}])),
    1003: ("深圳市南山区教育局2022年政府信息公开工作年度报告", {"publisher": "深圳市南山区教育局"}),
    1004: ("平潭县人民政府2013年政府信息公开工作年度报告", {"publisher": "平潭县人民政府"}),
    1005: ("深圳市南山区卫生健康局2022年政府信息公开工作年度报告", {"publisher": "深圳市南山区卫生健康局"}),
}


def gk_path(post: int) -> str:
    return f"/gkmlpt/content/10/{post}/post_{post}.html"


def _gk_articles() -> list[dict]:
    """102 articles: two reports, 98 notices, then three reports on page 2."""
    def art(post: int, title: str, extra: dict) -> dict:
        return {"id": post, "title": title, "url": gk_path(post), "classify_main": GK_CAT,
                "display_publish_time": 1674000000, "attachment": [], **extra}
    out = [art(1001, *GK_REPORTS[1001]), art(1002, *GK_REPORTS[1002])]
    out += [art(2000 + i, f"南山区第{i}期政务公开工作动态", {}) for i in range(98)]
    out += [art(k, *GK_REPORTS[k]) for k in (1003, 1004, 1005)]
    return out


def gkmlpt_index(hit: Hit) -> Answer:
    config = (f"window._CONFIG = {{ SID: '{GK_SID}', SITE_NAME: '深圳市南山区人民政府', "
              f"TREE: {json.dumps(GK_TREE, ensure_ascii=False)}, SERVICE_AREA_ID: 7, DETAIL: null }};")
    body = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开</title>
<script>{config}</script></head><body><div id="app"></div>
<script src="/gkmlpt/static/js/app.js"></script></body></html>"""
    return Answer(200, UTF8, body.encode())


def gkmlpt_api(hit: Hit) -> Answer:
    if hit.query.get("sid") != GK_SID:
        return Answer(200, "application/json", b'{"classify": null, "articles": []}')
    page = int(hit.query.get("page") or 0)
    if page >= 3:
        return Answer(404, "text/html", b"<html><body>404 Not Found</body></html>")
    arts = _gk_articles()
    batch = arts[:100] if page <= 1 else arts[100:200]
    data = {"classify": {"id": GK_CAT, "name": "政府信息公开年报", "post_count": len(arts)},
            "articles": batch}
    return Answer(200, "application/json;charset=UTF-8", json.dumps(data, ensure_ascii=False).encode())


def gk_detail(post: int, with_table: bool) -> bytes:
    title, extra = GK_REPORTS[post]
    table = ""
    if with_table:
        table = f"""<div class="classify"><table>
<tr><td>索引号：</td><td>{extra['identifier']}</td><td>分类：</td><td>政府信息公开年报</td></tr>
<tr><td>发布机构：</td><td>{extra['publisher']}</td><td>成文日期：</td><td>2023-01-17</td></tr>
<tr><td>名称：</td><td colspan="3">{esc(title)}</td></tr>
<tr><td>文号：</td><td></td><td>发布日期：</td><td>2023-01-18</td></tr>
<tr><td>主题词：</td><td colspan="3"></td></tr></table></div>"""
    config = f"<script>window._CONFIG = {{ SID: '{GK_SID}' }};</script>"
    return wrapper_page(title, table, [], extra_head=config)


def gkmlpt_site() -> Site:
    files = {gk_path(k): [a["url"] for a in GK_REPORTS[k][1].get("attachment", [])] for k in (1001, 1002)}
    site = Site(
        key="gkmlpt", code="440305", name="南山区", province="广东省", prefecture="深圳市",
        platform="gkmlpt", column=f"/gkmlpt/annualreport#{GK_CAT}",
        reports={gk_path(k): GK_REPORTS[k][0] for k in (1001, 1002, 1004)},
        files=files, cells_from_files=[gk_path(1001), gk_path(1002)],
        blocked={gk_path(1003): "http_403", gk_path(1005): "rs_ts"},
        not_reports=[gk_path(2000)],
        first_pages=["/gkmlpt/index", f"/gkmlpt/api/all/{GK_CAT}?page=1&sid={GK_SID}"],
        later_pages=[f"/gkmlpt/api/all/{GK_CAT}?page=2&sid={GK_SID}"],
        never=[f"/gkmlpt/api/all/{GK_CAT}?page=0&sid={GK_SID}",
               f"/gkmlpt/api/all/{GK_CAT}?page=3&sid={GK_SID}"])
    site.routes = {
        "/gkmlpt/index": gkmlpt_index,
        f"/gkmlpt/api/all/{GK_CAT}": gkmlpt_api,
        gk_path(1001): static(gk_detail(1001, True)),
        gk_path(1002): static(gk_detail(1002, False)),
        "/attachment/0/512/512001/1001.docx": static(DOCX, DOCX_TYPE),
        "/attachment/0/512/512002/1002.pdf": static(SMALL_PDF, "application/pdf"),
        "/attachment/0/512/512002/1002.docx": static(DOCX, DOCX_TYPE),
        gk_path(1003): answer(DENIED_403),
        gk_path(1004): static(fixture("legacy/pingtan-county-2013.html")),
        gk_path(1005): answer(RS_412),
    }
    return site


# --- VSB / 博达: static .htm lists numbered downwards, download.jsp files ------------------------

VSB_LIST = "/xxgk/zfxxgknb.htm"
VSB_PAGES = [VSB_LIST, "/xxgk/zfxxgknb/2.htm", "/xxgk/zfxxgknb/1.htm"]
VSB_ROWS = [
    [("/info/2224/21140.htm", "商洛市人民政府办公室2021年政府信息公开工作年度报告"),
     ("/info/2224/21141.htm", "卓尼县人民政府2022年政府信息公开工作年度报告")],
    [("/info/2224/21142.htm", "卓尼县人民政府办公室2022年政府信息公开工作年度报告"),
     ("/info/2224/21143.htm", "卓尼县教育局2022年政府信息公开工作年度报告")],
    [("/info/2224/21144.htm", "卓尼县人民政府2021年政府信息公开工作年度报告"),
     ("/info/2224/21145.htm", "平潭综合实验区2021年度政府信息公开工作年度报告")],
]
VSB_DOWNLOAD = "/system/_content/download.jsp"
VSB_FILE = f"{VSB_DOWNLOAD}?urltype=news.DownloadAttachUrl&owner=1301254&wbfileid=7712034"
# A second file of the same report whose download redirects to a mirror host.
VSB_MIRRORED = f"{VSB_DOWNLOAD}?urltype=news.DownloadAttachUrl&owner=1301254&wbfileid=7712035"
MIRROR = "http://saintpaulhem.com"


def vsb_download(hit: Hit) -> Answer:
    if hit.query.get("wbfileid") == "7712035":
        return Answer(302, "text/html", b"", {"Location": MIRROR + "/upload/7712035.pdf"})
    return Answer(200, DOCX_TYPE, DOCX)


def vsb_list(index: int) -> Callable[[Hit], Answer]:
    def route(hit: Hit) -> Answer:
        # Relative links as VSB writes them: from /xxgk/zfxxgknb.htm and /xxgk/zfxxgknb/N.htm.
        up = "../" if index == 0 else "../../"
        rows = "".join(f'<li id="line_u8_{i}"><a href="{up}{p[1:]}" target="_blank" title="{esc(t)}">'
                       f"{esc(t)}</a><span>2022-01-2{i}</span></li>"
                       for i, (p, t) in enumerate(VSB_ROWS[index]))
        here = "zfxxgknb/" if index == 0 else ""
        links = {1: f"{here}2.htm", 2: f"{here}1.htm"}
        href = {0: "../zfxxgknb.htm", **links}
        nums = "".join(f'<span class="p_no_d">{k + 1}</span>' if k == index else
                       f'<span class="p_no"><a href="{href[k]}">{k + 1}</a></span>'
                       for k in range(3))
        nxt = (f'<span class="p_next p_fun"><a href="{links[index + 1]}">下页</a></span>'
               f'<span class="p_last p_fun"><a href="{links[2]}">尾页</a></span>') if index < 2 else ""
        body = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>政府信息公开年报-卓尼县人民政府</title>
<script type="text/javascript" src="/system/resource/js/counter.js"></script></head><body>
<table width="100%"><tr><td><a href="{up}index.htm">首页</a> &gt;
<a href="{up}xxgk.htm">信息公开</a></td></tr>
<tr><td><ul class="list">{rows}</ul>
<div class="pb_sys_common pb_sys_normal pb_sys_style1"><span class="p_t">共6条</span><span class="p_pages">
{nums}{nxt}</span><span class="p_t">共3页</span></div></td></tr></table></body></html>"""
        return Answer(200, UTF8, body.encode())
    return route


def vsb_site() -> Site:
    rows = dict(r for page in VSB_ROWS for r in page)
    p = [path for page in VSB_ROWS for path, _ in page]
    detail = wrapper_page(rows[p[1]], """<table class="vsb_header"><tr><td>索　引　号：</td>
<td>623022/2023-00031</td><td>发布机构：</td><td>卓尼县人民政府办公室</td></tr><tr><td>发布日期：</td>
<td>2023-01-20</td><td>公开目录：</td><td>政府信息公开年报</td></tr></table>""",
                          [(VSB_FILE, "【卓尼县人民政府2022年政府信息公开工作年度报告.docx】"),
                           (VSB_MIRRORED, "【统计表.pdf】")],
                          extra_head='<script src="/system/resource/js/dynclicks.js"></script>')
    site = Site(
        key="vsb", code="623022", name="卓尼县", province="甘肃省", prefecture="甘南藏族自治州",
        platform="vsb", column=VSB_LIST, scheme="https",
        reports={p[0]: rows[p[0]], p[1]: rows[p[1]], p[5]: rows[p[5]]},
        files={p[1]: [VSB_FILE]}, cells_from_files=[p[1]],
        blocked={p[2]: "http_418", p[3]: "stub_200"},
        # A report page and a file that redirect to a mirror: dropped, recorded, report kept.
        offsite={p[4]: MIRROR + "/info/2224/21144.htm",
                 VSB_MIRRORED: MIRROR + "/upload/7712035.pdf"},
        first_pages=[VSB_LIST], later_pages=VSB_PAGES[1:],
        retried={VSB_PAGES[1]: 2})
    site.routes = {
        VSB_PAGES[0]: vsb_list(0),
        # 503 twice, then the page: retried with a growing backoff.
        VSB_PAGES[1]: failing_first(2, vsb_list(1)),
        VSB_PAGES[2]: vsb_list(2),
        p[0]: static(fixture("html/shaanxi-vsb-2021.html"), "text/html"),
        p[1]: static(detail),
        VSB_DOWNLOAD: vsb_download,
        p[2]: answer(WAF_418),
        p[3]: answer(STUB_200),
        p[4]: lambda hit: Answer(302, "text/html", b"", {"Location": site.offsite[p[4]]}),
        p[5]: static(fixture("real/pingtan-2021.html"), "text/html"),
    }
    return site


# --- Fujian TRS list2.trsapi: page 1 static, later pages from the site search channel ----------

FJ_COLUMN, FJ_SEARCH = "/zwgk/zfxxgk/zfxxgknb/", "/fjdzapp/search"
FJ_CHANNEL, FJ_CHNL, FJ_SORT, FJ_PER = "200210", "1813", "-docorderpri,-docreltime", 10
FJ_DEMO = Path(__file__).parents[1] / "govreports/demo_site/site/zwgk/zfxxgk/zfxxgknb"
# (t-date path under the column, title, list date, body or None for a notice), newest first as
# the real column lists them (pingtan.gov.cn: page 1 of 10 static rows, then the search).
FJ_ROWS: list[tuple[str, str, str, Optional[Callable[[], tuple[bytes, str]]]]] = [
    ("202603/t20260310_105590", "平潭综合实验区2026年政府信息公开工作要点", "2026-03-10", None),
    ("202202/t20220208_80613", "平潭综合实验区2021年度政府信息公开工作年度报告", "2022-02-08",
     lambda: (fixture("real/pingtan-2021.html"), "text/html")),
    ("202201/t20220110_80601", "关于做好2021年度政府信息公开工作年度报告编制发布工作的通知", "2022-01-10", None),
    ("202109/t20210915_80599", "平潭综合实验区政府信息公开工作考核办法", "2021-09-15", None),
    ("202103/t20210305_80596", "平潭综合实验区2021年政务公开工作要点", "2021-03-05", None),
    ("202001/t20200120_80576", "平潭综合实验区2019年度政府信息公开工作年度报告", "2020-01-20",
     lambda: (fixture("real/pingtan-2019.html"), "text/html")),
    ("201912/t20191210_80570", "平潭综合实验区政府信息公开指南", "2019-12-10", None),
    ("201906/t20190603_80551", "平潭综合实验区依申请公开办理流程", "2019-06-03", None),
    ("201903/t20190312_80540", "平潭综合实验区2019年政务公开工作要点", "2019-03-12", None),
    ("201812/t20181220_80520", "平潭综合实验区政府信息公开申请表", "2018-12-20", None),
    # page 2: the first page the search channel serves
    ("201804/t20180410_80510", "平潭综合实验区2018年政务公开工作要点", "2018-04-10", None),
    ("201401/t20140123_80754", "平潭县人民政府2013年政府信息公开工作年度报告", "2014-01-23",
     lambda: (fixture("legacy/pingtan-county-2013.html"), "text/html")),
    ("201412/t20141210_80787", "关于2014年政府信息公开工作要点落实情况的函", "2014-12-10", None),
    ("201401/t20140115_4521", "某某县人民政府2019年政府信息公开工作年度报告", "2014-01-15",
     lambda: (fixture("html/trs-2019-gbk.html"), "text/html; charset=GBK")),
    ("201312/t20131220_80750", "平潭县政府信息公开目录", "2013-12-20", None),
    ("201312/t20131205_88231", "某某区人民政府2021年政府信息公开工作年度报告", "2013-12-05",
     lambda: (fixture("html/gb2312-meta-2021.html"), "text/html")),
    ("201306/t20130603_80740", "平潭县2013年政务公开工作要点", "2013-06-03", None),
    ("201305/t20130510_80738", "平潭县政府信息公开工作制度", "2013-05-10", None),
    ("201304/t20130410_80736", "平潭县依申请公开工作规程", "2013-04-10", None),
    ("201303/t20130301_80735", "平潭县政府信息公开保密审查制度", "2013-03-01", None),
    # page 3
    ("201301/t20130117_80725", "平潭县人民政府2012年政府信息公开工作年度报告", "2013-01-17",
     lambda: ((FJ_DEMO / "201301/t20130117_80725.htm").read_bytes(), UTF8)),
    ("201204/t20120418_80716", "平潭县人民政府2011年政府信息公开工作年度报告", "2012-04-18",
     lambda: ((FJ_DEMO / "201204/t20120418_80716.htm").read_bytes(), UTF8)),
    ("201203/t20120301_80700", "平潭县2012年政务公开工作要点", "2012-03-01", None),
]
FJ_PAGES = -(-len(FJ_ROWS) // FJ_PER)


def fj_path(row: int) -> str:
    return f"{FJ_COLUMN}{FJ_ROWS[row][0]}.htm"


def fj_search(page: int) -> str:
    return (f"{FJ_SEARCH}?channelid={FJ_CHANNEL}&classsql=chnlid%3D{FJ_CHNL}"
            f"&sortfield=-docorderpri%2C-docreltime&page={page}&prepage={FJ_PER}")


def fujian_column(hit: Hit) -> Answer:
    """Page 1 as pingtan.gov.cn serves it: ten static rows, the list template the script fills
    for later pages, the site's search channel in SiteInfo and the listModel call."""
    rows = "".join(f"""
    <dl><dd class="trt-col-sm-24 text_align_left">
      <a href="./{path}.htm" target="_blank" title="{esc(title)}">{esc(title)}</a></dd>
      <dd class="trt-col-4 text_align_left">{date}</dd></dl>""" for path, title, date, _ in FJ_ROWS[:FJ_PER])
    body = f"""<!DOCTYPE html>
<html ms-controller="windowRoot"><head><meta charset="utf-8" />
<meta name="SiteName" content="平潭综合实验区党工委管委会"/><meta name="SiteDomain" content="www.pingtan.gov.cn">
<meta name="ColumnName" content="政府信息公开年报"/><meta name="ColumnType" content="政府信息公开年报"/>
<meta name="ChnlId" content="{FJ_CHNL}"><meta name="SiteId" content="4"/>
<title>政府信息公开年报_政府信息公开_平潭综合实验区党工委管委会</title></head>
<body><div class="header"><a href="/">首页</a><a href="/zwgk/">政务公开</a>
<a href="/zwgk/zfxxgk/zfxxgknb/nlist.htm">政府信息公开年报</a></div>
<div class="tabs info_tabs" ms-controller="list">
  <div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="showStatic">{rows}
  </div>
  <div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="!showStatic" style="display: none">
    <dl ms-if="list.length>0" ms-repeat="list" ms-if-loop="$index<10">
      <dd><a ms-attr-href="el.chnldocurl" ms-attr-title="el.doctitle" ms-text="el.doctitle|html" target="_blank"></a></dd>
      <dd ms-text="el.docreltime|date('yyyy-MM-dd')"></dd></dl>
  </div>
  <div class="page_base mar_t_base" ms-controller="list_pagebar" ms-include-src="pgTemp" ms-if="pageCount>0"></div>
</div>
<script>
var SiteInfo = {{
    //was4doc: 290792,  //文档检索的was频道号
    itpSiteId: 21,
    searchId: {FJ_CHANNEL}, //默认的文档检索频道的ID
    defaultPgTemp: "pgBar_pt.html"
}};
</script>
<script src="/images/model.min.js"></script>
<script>
    require(["list2.trsapi", "tools"], function(listModel, tools) {{
        listModel({{
            quickMode: "动静结合",
            maxStaticIndex: 1,
            listArgs: {{
                channelid: SiteInfo.searchId,
                classsql: "" || "chnlid={FJ_CHNL}",
                sortfield: "{FJ_SORT}"
            }},
            pagebar: {{
                prepage: {FJ_PER},
                recordCount: '{len(FJ_ROWS)}',
                pgTemp: "pgBar_xxgk.html",
                pgCountMode: "recordCount",
                displayNum: 2
            }}
        }});
    }});
</script></body></html>"""
    return Answer(200, UTF8, body.encode())


def fujian_search(site: Site) -> Callable[[Hit], Answer]:
    """The search channel: the column's rows, `prepage` at a time, as JSON with absolute
    chnldocurl/docpuburl (field names as crawlers of the real service read them)."""
    def route(hit: Hit) -> Answer:
        q = hit.query
        site.asked.append(dict(q))
        if (q.get("channelid"), q.get("classsql"), q.get("sortfield")) != (
                FJ_CHANNEL, f"chnlid={FJ_CHNL}", FJ_SORT):
            return Answer(200, "application/json;charset=UTF-8", b'{"pageCount":0,"data":[]}')
        page, per = int(q.get("page") or 1), int(q.get("prepage") or FJ_PER)
        rows = []
        for n, (path, title, date, _) in enumerate(FJ_ROWS[(page - 1) * per: page * per],
                                                   (page - 1) * per):
            url = site.url(fj_path(n))
            rows.append({"doctitle": title, "chnldocurl": url, "docpuburl": url,
                         "docreltime": f"{date} 09:30:00", "pubdate": date,
                         "idxid": f"FJ00{FJ_CHNL}-0300-{path[:4]}-{path.rsplit('_', 1)[1]}",
                         "fileno": "", "docsourcename": "", "puborg": "平潭综合实验区管委会办公室",
                         "chnlid": FJ_CHNL})
        data = {"pageCount": -(-len(FJ_ROWS) // per), "data": rows}
        return Answer(200, "application/json;charset=UTF-8",
                      json.dumps(data, ensure_ascii=False).encode())
    return route


def fujian_site() -> Site:
    reports = {fj_path(n): row[1] for n, row in enumerate(FJ_ROWS) if row[3] is not None}
    site = Site(
        key="fujian", code="350128", name="平潭县", province="福建省", prefecture="福州市",
        platform="trs", column=FJ_COLUMN, reports=reports,
        not_reports=[fj_path(n) for n, row in enumerate(FJ_ROWS) if row[3] is None],
        first_pages=[FJ_COLUMN], later_pages=[fj_search(n) for n in range(2, FJ_PAGES + 1)],
        # Search page 1 is the static page again; there is no page after the last.
        never=[fj_search(1), fj_search(FJ_PAGES + 1)])
    site.routes = {FJ_COLUMN: fujian_column, FJ_SEARCH: fujian_search(site)}
    for n, row in enumerate(FJ_ROWS):
        if row[3] is not None:
            body, ctype = row[3]()
            site.routes[fj_path(n)] = static(body, ctype)
    return site


# --- Hanweb JPaaS, a column drawn client-side from the page-build unit ---------------------------

ZJU_COL = "1229696276"
ZJU_COLUMN = f"/col/col{ZJU_COL}/index.html"
ZJU_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
ZJU_QUERY = {"parseType": "bulidstatic", "webId": "3630", "tplSetId": "5HrZiFGOR8vHklhTYqM4B",
             "pageType": "column", "tagId": "当前栏目list", "editType": "null", "pageId": ZJU_COL}
ZJU_PAGE_SIZE = 4   # the unit's own page size: page 1 is asked without one
ZJU_ROWS: list[tuple[str, str, Optional[Callable[[], tuple[bytes, str]]]]] = [
    (f"/art/2024/1/30/art_{ZJU_COL}_5001.html", "永康市人民政府2023年政府信息公开工作年度报告",
     lambda: (wrapper_page("永康市人民政府2023年政府信息公开工作年度报告", ZJ_HEADER, []), UTF8)),
    (f"/art/2024/1/10/art_{ZJU_COL}_5002.html", "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", None),
    (f"/art/2023/6/1/art_{ZJU_COL}_5003.html", "永康市2023年政务公开工作要点", None),
    (f"/art/2023/3/1/art_{ZJU_COL}_5004.html", "永康市政府信息公开指南", None),
    # page 2
    (f"/art/2022/1/26/art_{ZJU_COL}_5005.html", "某某区人民政府2021年政府信息公开工作年度报告",
     lambda: (fixture("html/gb2312-meta-2021.html"), "text/html")),
    (f"/art/2022/1/20/art_{ZJU_COL}_5006.html", "威县人民政府办公室2021年政府信息公开工作年度报告",
     lambda: (fixture("html/hebei-oneline-2021.html"), "text/html")),
    (f"/art/2021/6/1/art_{ZJU_COL}_5007.html", "永康市2021年政务公开工作要点", None),
    (f"/art/2021/3/1/art_{ZJU_COL}_5008.html", "永康市依申请公开办理流程", None),
    # page 3 (not full: the last)
    (f"/art/2020/1/20/art_{ZJU_COL}_5009.html", "上海市某某区人民政府办公室2019年政府信息公开工作年度报告",
     lambda: (fixture("html/shanghai-blanks-2019.html"), "text/html")),
]


def zj_unit_column(hit: Hit) -> Answer:
    query = json.dumps(ZJU_QUERY, ensure_ascii=False).replace('"', "'")
    body = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="SiteName" content="永康市人民政府">
<meta name="ColumnName" content="政府信息公开年报"><meta name="ColumnType" content="政府信息公开年报">
<title>政府信息公开年报_永康市人民政府</title></head>
<body><div class="top"><a href="/">首页</a><a href="/col/col1229696001/index.html">政务公开</a></div>
<div class="main"><div id="unit-list"></div>
<script src="/AuthorizedRead/unitbuild.js" url="{ZJU_API}" queryData="{query}"></script>
</div></body></html>"""
    return Answer(200, UTF8, body.encode())


def zj_unit_api(site: Site) -> Callable[[Hit], Answer]:
    def route(hit: Hit) -> Answer:
        q = dict(hit.query)
        site.asked.append(dict(q))
        paging = json.loads(q.pop("paramJson", "") or "{}")
        if q != ZJU_QUERY:
            return Answer(200, "application/json;charset=UTF-8",
                          b'{"success":false,"code":"500","data":null}')
        page, size = int(paging.get("pageNo") or 1), int(paging.get("pageSize") or ZJU_PAGE_SIZE)
        rows = "".join(f'<li><a href="{p}" title="{esc(t)}" target="_blank">{esc(t[:20])}</a>'
                       f'<span>{"-".join(p.split("/")[2:5])}</span></li>'
                       for p, t, _ in ZJU_ROWS[(page - 1) * size: page * size])
        data = {"success": True, "code": "200",
                "data": {"html": f'<ul class="list">{rows}</ul>' if rows else ""}}
        return Answer(200, "application/json;charset=UTF-8",
                      json.dumps(data, ensure_ascii=False).encode())
    return route


def zj_unit_site() -> Site:
    site = Site(
        key="zjunit", code="330784", name="永康市", province="浙江省", prefecture="金华市",
        platform="hanweb", column=ZJU_COLUMN,
        reports={p: t for p, t, body in ZJU_ROWS if body is not None},
        not_reports=[p for p, _, body in ZJU_ROWS if body is None],
        first_pages=[ZJU_COLUMN])
    site.routes = {ZJU_COLUMN: zj_unit_column, ZJU_API: zj_unit_api(site)}
    for path, _, body in ZJU_ROWS:
        if body is not None:
            site.routes[path] = static(*body())
    return site


# --- Hanweb with encrypted dataproxy parameters: only page 1 can be read ------------------------

ENC_COL = "1229088888"
ENC_COLUMN = f"/col/col{ENC_COL}/index.html"
# Opaque blobs where other jpaas sites write numbers (national ministries' sites, portals.md §2).
ENC_GROUP = ("/module/web/jpage/dataproxy.jsp?page=1&webid=aGFud2ViMTIz&path=/"
             "&columnid=bkFRMzRvOHpYZUU9&unitid=dU1Kb3ZwR2xJcW89&permissiontype=0")
ENC_ROWS = [
    (f"/art/2024/2/1/art_{ENC_COL}_7001.html", "瑞安市人民政府2023年政府信息公开工作年度报告"),
    (f"/art/2024/1/12/art_{ENC_COL}_7002.html", "瑞安市2024年政务公开工作要点"),
    (f"/art/2023/2/1/art_{ENC_COL}_7003.html", "瑞安市人民政府2022年政府信息公开工作年度报告"),
]
ENC_TOTAL = 9


def encrypted_column(hit: Hit) -> Answer:
    rows = "\n".join(_hw_record(p, t) for p, t in ENC_ROWS)
    body = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="ColumnName" content="政府信息公开年报">
<title>政府信息公开年报_瑞安市人民政府</title></head>
<body><div class="nav"><a href="/">首页</a></div>
<div id="pagelist"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="{ENC_GROUP}"></a>]]></nextgroup>
<recordset>
{rows}
</recordset></datastore></script></div>
<script>$('#pagelist').jpage({{ dataStore: dataStore, perPage: 3, totalRecord: {ENC_TOTAL},
  proxyUrl: '/module/web/jpage/dataproxy.jsp', barPosition: 'bottom' }});</script>
</body></html>"""
    return Answer(200, UTF8, body.encode())


def encrypted_site() -> Site:
    p = [path for path, _ in ENC_ROWS]
    site = Site(
        key="encrypted", code="330381", name="瑞安市", province="浙江省", prefecture="温州市",
        platform="hanweb", column=ENC_COLUMN, reports={p[0]: ENC_ROWS[0][1], p[2]: ENC_ROWS[2][1]},
        not_reports=[p[1]], first_pages=[ENC_COLUMN], never=[ENC_GROUP])
    site.routes = {
        ENC_COLUMN: encrypted_column,
        # Replayed without the script's fresh parameters, the proxy answers an empty datastore.
        "/module/web/jpage/dataproxy.jsp": static(b"<datastore><recordset></recordset></datastore>",
                                                  "text/xml;charset=UTF-8"),
        p[0]: static(wrapper_page(ENC_ROWS[0][1], ZJ_HEADER, [])),
        p[2]: static(fixture("html/shanghai-blanks-2019.html")),
    }
    return site


def build_paging_sites() -> dict[str, Site]:
    """The portals whose later list pages need a platform's own channel (issue 4)."""
    return {s.key: s for s in (fujian_site(), zj_unit_site(), encrypted_site())}


def build_sites() -> dict[str, Site]:
    return {s.key: s for s in (hanweb_site(), jiangxi_site(), gkmlpt_site(), vsb_site())}


def start_sites(build: Callable[[], dict[str, Site]] = build_sites) -> dict[str, Site]:
    sites = build()
    for site in sites.values():
        site.portal = MockPortal(site_dir=None, routes=site.routes).start()
    return sites


def stop_sites(sites: dict[str, Site]) -> None:
    for site in sites.values():
        if site.portal is not None:
            site.portal.stop()


def registry_csv(sites: dict[str, Site], path: Path) -> Path:
    """The registry rows of these sites (loopback named in allowed_hosts, as it must be)."""
    lines = ["code,name,province,prefecture,platform,column_url,allowed_hosts,note"]
    lines += [f"{s.code},{s.name},{s.province},{s.prefecture},{s.platform},{s.column_url},127.0.0.1,"
              f"simulated {s.key} portal" for s in sites.values()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
