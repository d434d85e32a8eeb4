"""Rebuild the simulated portal's files (govreports/demo_site/site/ and manifest.json).

Run from the repository root: `.venv/bin/python govreports/demo_site/build_site.py`.
The output is kept in the repository, so the demo and the tests never run this; it exists so
the synthetic pages can be changed and regenerated rather than edited by hand.

Real documents are copied byte for byte (the two Pingtan pages, the Hongze PDF). The other
report pages are built here in TRS markup from real report text: 贵溪市 2019 from the numbers
and prose of tests/fixtures/real/guixi-2019-annual-report.txt (written as GBK bytes, served as
`text/html; charset=GBK`), 平潭县 2011/2012 from the archive's page text. List pages, the
政务公开 page, the anti-bot answer and robots.txt are synthetic.
"""
from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
ROOT = HERE.parents[1]
REAL = ROOT / "tests" / "fixtures" / "real"
COLUMN = "/zwgk/zfxxgk/zfxxgknb/"
SITE_NAME = "govreports 演示门户（模拟 TRS 站点）"

manifest: dict[str, dict] = {}


def put(url_path: str, data: bytes, content_type: str, status: int = 200, note: str = "") -> None:
    rel = url_path.lstrip("/")
    if rel.endswith("/") or not rel:
        rel += "index.html"
    target = SITE / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    entry = {"file": rel, "content_type": content_type, "status": status}
    if note:
        entry["note"] = note
    manifest["/" + rel] = entry


def esc(text: str) -> str:
    return html.escape(text, quote=True)


# --- TRS page chrome -----------------------------------------------------------------------

def trs_page(title: str, body: str, charset: str = "utf-8", pub_date: str = "",
             author: str = "", source: str = "", header_table: str = "",
             after_content: str = "") -> str:
    metas = [f'<meta name="SiteName" content="{esc(SITE_NAME)}"/>',
             '<meta name="ColumnName" content="政府信息公开年报"/>',
             '<meta name="ColumnType" content="政府信息公开年报"/>',
             f'<meta name="ArticleTitle" content="{esc(title)}"/>']
    if pub_date:
        metas.append(f'<meta name="PubDate" content="{pub_date}"/>')
    metas.append(f'<meta name="ContentSource" content="{esc(source)}"/>')
    metas.append(f'<meta name="Author" content="{esc(author)}"/>')
    date_line = f"<span>时间：{pub_date[:10]}</span>" if pub_date else ""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
{chr(10).join(metas)}
<title>{esc(title)}_政府信息公开年报_{esc(SITE_NAME)}</title>
<link rel="stylesheet" type="text/css" href="/images/trt_ui_v2.css" />
</head>
<body>
<div class="header"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<div class="position">当前位置：<a href="/">首页</a>&nbsp;&gt;&nbsp;<a href="/zwgk/">政务公开</a>&nbsp;&gt;&nbsp;<a href="{COLUMN}" class="CurrChnlCls">政府信息公开年报</a></div>
<div class="article">
{header_table}
<h1 class="article_title">{esc(title)}</h1>
<div class="article_info"><span class="article_source">来源：{esc(source)}</span>{date_line}</div>
<div class="article_content">
<div class="TRS_Editor">
{body}
</div>
</div>
{after_content}
</div>
<div class="footer"><p>{esc(SITE_NAME)} 仅供离线演示</p></div>
</body>
</html>
"""


def para(text: str, heading: bool = False) -> str:
    font = "黑体" if heading else "仿宋_GB2312"
    return (f'<p class="MsoNormal" style="text-indent:32.0pt;line-height:28.0pt">'
            f'<span style="font-family: {font}; font-size: 16pt">{esc(text)}</span></p>')


def td(content, colspan: int = 1, rowspan: int = 1, width: int = 0) -> str:
    """A Word-pasted cell: inline borders, the text in <p><span>, &nbsp; for an empty cell, and
    a header that Word wrapped (given as a list) split over several <p>."""
    parts = content if isinstance(content, list) else [content]
    ps = "".join(
        f'<p class="MsoNormal" align="center" style="text-align:center">'
        f'<span style="font-family:仿宋_GB2312;font-size:12.0pt">'
        f'{esc(p) if p else "&nbsp;"}</span></p>' for p in parts)
    attrs = ""
    if colspan > 1:
        attrs += f' colspan="{colspan}"'
    if rowspan > 1:
        attrs += f' rowspan="{rowspan}"'
    if width:
        attrs += f' width="{width}"'
    return (f'<td{attrs} valign="center" style="border:1.0000pt outset windowtext;'
            f'padding:0.0000pt 5.4000pt">{ps}</td>')


def table(rows: list[list[str]]) -> str:
    body = "\n".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    return ('<div align="center"><table border="1" cellspacing="0" style="border-collapse:'
            'collapse;border:none;mso-border-insideh:0.7500pt outset windowtext;">'
            f"<tbody>\n{body}\n</tbody></table></div>")


# --- 贵溪市 2019, GBK --------------------------------------------------------------------------

GUIXI_TITLE = "贵溪市人民政府2019年政府信息公开工作年度报告"


def guixi_page() -> bytes:
    lines = [l.strip() for l in (REAL / "guixi-2019-annual-report.txt").read_text(
        encoding="utf-8").splitlines()]
    start = lines.index("一、总体情况")
    end2 = lines.index("二、主动公开政府信息情况")
    start5 = lines.index("五、存在的主要问题及改进情况")

    def prose(chunk: list[str]) -> str:
        out = []
        for l in chunk:
            if not l:
                continue
            heading = bool(re.match(r"^[一二三四五六]、", l)) or bool(re.match(r"^\([一二三四五]\)", l))
            out.append(para(l, heading=heading))
        return "\n".join(out)

    # Table 二, 2019 form, numbers as published (规章 left empty by the report).
    hdr_made = [td("信息内容"), td(["本年新", "制作数量"]), td(["本年新", "公开数量"]),
                td(["对外公开", "总数量"])]
    hdr_items = [td("信息内容"), td("上一年项目数量"), td("本年增/减"), td("处理决定数量")]
    t2 = table([
        [td("第二十条第(一)项", colspan=4)], hdr_made,
        [td("规章"), td(""), td(""), td("")],
        [td("规范性文件"), td("533"), td("396"), td("396")],
        [td("第二十条第(五)项", colspan=4)], hdr_items,
        [td("行政许可"), td("613"), td("减12"), td("4850")],
        [td("其他对外管理服务事项"), td("331"), td("减5"), td("158")],
        [td("第二十条第(六)项", colspan=4)], hdr_items,
        [td("行政处罚"), td("5407"), td("增4"), td("2381")],
        [td("行政强制"), td("358"), td("减2"), td("21")],
        [td("第二十条第(八)项", colspan=4)],
        [td("信息内容"), td("上一年项目数量"), td("本年增/减", colspan=2)],
        [td("行政事业性收费"), td("115"), td("减44", colspan=2)],
        [td("第二十条第(九)项", colspan=4)],
        [td("信息内容"), td("采购项目数量"), td("采购总金额", colspan=2)],
        [td("政府集中采购"), td("180"), td("26321.25万元", colspan=2)],
    ])

    # Table 三: the form's 3-row header, a rowspan=20 block for 三、本年度办理结果, and the
    # report's own defect kept: 8.属于行政查询事项 has 6 numbers for 7 columns.
    def nums(*values: str) -> list[str]:
        return [td(v) for v in values]

    zeros = ["0"] * 7
    t3_rows = [
        [td("(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", colspan=3, rowspan=3),
         td("申请人情况", colspan=7)],
        [td("自然人", rowspan=2), td("法人或其他组织", colspan=5), td("总计", rowspan=2)],
        [td(["商业", "企业"]), td(["科研", "机构"]), td(["社会公益", "组织"]),
         td(["法律服务", "机构"]), td("其他")],
        [td("一、本年新收政府信息公开申请数量", colspan=3), *nums("64", "4", "0", "0", "0", "1", "69")],
        [td("二、上年结转政府信息公开申请数量", colspan=3), *nums("4", "0", "0", "0", "0", "0", "4")],
        [td("三、本年度办理结果", rowspan=20), td("(一)予以公开", colspan=2),
         *nums("56", "4", "0", "0", "0", "1", "61")],
        [td("(二)部分公开(区分处理的,只计这一情形,不计其他情形)", colspan=2),
         *nums("3", "0", "0", "0", "0", "0", "3")],
    ]
    withheld = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”",
                "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
                "7.属于行政执法案卷", "8.属于行政查询事项"]
    withheld_values = [zeros] * 6 + [["1", "0", "0", "0", "0", "0", "1"], ["0"] * 6]
    for i, (label, values) in enumerate(zip(withheld, withheld_values)):
        lead = [td("(三)不予公开", rowspan=8)] if i == 0 else []
        t3_rows.append([*lead, td(label), *nums(*values)])
    for i, label in enumerate(["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
                               "3.补正后申请内容仍不明确"]):
        lead = [td("(四)无法提供", rowspan=3)] if i == 0 else []
        t3_rows.append([*lead, td(label), *nums(*zeros)])
    for i, label in enumerate(["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
                               "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息"]):
        lead = [td("(五)不予处理", rowspan=5)] if i == 0 else []
        t3_rows.append([*lead, td(label), *nums(*zeros)])
    t3_rows += [
        [td("(六)其他处理", colspan=2), *nums("7", "0", "0", "0", "0", "0", "7")],
        [td("(七)总计", colspan=2), *nums("72", "0", "0", "0", "0", "0", "72")],
        [td("四、结转下年度继续办理", colspan=3), *nums("1", "0", "0", "0", "0", "0", "1")],
    ]
    t3 = table(t3_rows)

    # Table 四: 15 columns, of which the report published 5.
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    t4 = table([
        [td("行政复议", colspan=5), td("行政诉讼", colspan=10)],
        [*[td(["结果", o[2:]] if o != "总计" else o, rowspan=2) for o in outcomes],
         td("未经复议直接起诉", colspan=5), td("复议后起诉", colspan=5)],
        [*[td(o) for o in outcomes], *[td(o) for o in outcomes]],
        nums("0", "0", "0", "0", "0"),
    ])

    header_table = (
        '<table class="xxgk_table" width="100%"><tbody>'
        "<tr><td><b>索&nbsp;&nbsp;引&nbsp;&nbsp;号:</b></td><td>Y01000/2020-14842</td>"
        "<td><b>发文机关:</b></td><td>贵溪市人民政府</td></tr>"
        "<tr><td><b>文&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;号:</b></td><td></td>"
        "<td><b>主题分类:</b></td><td>市场监管、安全生产监管</td></tr>"
        "<tr><td><b>组配分类:</b></td><td>信息公开年报</td>"
        "<td><b>成文日期:</b></td><td>2020-01-16</td></tr>"
        "</tbody></table>")
    body = "\n".join([
        prose(lines[start:end2]),
        para("二、主动公开政府信息情况", heading=True), t2,
        para("三、收到和处理政府信息公开申请情况", heading=True), t3,
        para("四、政府信息公开行政复议、行政诉讼情况", heading=True), t4,
        prose(lines[start5:]),
    ])
    page = trs_page(GUIXI_TITLE, body, charset="gbk", pub_date="2020-01-16 00:00",
                    author="贵溪市人民政府", source="贵溪市人民政府", header_table=header_table)
    return page.encode("gbk")  # strict: a character outside GBK is a build error


# --- 平潭县 2011 / 2012 from the archive's page text -----------------------------------------

def archive_page(name: str) -> tuple[str, str, bytes]:
    text = (REAL / name).read_text(encoding="utf-8")
    head, _, body_text = text.partition("==================== 正文 ====================")
    meta = dict(l.split(": ", 1) for l in head.splitlines() if ": " in l)
    title = meta["标题"]
    body_text = body_text.strip()
    if body_text.startswith(title):
        body_text = body_text[len(title):].strip()
    # The archive flattened the page; paragraphs start again at its numbered headings.
    chunks = re.split(r"\s*(?=(?:[一二三四五六]、|（[一二三四五六]）|附件1：))", body_text)
    body = "\n".join(para(c.strip(), heading=bool(re.match(r"^[一二三四五六]、", c)))
                     for c in chunks if c.strip())
    page = trs_page(title, body, pub_date=meta.get("发布时间", ""),
                    author=meta.get("发布机构", ""), source=meta.get("发布机构", ""))
    return title, urlpath_of(meta["原文链接"]), page.encode("utf-8")


def urlpath_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# --- 洪泽区 2023: a page whose report is a PDF attachment ------------------------------------

HONGZE_TITLE = "洪泽区人民政府2023年政府信息公开工作年度报告"
HONGZE_PAGE = COLUMN + "202402/t20240226_93001.htm"
HONGZE_PDF = COLUMN + "202402/P020240226593718205437.pdf"


def hongze_page() -> bytes:
    body = para(f"《{HONGZE_TITLE}》全文见附件。")
    # TRS puts the attachment list after the editor area, not inside it.
    attach = ('<div class="fj"><p>附件：<a href="./P020240226593718205437.pdf" '
              f'OLDSRC="/protect/P0202402/P020240226593718205437.pdf">{HONGZE_TITLE}.pdf</a></p></div>')
    return trs_page(HONGZE_TITLE, body, author="洪泽区人民政府办公室",
                    source="洪泽区人民政府办公室", after_content=attach).encode("utf-8")


# --- list pages, 政务公开 page, robots, WAF ---------------------------------------------------

WAF_PAGE = COLUMN + "202301/t20230131_91001.htm"
PREVIEW_PAGE = "/preview/t20220207_80600.htm"
MIRROR = "http://127.0.0.2" + COLUMN + "202202/t20220208_80613.htm"
PT2021 = COLUMN + "202202/t20220208_80613.htm"
PT2019 = COLUMN + "202001/t20200120_80576.htm"
GUIXI = COLUMN + "202001/t20200116_14842.htm"


def li(href: str, text_html: str, date: str, title_attr: str = "") -> str:
    t = f' title="{esc(title_attr)}"' if title_attr else ""
    return (f'<li><a href="{href}" target="_blank"{t}>{text_html}</a>'
            f'<span class="date">{date}</span></li>')


def list_page(n: int, total: int, items: list[str]) -> bytes:
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8" />
<meta name="SiteName" content="{esc(SITE_NAME)}"/>
<meta name="ColumnName" content="政府信息公开年报"/>
<meta name="ColumnType" content="政府信息公开年报"/>
<title>政府信息公开年报_{esc(SITE_NAME)}</title>
<script type="text/javascript" src="/images/createPageHTML.js"></script>
</head>
<body>
<div class="header"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<div class="position">当前位置：<a href="/">首页</a>&nbsp;&gt;&nbsp;<a href="/zwgk/">政务公开</a>&nbsp;&gt;&nbsp;<a href="./" class="CurrChnlCls">政府信息公开年报</a></div>
<div class="list_con">
<ul class="list_base">
{chr(10).join(items)}
</ul>
<div class="page" id="page_div"><script type="text/javascript">createPageHTML({total}, {n}, "index", "html");</script></div>
</div>
<div class="footer"><p>{esc(SITE_NAME)} 仅供离线演示</p></div>
</body>
</html>
""".encode("utf-8")


def main() -> None:
    if SITE.exists():
        shutil.rmtree(SITE)
    SITE.mkdir()

    put("/robots.txt", b"User-agent: *\nDisallow: /preview/\n", "text/plain; charset=utf-8",
        note="synthetic: allows the crawl, forbids /preview/ (a listed page the crawl must not fetch)")
    put("/", f"""<!DOCTYPE html><html><head><meta charset="utf-8"/><title>{esc(SITE_NAME)}</title></head>
<body><h1>{esc(SITE_NAME)}</h1><ul><li><a href="/zwgk/">政务公开</a></li><li><a href="/bsfw/">办事服务</a></li></ul></body></html>
""".encode("utf-8"), "text/html; charset=utf-8", note="synthetic home page")
    put("/zwgk/", f"""<!DOCTYPE html><html><head><meta charset="utf-8"/><title>政务公开_{esc(SITE_NAME)}</title></head>
<body><div class="position">当前位置：<a href="/">首页</a> &gt; 政务公开</div>
<div class="zwgk_nav"><ul>
<li><a href="/zwgk/zfxxgk/zfxxgkzn/">政府信息公开指南</a></li>
<li><a href="/zwgk/zfxxgk/zfxxgkzd/">政府信息公开制度</a></li>
<li><a href="/zwgk/zfxxgk/fdzdgknr/">法定主动公开内容</a></li>
<li><a href="{COLUMN}">政府信息<br/>公开年报</a></li>
<li><a href="/zwgk/zfxxgk/ysqgk/">依申请公开</a></li>
</ul></div></body></html>
""".encode("utf-8"), "text/html; charset=utf-8",
        note="synthetic 政务公开 page: the generic adapter finds the 年报 column here by its link text")

    pt2021 = (REAL / "pingtan-2021.html").read_bytes()
    pt2019 = (REAL / "pingtan-2019.html").read_bytes()
    put(PT2021, pt2021, "text/html",
        note="real page: https://www.pingtan.gov.cn" + PT2021 + " (changwu/pingtan-gov-zwgk-archive)")
    put(PT2019, pt2019, "text/html",
        note="real page: https://www.pingtan.gov.cn" + PT2019 + " (changwu/pingtan-gov-zwgk-archive)")
    put(GUIXI, guixi_page(), "text/html; charset=GBK",
        note="built in TRS markup from the real 贵溪市 2019 report text; GBK bytes")
    put(HONGZE_PAGE, hongze_page(), "text/html; charset=utf-8",
        note="synthetic wrapper page around the real 洪泽区 2023 PDF")
    put(HONGZE_PDF, (REAL / "huaian-hongze-2023.pdf").read_bytes(), "application/pdf",
        note="real PDF (zxj6827111-blip/KIROGOVCOMPARE), the 洪泽区 2023 report")
    archived = []
    for name in ("pingtan-county-2012-archive-text.txt", "pingtan-county-2011-archive-text.txt"):
        title, path, data = archive_page(name)
        put(path, data, "text/html; charset=utf-8",
            note=f"built in TRS markup from the archive's page text ({name})")
        archived.append((title, path))
    put(WAF_PAGE, b"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta http-equiv="Pragma" content="no-cache"><meta http-equiv="Expires" content="0"><script type="text/javascript">$_ts=window['$_ts'];if(!$_ts)$_ts=window['$_ts']={};$_ts.nsd=84706;$_ts.cd="qxcrrrQlDqGlcGAmqGlcrsQlDqGlcGAmqGlcrsQlDq";</script><script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js" r='m'></script></head><body></body></html>""",
        "text/html; charset=utf-8", status=412,
        note="synthetic 瑞数-style anti-bot answer: HTTP 412 with an inline $_ts script")

    (t2012, p2012), (t2011, p2011) = archived
    pages = [
        [li("./202402/t20240226_93001.htm", "洪泽区人民政府2023年<br/>政府信息公开工作年度报告", "2024-02-26"),
         li("./202301/t20230131_91001.htm", "平潭综合实验区2022年度政府信息公开工作年度报告", "2023-01-31"),
         li("./202204/t20220401_91002.htm", "关于印发《2022年政务公开工作要点》的通知", "2022-04-01"),
         li(MIRROR, "平潭综合实验区2021年度政府信息公开工作年度报告（镜像）", "2022-02-08")],
        [li("./202202/t20220208_80613.htm", "平潭综合实验区2021年度政府信息公开工作年度报告", "2022-02-08"),
         li("./202112/t20211220_91003.htm", "关于做好2021年度政府信息公开工作年度报告编制发布工作的通知", "2021-12-20"),
         li("./202001/t20200120_80576.htm", "平潭综合实验区2019年度政府信息公开工作年度报告", "2020-01-20"),
         li("./202001/t20200116_14842.htm", GUIXI_TITLE, "2020-01-16"),
         li(PREVIEW_PAGE, "平潭综合实验区2021年度政府信息公开工作年度报告（预览稿）", "2022-02-07")],
        # A TRS list shifts when a report is added: page 3 repeats the last row of page 2.
        [li("./202202/t20220208_80613.htm", "平潭综合实验区2021年度政府信息公开工作年度报告", "2022-02-08"),
         li("." + p2012[len(COLUMN) - 1:], esc(t2012), "2013-01-17"),
         li("." + p2011[len(COLUMN) - 1:], esc(t2011[:20]) + "…", "2012-04-18", title_attr=t2011)],
    ]
    for n, items in enumerate(pages):
        put(COLUMN + ("index.html" if n == 0 else f"index_{n}.html"),
            list_page(n, len(pages), items), "text/html; charset=utf-8",
            note=f"synthetic TRS list page {n + 1} of {len(pages)} (createPageHTML)")

    (HERE / "manifest.json").write_text(json.dumps({
        "_about": "The simulated portal's files: URL path -> file under site/, the Content-Type "
                  "sent with it (bytes are served as stored, so GBK stays GBK) and the status. "
                  "Rebuilt by build_site.py.",
        "column": COLUMN,
        "reports": {
            PT2021: "平潭综合实验区2021年度政府信息公开工作年度报告",
            PT2019: "平潭综合实验区2019年度政府信息公开工作年度报告",
            GUIXI: GUIXI_TITLE,
            HONGZE_PAGE: HONGZE_TITLE,
            p2012: t2012,
            p2011: t2011,
        },
        "attachments": {HONGZE_PAGE: [HONGZE_PDF]},
        "blocked": [WAF_PAGE],
        "robots_disallowed": [PREVIEW_PAGE],
        "not_reports": [COLUMN + "202204/t20220401_91002.htm", COLUMN + "202112/t20211220_91003.htm"],
        "offsite": [MIRROR],
        "pages": manifest,
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
