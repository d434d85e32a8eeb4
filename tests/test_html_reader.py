"""The HTML reader on synthetic pages modelled on real portals (tests/fixtures/html, raw bytes plus
the headers that matter): encodings, the merges of the official tables, blanks, split tables, added
rows, header layouts of TRS / Hanweb / Hebei / VSB, image-only and 全真版 pages.

Expected values are written below as the pages publish them (space-separated, `_` for an empty
cell); every cell is asserted by its labels, never by its position in the page.
"""
import re
from decimal import Decimal

import pytest

from govreports.documents import CELL, PARA, ROW_END, TABLE_END, read_document
from govreports.items import ReportPage
from govreports.parse import parse_page, read
from tests.fixture_pages import FIXTURES, load_page, parse_fixture

COLS = ("natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total")
APPEAL_KEYS = [f"{b}_{o}" for b in ("review", "suit_direct", "suit_after_review")
               for o in ("upheld", "corrected", "other", "pending", "total")]
COLS_2019 = {"regulations": ("made", "published", "total_published"),
             "normative_documents": ("made", "published", "total_published"),
             "licensing": ("prev_year_items", "change", "decisions"),
             "other_services": ("prev_year_items", "change", "decisions"),
             "penalty": ("prev_year_items", "change", "decisions"),
             "coercion": ("prev_year_items", "change", "decisions"),
             "fees": ("prev_year_items", "change"), "procurement": ("items", "amount_wan_yuan")}
COLS_2021 = {"regulations": ("issued", "repealed", "in_force"),
             "normative_documents": ("issued", "repealed", "in_force"),
             "licensing": ("decisions",), "penalty": ("decisions",), "coercion": ("decisions",),
             "fees": ("amount_wan_yuan",)}
# Raw cells whose value is not simply the integer written.
VALUES = {"减3": -3, "增2": 2, "-1": -1, "26.5万元": Decimal("26.5"), "251000元": Decimal("25.1"),
          "88.25": Decimal("88.25"), "": None}


def raws(spec: str) -> list[str]:
    return ["" if x == "_" else x for x in spec.split()]


def value(raw: str):
    return VALUES[raw] if raw in VALUES else int(raw)


# ---------------------------------------------------------------- the pages' tables
ACTIVE_A = {"regulations": "1 1 5", "normative_documents": "12 11 130", "licensing": "210 减3 1500",
            "other_services": "40 增2 300", "penalty": "900 0 75", "coercion": "30 0 4",
            "fees": "15 -1", "procurement": "12 26.5万元"}
REQUESTS_A = {
    "new": "40 5 2 1 3 4 55", "carried_over": "2 1 0 0 0 0 3",
    "disclosed": "20 3 1 0 2 1 27", "partly_disclosed": "4 1 0 1 0 0 6",
    "withheld_state_secret": "1 0 0 0 0 0 1", "withheld_law": "1 0 0 0 0 0 1",
    "withheld_security": "0 0 0 0 0 0 0", "withheld_third_party": "2 0 0 0 0 1 3",
    "withheld_internal": "1 0 0 0 0 0 1", "withheld_process": "1 0 0 0 0 0 1",
    "withheld_enforcement": "1 0 0 0 0 0 1", "withheld_query": "0 0 0 0 0 0 0",
    "unavailable_not_held": "3 1 0 0 0 0 4", "unavailable_needs_creation": "1 0 0 0 0 0 1",
    "unavailable_unclear": "1 0 1 0 0 0 2",
    "rejected_petition": "1 0 0 0 0 0 1", "rejected_repeat": "1 0 0 0 1 0 2",
    "rejected_publication": "0 0 0 0 0 0 0", "rejected_abusive": "0 0 0 0 0 0 0",
    "rejected_confirmation": "1 0 0 0 0 0 1",
    "other": "2 1 0 0 0 1 4", "total": "41 6 2 1 3 3 56", "carried_forward": "1 0 0 0 0 1 2"}
APPEALS_A = "1 0 1 0 2 0 1 0 1 2 1 0 0 0 1"

ACTIVE_C = {"regulations": "0 0 2", "normative_documents": "8 1 96", "licensing": "3400",
            "penalty": "512", "coercion": "7", "fees": "88.25"}
REQUESTS_C = {
    "new": "30 2 1 0 1 1 35", "carried_over": "3 0 0 0 0 0 3",
    "disclosed": "15 1 0 0 0 1 17", "partly_disclosed": "3 0 1 0 0 0 4",
    "withheld_state_secret": "0 0 0 0 0 0 0", "withheld_law": "0 0 0 0 0 0 0",
    "withheld_security": "1 0 0 0 0 0 1", "withheld_third_party": "1 0 0 0 0 0 1",
    "withheld_internal": "0 0 0 0 0 0 0", "withheld_process": "2 0 0 0 0 0 2",
    "withheld_enforcement": "0 0 0 0 0 0 0", "withheld_query": "1 0 0 0 0 0 1",
    "unavailable_not_held": "4 1 0 0 0 0 5", "unavailable_needs_creation": "1 0 0 0 0 0 1",
    "unavailable_unclear": "0 0 0 0 0 0 0",
    "rejected_petition": "0 0 0 0 0 0 0", "rejected_repeat": "1 0 0 0 0 0 1",
    "rejected_publication": "0 0 0 0 0 0 0", "rejected_abusive": "0 0 0 0 0 0 0",
    "rejected_confirmation": "0 0 0 0 0 0 0",
    "other_no_correction": "1 0 0 0 0 0 1", "other_unpaid_fee": "0 0 0 0 0 0 0",
    "other_misc": "1 0 0 0 1 0 2", "total": "31 2 1 0 1 1 36", "carried_forward": "2 0 0 0 0 0 2"}
APPEALS_C = "0 1 0 0 1 2 0 1 0 3 0 0 0 1 1"

ACTIVE_D = {"regulations": "2 2 39", "normative_documents": "15 15 276", "licensing": "150 _ 21000",
            "other_services": "33 _ 410", "penalty": "210 _ 5200", "coercion": "18 _ 60",
            "fees": "6 _", "procurement": "3 251000元"}
_BLANK = "_ _ _ _ _ _ _"
REQUESTS_D = {row: _BLANK for row in REQUESTS_A}
REQUESTS_D.update({
    "new": "800 40 5 2 3 9 859", "carried_over": "18 _ _ _ _ _ 18",
    "disclosed": "258 12 1 1 _ _ _", "partly_disclosed": "20 _ _ _ _ _ 20",
    "withheld_third_party": "30 2 _ _ _ _ 32", "unavailable_not_held": "200 10 _ _ _ 1 211",
    "rejected_repeat": "5 _ _ _ _ _ 5", "total": "760 30 2 1 3 9 805",
    "carried_forward": "58 _ _ _ _ _ 72"})
APPEALS_D = "5 1 1 _ 7 6 _ 3 _ 9 _ _ _ _ _"

PAGES = {  # fixture: (era, table 二, table 三, table 四)
    "trs-2019-gbk.html": ("2019", ACTIVE_A, REQUESTS_A, APPEALS_A),
    "jiangsu-hanweb-2020.html": ("2019", ACTIVE_A, REQUESTS_A, APPEALS_A),
    "shanghai-blanks-2019.html": ("2019", ACTIVE_D, REQUESTS_D, APPEALS_D),
    "gb2312-meta-2021.html": ("2021", ACTIVE_C, REQUESTS_C, APPEALS_C),
    "hebei-oneline-2021.html": ("2021", ACTIVE_C, REQUESTS_C, APPEALS_C),
    "shaanxi-vsb-2021.html": ("2021", ACTIVE_C, REQUESTS_C, APPEALS_C),
}
RESULTS = {name: parse_fixture(name, "html") for name in PAGES}


def table_cells(r):
    """The cells read from the tables (figures stated in the prose are another extractor's)."""
    return [c for c in r.cells if c.origin == "table"]


def expected_cells(name):
    era, active, requests, appeals = PAGES[name]
    columns = COLS_2019 if era == "2019" else COLS_2021
    out = {}
    for row, spec in active.items():
        out.update({("active", row, col): raw for col, raw in zip(columns[row], raws(spec), strict=True)})
    for row, spec in requests.items():
        out.update({("requests", row, col): raw for col, raw in zip(COLS, raws(spec), strict=True)})
    out.update({("appeals", "all", col): raw for col, raw in zip(APPEAL_KEYS, raws(appeals), strict=True)})
    return out


ROWS = [(name, table, row) for name in PAGES for (table, row) in
        sorted({(t, r) for t, r, _ in expected_cells(name)})]


@pytest.mark.parametrize("name,table,row", ROWS)
def test_row_by_label(name, table, row):
    r = RESULTS[name]
    expected = {col: raw for (t, rw, col), raw in expected_cells(name).items() if (t, rw) == (table, row)}
    got = {c.col: (c.value, c.raw) for c in r.cells if (c.table, c.row) == (table, row)}
    assert got == {col: (value(raw), raw) for col, raw in expected.items()}
    assert not any(c.inferred for c in r.cells if (c.table, c.row) == (table, row))


@pytest.mark.parametrize("name", PAGES)
def test_no_cell_beyond_the_published_ones(name):
    r = RESULTS[name]
    assert {(c.table, c.row, c.col) for c in table_cells(r)} == set(expected_cells(name))
    assert len(table_cells(r)) == len(expected_cells(name))
    assert r.template == PAGES[name][0]


HEADINGS = ["总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "政府信息公开行政复议、行政诉讼情况",
            "存在的主要问题及改进情况", "其他需要报告的事项"]


@pytest.mark.parametrize("name", PAGES)
def test_sections_and_no_numbers_in_prose(name):
    r = RESULTS[name]
    headings = [s.heading for s in r.sections]
    if name.startswith("shanghai"):
        headings[4] = headings[4].replace("政府信息公开工作", "")  # §2: heading 五 with extra words
    assert headings == HEADINGS and [s.no for s in r.sections] == [1, 2, 3, 4, 5, 6]
    assert [s.text for s in r.sections[1:4]] == ["", "", ""]


# ---------------------------------------------------------------- encodings
def test_gbk_page_decoded_by_the_header_charset():
    page = load_page("trs-2019-gbk.html", "html")
    assert page.headers["content-type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    r = RESULTS["trs-2019-gbk.html"]
    assert r.source.encoding == "gb18030" and r.source.media_type == "text/html"
    assert r.title == "某某县人民政府2019年政府信息公开工作年度报告"


def test_gb2312_page_decoded_by_its_meta_charset_alone():
    page = load_page("gb2312-meta-2021.html", "html")
    assert "charset" not in page.headers["content-type"] and b'<meta charset="gb2312">' in page.body
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    r = RESULTS["gb2312-meta-2021.html"]
    assert r.source.encoding == "gb18030"
    assert r.title == "某某区人民政府2021年政府信息公开工作年度报告" and r.report_year == 2021


@pytest.mark.parametrize("name,folder,right", [("pingtan-2021.html", "real", "text/html; charset=utf-8"),
                                               ("trs-2019-gbk.html", "html", "text/html; charset=GBK")])
@pytest.mark.parametrize("latin", ["text/html; charset=ISO-8859-1", "text/html;charset=us-ascii"])
def test_a_latin1_header_over_chinese_bytes_is_not_believed(name, folder, right, latin):
    """A server's default charset (Tomcat, Apache) over UTF-8 or GBK bytes: read as the bytes
    are, the same report as under the right header, not mojibake."""
    from govreports.parse import parse_page
    page = load_page(name, folder)
    wrong = ReportPage(url=page.url, body=page.body, headers={"content-type": latin})
    rightly = ReportPage(url=page.url, body=page.body, headers={"content-type": right})
    got, expected = parse_page(wrong), parse_page(rightly)
    assert got.source.encoding == expected.source.encoding != "cp1252"
    assert got.title == expected.title and got.cells == expected.cells and got.cells


@pytest.mark.parametrize("body,content_type,encoding,text", [
    ('<meta charset="gbk"><p>政府信息公开</p>'.encode("gbk"), "text/html; charset=iso-8859-1", "gb18030",
     "政府信息公开"),
    ('<meta charset="iso-8859-1"><p>政府信息公开</p>'.encode("utf-8"), "text/html; charset=iso-8859-1",
     "utf-8", "政府信息公开"),
    (b"<p>Not Found</p>", "text/html; charset=iso-8859-1", "cp1252", "Not Found"),  # ASCII: no doubt
    ("<p>Café</p>".encode("cp1252"), "text/html; charset=utf-8", "utf-8", "Caf")])
def test_decode_doubts_a_latin1_header_only_over_bytes_that_are_not_ascii(body, content_type, encoding, text):
    from govreports.encoding import decode
    decoded, used = decode(body, content_type)
    assert used == encoding and text in decoded


def test_the_spider_reads_a_latin1_page_as_the_parser_does():
    from scrapy.http import HtmlResponse, Request, Response

    from spiders.crawling.charset import LatinCharsetMiddleware
    mw, req = LatinCharsetMiddleware(), Request("http://www.x.gov.cn/nb/")
    body = '<a href="t1.html">平潭综合实验区2021年度政府信息公开工作年度报告</a>'.encode()
    fixed = mw.process_response(req, HtmlResponse(req.url, body=body, headers={
        "Content-Type": "text/html; charset=ISO-8859-1"}))
    assert fixed.encoding == "utf-8" and "平潭综合实验区" in fixed.css("a::text").get()
    ascii_page = HtmlResponse(req.url, body=b"<p>Not Found</p>",
                              headers={"Content-Type": "text/html; charset=ISO-8859-1"})
    assert mw.process_response(req, ascii_page) is ascii_page
    binary = Response(req.url, body="年报".encode(), headers={"Content-Type": "application/pdf"})
    assert mw.process_response(req, binary) is binary


# ---------------------------------------------------------------- TRS 2019 page (A)
def test_trs_page_header_title_warnings_checks():
    r = RESULTS["trs-2019-gbk.html"]
    h = r.header
    # <meta name="ContentSource" content=""> adds nothing; the visible 来源 line gives the issuer.
    assert h.raw == {"发布日期": "2020-01-15 10:05", "来源": "某某县人民政府办公室", "时间": "2020-01-15 10:05"}
    assert (h.issuer, h.published_date, h.index_no, h.written_date) == (
        "某某县人民政府办公室", "2020-01-15", None, None)
    assert r.report_year == 2019 and r.warnings == []
    assert {c.status for c in r.checks} == {"pass"} and len(r.checks) == 7 + 23 + 7 + 3 + 1


def test_word_markup_comments_and_hidden_text_are_not_text():
    r = RESULTS["trs-2019-gbk.html"]
    doc = read(load_page("trs-2019-gbk.html", "html"))
    text = "\n".join(t.text for t in doc.tokens)
    assert "supportLists" not in text and "endif" not in text and "WordDocument" not in text
    assert "草稿" not in text  # <span style="display:none;mso-hide:all">
    assert ".TRS_Editor" not in text  # an inline <style>
    assert r.sections[4].text == "主动公开的深度和广度仍需加强。\n下一步将加强培训。"  # <br/> splits lines
    assert r.sections[5].text == "本年度未收取信息处理费。\n某某县人民政府办公室\n2020年1月15日"
    # The split title at the top of the article is a candidate too, joined.
    assert "某某县人民政府2019年政府信息公开工作年度报告" in doc.title_candidates


def _table_rows(doc, table_no):
    rows, row = [], []
    for t in doc.tokens:
        if t.table_no != table_no:
            continue
        if t.kind == CELL:
            row.append(("^" if t.inherited else "") + t.text)
        elif t.kind == ROW_END:
            rows.append(row)
            row = []
    return rows


def test_requests_header_grid_and_group_cells():
    doc = read(load_page("trs-2019-gbk.html", "html"))
    rows = _table_rows(doc, 1)
    note = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert rows[0] == [note, "申请人情况"]
    # The note (rowspan=3 colspan=3) comes back once per row, not once per column it covers.
    assert rows[1] == ["^" + note, "自然人", "法人或其他组织", "总计"]
    assert rows[2] == ["^" + note, "^自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "^总计"]
    assert rows[3][0] == "一、本年新收政府信息公开申请数量" and len(rows[3]) == 8
    # 三、本年度办理结果 rowspan=20 opens the block; its 20 rows repeat it as inherited.
    block = [r for r in rows if r[0].lstrip("^") == "三、本年度办理结果"]
    assert len(block) == 20 and block[0][0] == "三、本年度办理结果"
    assert all(r[0] == "^三、本年度办理结果" for r in block[1:])
    assert rows[5][:2] == ["三、本年度办理结果", "（一）予以公开"]
    withheld = [r for r in rows if r[1].lstrip("^") == "（三）不予公开"]
    assert len(withheld) == 8 and withheld[1][:3] == ["^三、本年度办理结果", "^（三）不予公开", "2.其他法律行政法规禁止公开"]
    # Own cells per row: label + 7 values, plus the group cell on the row that opens a group.
    own = [len([c for c in r if not c.startswith("^")]) for r in block]
    assert own == [9, 8] + [9] + [8] * 7 + [9, 8, 8] + [9] + [8] * 4 + [8, 8]
    assert rows[-1][0] == "四、结转下年度继续办理"
    kinds = [t.kind for t in doc.tokens if t.table_no == 1]
    assert kinds[-1] == TABLE_END and kinds.count(TABLE_END) == 1


def test_split_header_words_are_one_label():
    doc = read(load_page("trs-2019-gbk.html", "html"))
    cells = [t.text for t in doc.tokens if t.kind == CELL and t.table_no == 0]
    assert "本年新制作数量" in cells and "对外公开总数量" in cells
    appeals = [t.text for t in doc.tokens if t.kind == CELL and t.table_no == 2 and not t.inherited]
    assert appeals[2:7] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def _drop_td(html: str, row_label: str, index: int) -> str:
    """The page with the index-th value <td> of the row labelled row_label left out."""
    start = html.index(row_label)
    row_start, row_end = html.rindex("<tr>", 0, start), html.index("</tr>", start)
    row = html[row_start:row_end]
    tds = list(re.finditer(r"<td\b.*?</td>", row, re.S))
    label_at = next(i for i, m in enumerate(tds) if row_label in m.group())
    victim = tds[label_at + 1 + index]
    row = row[:victim.start()] + row[victim.end():]
    return html[:row_start] + row + html[row_end:]


def _parse_html(html: str, encoding="gbk"):
    return parse_page(ReportPage(url="http://www.mmx.gov.cn/x.htm", body=html.encode(encoding),
                                 headers={"content-type": f"text/html; charset={encoding}"}))


def _trs_html() -> str:
    return (FIXTURES / "html" / "trs-2019-gbk.html").read_bytes().decode("gbk")


def test_a_missing_td_flags_its_row_and_shifts_nothing():
    r = _parse_html(_drop_td(_trs_html(), "（一）予以公开", 1))  # 商业企业's 3 is gone
    assert not [c for c in r.cells if c.row == "disclosed"]
    assert [(w.code, w.where, w.raw) for w in r.warnings] == [
        ("row_incomplete", "requests.disclosed", ["20", "1", "0", "2", "1", "27"])]
    expected = expected_cells("trs-2019-gbk.html")
    got = {(c.table, c.row, c.col): c.raw for c in table_cells(r)}
    assert got == {k: v for k, v in expected.items() if k[1] != "disclosed"}
    status = {c.key: c.status for c in r.checks}
    assert status["requests.outcomes.business"] == "not_assessable"
    assert status["requests.balance.business"] == "pass"
    assert status["requests.row_total.partly_disclosed"] == "pass"


def test_a_missing_total_under_a_rowspan_group_is_inferred_and_flagged():
    # 4.保护第三方合法权益 sits under the （三）不予公开 and 三 group cells; its 总计 3 is gone.
    r = _parse_html(_drop_td(_trs_html(), "4.保护第三方合法权益", 6))
    cells = [r.cell("requests", "withheld_third_party", c) for c in COLS]
    assert [c.value for c in cells] == [2, 0, 0, 0, 0, 1, 3] and all(c.inferred for c in cells)
    assert [(w.code, w.where) for w in r.warnings] == [("row_incomplete", "requests.withheld_third_party")]
    others = {(c.row, c.col): c.raw for c in r.cells if c.table == "requests" and not c.inferred}
    assert others == {(row, col): raw for (t, row, col), raw in expected_cells("trs-2019-gbk.html").items()
                      if t == "requests" and row != "withheld_third_party"}


# ---------------------------------------------------------------- 2021 page (C): split table, 小计
def test_split_table_and_added_row():
    r = RESULTS["gb2312-meta-2021.html"]
    doc = read(load_page("gb2312-meta-2021.html", "html"))
    assert len({t.table_no for t in doc.tokens if t.kind == CELL}) == 4  # 二, 三 in two parts, 四
    (w,) = r.warnings
    assert (w.code, w.where, w.raw) == ("extra_row", "requests.rejected", ["1", "0", "0", "0", "0", "0", "1"])
    assert "小计" in w.message
    assert "other" not in {c.row for c in r.cells}  # （六）其他处理 heads three rows in 2021
    assert {c.status for c in r.checks} == {"pass"} and len(r.checks) == 7 + 25 + 7 + 3 + 1
    h = r.header
    assert h.raw == {"发布日期": "2022-01-26", "来源": "某某区人民政府办公室", "浏览次数": ""}
    assert (h.published_date, h.issuer) == ("2022-01-26", "某某区人民政府办公室")


# ---------------------------------------------------------------- blanks (D)
def test_blank_cells_are_null_and_make_checks_not_assessable():
    r = RESULTS["shanghai-blanks-2019.html"]
    c = r.cell("requests", "disclosed", "total")
    assert (c.value, c.raw) == (None, "")
    assert r.warnings == []
    status = {c.key: c.status for c in r.checks}
    assert status["requests.balance.natural_person"] == "pass"  # 800 + 18 = 760 + 58
    assert status["requests.balance.total"] == "pass"  # 859 + 18 = 805 + 72
    assert status["requests.balance.business"] == "not_assessable"
    assert status["requests.row_total.new"] == "pass"
    assert status["requests.row_total.disclosed"] == "not_assessable"
    assert {status[f"requests.outcomes.{col}"] for col in COLS} == {"not_assessable"}
    assert status["appeals.review_total"] == "not_assessable"
    assert [k for k, s in status.items() if s == "fail"] == []
    # Blank is not zero anywhere: no cell of the page holds a 0 the page did not print.
    assert not [c for c in table_cells(r) if c.value == 0]


def test_header_colspans_that_do_not_match_the_data_rows():
    # 本年新公开数量 colspan=2 in the header, the first value colspan=2 in the rows (§7.6).
    r = RESULTS["shanghai-blanks-2019.html"]
    made = [r.value("active", "regulations", c) for c in ("made", "published", "total_published")]
    assert made == [2, 2, 39]
    assert r.header.published_date == "2020-01-20" and r.title.startswith("上海市某某区")


# ---------------------------------------------------------------- header layouts
def test_jiangsu_hanweb_header_table():
    r = RESULTS["jiangsu-hanweb-2020.html"]
    h = r.header
    assert h.raw == {"索引号": "014416330/2021-00036", "分类": "政府信息公开年报 综合政务,文秘工作 其他",
                     "发布机构": "灌南县人民政府办公室", "发文日期": "2021-01-29", "文号": "", "有效性": "有效",
                     "发布时间": "2021-01-29 16:42", "浏览次数": ""}
    assert (h.index_no, h.issuer, h.written_date, h.published_date, h.doc_no, h.subject, h.category) == (
        "014416330/2021-00036", "灌南县人民政府办公室", "2021-01-29", "2021-01-29", None,
        "政府信息公开年报 综合政务,文秘工作 其他", None)
    assert r.title == "灌南县人民政府办公室2020年政府信息公开工作年度报告" and r.report_year == 2020
    assert r.warnings == [] and {c.status for c in r.checks} == {"pass"}
    doc = read(load_page("jiangsu-hanweb-2020.html", "html"))
    assert not [t for t in doc.tokens if "索引号" in t.text.replace("\u3000", "").replace(" ", "")]
    assert ("http://www.guannan.gov.cn/picture/0/2101291642123.docx",
            "灌南县人民政府办公室2020年政府信息公开工作年度报告.docx") in doc.links


def test_hebei_one_line_header():
    r = RESULTS["hebei-oneline-2021.html"]
    h = r.header
    assert (h.index_no, h.issuer, h.published_date, h.doc_no, h.subject, h.category, h.written_date) == (
        "000226181/2022-13221", "威县人民政府办公室", "2022-01-20", None, "综合政务", "政府信息公开年报", None)
    assert h.raw["文号"] == "" and len(h.raw) == 6
    assert r.title == "威县人民政府办公室2021年政府信息公开工作年度报告"
    assert r.warnings == [] and {c.status for c in r.checks} == {"pass"}


def test_shaanxi_vsb_layout_tables():
    r = RESULTS["shaanxi-vsb-2021.html"]
    h = r.header
    assert h.raw == {"索引号": "11611000016135024T/2022-00012", "发布机构": "商洛市人民政府办公室",
                     "公开目录": "政府信息公开年报", "发布日期": "2022年01月28日",
                     "名称": "商洛市人民政府办公室2021年政府信息公开工作年度报告"}
    assert (h.index_no, h.issuer, h.category, h.published_date) == (
        "11611000016135024T/2022-00012", "商洛市人民政府办公室", "政府信息公开年报", "2022-01-28")
    assert r.title == "商洛市人民政府办公室2021年政府信息公开工作年度报告"
    assert r.warnings == [] and {c.status for c in r.checks} == {"pass"}
    doc = read(load_page("shaanxi-vsb-2021.html", "html"))
    # The one-cell table around the report is a container: its paragraphs are paragraphs.
    paras = [t.text for t in doc.tokens if t.kind == PARA]
    assert paras[0] == "一、总体情况" and paras[-1] == "无。"
    assert len({t.table_no for t in doc.tokens if t.kind == CELL}) == 3
    assert not [t for t in doc.tokens if "当前位置" in t.text or "主办" in t.text]


# ---------------------------------------------------------------- reports without tables
def test_image_only_report():
    r = parse_fixture("image-only-2021.html", "html")
    assert [(w.code, w.where) for w in r.warnings] == [("tables_are_images", "tables")]
    assert "3 image(s)" in r.warnings[0].message  # the 16-pixel print icon is not a page
    assert table_cells(r) == [] and r.checks == [] and r.template == "unknown"
    assert r.title == "某某镇人民政府2021年政府信息公开工作年度报告（图片版）" and r.report_year == 2021
    assert r.header.issuer == "某某镇人民政府"  # <meta name="ContentSource"> is set here


def test_fujian_full_text_viewer_names_the_pdf():
    r = parse_fixture("fujian-qzb-viewer-2022.html", "html")
    pdf = "https://www.mmx.gov.cn/zwgk/zfxxgk/zfxxgknb/202301/P020230118562311872345.pdf"
    assert [(w.code, w.where) for w in r.warnings] == [("pdf_viewer_only", "tables")]
    assert pdf in r.warnings[0].message
    assert table_cells(r) == [] and r.template == "unknown" and r.report_year == 2022
    doc = read(load_page("fujian-qzb-viewer-2022.html", "html"))
    assert doc.links == [(pdf, "某某县人民政府2022年政府信息公开工作年度报告（原件）.pdf")]
    assert [t.text for t in doc.tokens] == ["详见附件。"]


# ---------------------------------------------------------------- small pages
def _doc(html: str, url="http://www.x.gov.cn/a/b/t1.html"):
    return read_document(html.encode("utf-8"), url=url, headers={"content-type": "text/html; charset=utf-8"})


def test_pdf_viewer_iframe_embed_and_object():
    page = '<html><body><div id="zoom"><p>全文见下。</p>{}</div></body></html>'
    for frame, pdf in [
            ('<iframe src="/generic2/web/viewer.html?file=%2Fxxgk%2Fnb%2F2021.pdf"></iframe>',
             "http://www.x.gov.cn/xxgk/nb/2021.pdf"),
            ('<embed src="../files/nb2021.pdf" type="application/pdf">',
             "http://www.x.gov.cn/a/files/nb2021.pdf"),
            ('<object data="nb.pdf" type="application/pdf"></object>', "http://www.x.gov.cn/a/b/nb.pdf")]:
        doc = _doc(page.format(frame))
        assert [(w.code, pdf in w.message) for w in doc.warnings] == [("pdf_viewer_only", True)], frame
    # With an HTML table the viewer is a second copy, not the only one.
    doc = _doc(page.format('<iframe src="/pdfjs/web/viewer.html?file=a.pdf"></iframe>'
                           '<table><tr><td>规章</td><td>1</td></tr></table>'))
    assert doc.warnings == []


def test_absurd_spans_are_cut_and_flagged():
    rows = "".join(f"<tr><td>r{i}</td><td>{i}</td></tr>" for i in range(3))
    doc = _doc(f'<html><body><div id="zoom"><table><tr><td colspan="1000" rowspan="9999">x</td></tr>'
               f'{rows}</table></div></body></html>')
    assert [w.code for w in doc.warnings] == ["span_clamped"]
    cells = [t for t in doc.tokens if t.kind == CELL]
    assert len(cells) == 1 + 3 * 3  # x once, then per row: x inherited once, r_i, i
    assert [t.text for t in cells if t.row_no == 2] == ["x", "r1", "1"] and cells[4].inherited


def test_cell_text_pieces_blanks_and_comments():
    doc = _doc('<html><body><div class="TRS_Editor"><table>'
               '<tr><td>\n <p>商业</p>\n <p>企业</p>\n</td><td>本年新<br/>制作数量</td>'
               '<td><span>科研</span><span>机构</span></td></tr>'
               '<tr><td>&nbsp;</td><td></td>'
               '<td><p>&nbsp;<!--[if !supportLists]-->1<!--[endif]-->2</p></td></tr>'
               '</table></div></body></html>')
    cells = [t.text for t in doc.tokens if t.kind == CELL]
    assert cells == ["商业企业", "本年新制作数量", "科研机构", "", "", "12"]


def test_hidden_parts_of_cells_are_not_published_text():
    doc = _doc('<html><body><div id="zoom"><table><tr><td>规章</td>'
               '<td>1<span style="COLOR: red;\n DISPLAY: none">9</span></td></tr>'
               '<tr><td>规范性文件</td><td style="font-family:&quot;宋体&quot;;display:none">7</td>'
               '<td hidden>8</td><td>5</td></tr></table></div></body></html>')
    assert [t.text for t in doc.tokens if t.kind == CELL] == ["规章", "1", "规范性文件", "5"]


def test_caption_is_a_paragraph_before_its_table():
    doc = _doc('<html><body><div id="zoom"><table><caption>四、政府信息公开行政复议、行政诉讼情况</caption>'
               '<tr><td>行政复议</td></tr><tr><td>0</td></tr></table></div></body></html>')
    assert [(t.kind, t.text) for t in doc.tokens][:2] == [
        (PARA, "四、政府信息公开行政复议、行政诉讼情况"), (CELL, "行政复议")]


def test_prose_does_not_vote_on_the_template():
    # A 2021 report may say 新制作 or 政府集中采购 in its prose; only table labels tell the era.
    html = (FIXTURES / "html" / "hebei-oneline-2021.html").read_text(encoding="utf-8")
    html = html.replace("<h3>二、主动公开政府信息情况</h3>", "<h3>二、主动公开政府信息情况</h3>"
                        "<p>全年新制作并公开规范性文件8件，政府集中采购项目全部公开。</p>")
    r = _parse_html(html, "utf-8")
    assert r.template == "2021" and r.warnings == []


def test_metadata_table_in_the_article_gives_pairs_not_cells():
    # gkmlpt: eight labels in a table at the top of the content.
    doc = _doc('<html><body><div class="article-content"><table class="table-info">'
               '<tr><th>索引号：</th><td>114403006955506492/2021-00426</td><th>分类：</th><td>年度报告</td></tr>'
               '<tr><th>发布机构：</th><td>深圳市某某局</td><th>成文日期：</th><td>2021-01-20</td></tr>'
               '<tr><th>名称：</th><td colspan="3">深圳市某某局2020年政府信息公开工作年度报告</td></tr>'
               '<tr><th>文号：</th><td></td><th>发布日期：</th><td>2021-01-21</td></tr>'
               '<tr><th>主题词：</th><td colspan="3"></td></tr></table>'
               '<p>一、总体情况</p></div></body></html>')
    assert not [t for t in doc.tokens if t.kind in (CELL, ROW_END, TABLE_END)]
    assert dict(doc.header_pairs) == {"索引号": "114403006955506492/2021-00426", "分类": "年度报告",
                                      "发布机构": "深圳市某某局", "成文日期": "2021-01-20",
                                      "名称": "深圳市某某局2020年政府信息公开工作年度报告", "文号": "",
                                      "发布日期": "2021-01-21", "主题词": ""}


def test_no_known_container_takes_the_one_holding_the_text():
    links = "".join(f'<li><a href="/n{i}.html">新闻标题第{i}条很长很长很长</a></li>' for i in range(10))
    html = (f'<html><body><table width="100%"><tr><td class="left"><ul>{links}</ul></td><td>'
            '<div><p>一、总体情况</p><p>' + "本机关依法主动公开政府信息。" * 20 + '</p>'
            '<table><tr><td>规章</td><td>3</td></tr></table></div>'
            '</td></tr></table><div class="foot">版权所有</div></body></html>')
    doc = _doc(html)
    paras = [t.text for t in doc.tokens if t.kind == PARA]
    assert paras[0] == "一、总体情况" and len(paras) == 2
    assert [t.text for t in doc.tokens if t.kind == CELL] == ["规章", "3"]


@pytest.mark.parametrize("body", [
    b"", b"<html>", b"<?xml version='1.0' encoding='gbk'?><html><body>\xff\xfe</body></html>",
    b"<table>" * 300, b"<div>" * 5000 + b"x"])
def test_odd_bodies_never_crash(body):
    r = parse_page(ReportPage(url="http://x.gov.cn/a.html", body=body, headers={"content-type": "text/html"}))
    assert r.source.media_type == "text/html"
    assert "unreadable" not in [w.code for w in r.warnings]


# ---------------------------------------------------------------- random tables
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TEXTS = st.sampled_from(["", "0", "12", "减3", "&nbsp;", "自然人", "商业</p><p>企业", "（三）不予公开",
                         "1.属于国家秘密", "总计", "三、本年度办理结果", "一、本年新收政府信息公开申请数量", "小计"])
CELLS = st.tuples(TEXTS, st.integers(0, 5), st.integers(0, 4))
TABLES = st.lists(st.lists(CELLS, max_size=8), min_size=1, max_size=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TABLES)
def test_random_tables_keep_every_cell_once_and_in_order(rows):
    html = "".join("<tr>" + "".join(f'<td rowspan="{rs}" colspan="{cs}"><p>{t}</p></td>' for t, rs, cs in row)
                   + "</tr>" for row in rows)
    page = f'<html><body><div id="zoom"><p>三、收到和处理政府信息公开申请情况</p><table>{html}</table></div></body></html>'
    doc = _doc(page)
    own = [t for t in doc.tokens if t.kind == CELL and not t.inherited]
    want = [t.replace("</p><p>", "").replace("&nbsp;", "") for row in rows for t, _, _ in row]
    if len(want) <= 1:
        want = []  # a one-cell table frames its content: a container, not data
    assert [t.text for t in own] == want
    for r, row in enumerate(rows if want else []):
        assert len([t for t in own if t.row_no == r]) == len(row)
    spanning = {t.replace("</p><p>", "").replace("&nbsp;", "") for row in rows for t, rs, _ in row if rs != 1}
    assert {t.text for t in doc.tokens if t.inherited} <= spanning
    result = parse_page(ReportPage(url="http://x.gov.cn/a.html", body=page.encode(),
                                   headers={"content-type": "text/html; charset=utf-8"}))
    # A row whose value cells are all missing is null throughout (raw ""), never invented.
    assert {c.raw for c in result.cells if c.origin == "table"} <= set(want) | {""}
