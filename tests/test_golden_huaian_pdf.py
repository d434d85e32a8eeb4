"""Golden tests: the two Huai'an PDF reports (WPS + Jisupdf, ruled tables, table 三 split over a
page break), every published cell read by hand off the pages rendered with
`pdftoppm -r 80` (and -r 150 for the small table digits), plus title, era, sections, warnings and
checks.

What the pages show, and the expectations rest on:
- 洪泽区 2023 (5 pages): table 二 in the 2021 columns; table 三 breaks after
  2.没有现成信息需要另行制作 (page 3 → 4), with the group cells 三、本年度办理结果 and （四）无法提供
  running on empty and without a top ruling; （六）其他处理 is one row (a 2021 table with the
  2019 （六）); the label of row （三）2 lost 法规禁 (2.其他法律行政止公开); table 四 has 10/1/0/0
  under 行政复议 with 总计 0, and 5/0/0/0 under 复议后起诉 with 总计 0 — the document's own sums fail.
- 淮安市 2024 (6 pages): table 三 breaks inside the group label （四）无 | 法提供 (page 4 → 5), sub-rows
  of （六） numbered 1、2、3、; every identity holds.
Neither PDF has a portal header (索引号, 发文机关 …): all header fields are null.
"""

import pytest

from govreports.documents import CELL, PARA
from govreports.parse import read
from tests import golden
from tests.fixture_pages import load_page, parse_fixture

COLS = ("natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total")
APPEAL_COLS = tuple(f"{b}_{o}" for b in ("review", "suit_direct", "suit_after_review")
                    for o in ("upheld", "corrected", "other", "pending", "total"))

# Their parse times are bench/parse.py's to print (a timed test fails on a busy machine).
HZ = parse_fixture("huaian-hongze-2023.pdf")
HA = parse_fixture("huaian-city-2024.pdf")
REPORTS = {"hongze": HZ, "city": HA}

# The hand-read cells, title and header: tests/golden/huaian-hongze-2023.json, huaian-city-2024.json.
# What they rest on (洪泽区: 2.其他法律行政止公开 is withheld_law; unavailable_needs_creation is the last
# row on page 3, unavailable_unclear the first on page 4; （六）其他处理 one row. 淮安市:
# unavailable_not_held last on page 4) is in the module docstring.
GOLDEN = {"hongze": golden.load("huaian-hongze-2023.pdf"), "city": golden.load("huaian-city-2024.pdf")}
EXPECTED = {
    name: ({k: c["value"] for k, c in golden.by_key(g, "active").items()}, golden.rows(g, "requests", COLS),
           golden.rows(g, "appeals", APPEAL_COLS)["all"])
    for name, g in GOLDEN.items()}


def _cases(part):
    out = []
    for name, (active, requests, appeals) in EXPECTED.items():
        if part == "active":
            out += [(name, row, col, v) for (row, col), v in active.items()]
        elif part == "requests":
            out += [(name, row, col, v) for row, vals in requests.items() for col, v in zip(COLS, vals)]
        else:
            out += [(name, "all", col, v) for col, v in zip(APPEAL_COLS, appeals)]
    return out


@pytest.mark.parametrize("name,row,col,value", _cases("active"))
def test_active_cell(name, row, col, value):
    cell = REPORTS[name].cell("active", row, col)
    assert cell is not None, (row, col)
    # Every published cell is a plain number: raw is its text as printed.
    assert (cell.value, cell.raw, cell.inferred) == (value, str(value), False)


@pytest.mark.parametrize("name,row,col,value", _cases("requests"))
def test_requests_cell(name, row, col, value):
    cell = REPORTS[name].cell("requests", row, col)
    assert cell is not None, (row, col)
    assert (cell.value, cell.raw, cell.inferred) == (value, str(value), False)


@pytest.mark.parametrize("name,row,col,value", _cases("appeals"))
def test_appeals_cell(name, row, col, value):
    cell = REPORTS[name].cell("appeals", row, col)
    assert cell is not None, col
    assert (cell.value, cell.raw, cell.inferred) == (value, str(value), False)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exactly_the_published_cells(name):
    active, requests, appeals = EXPECTED[name]
    r = REPORTS[name]
    assert {(c.row, c.col) for c in r.cells if c.table == "active"} == set(active)
    assert {(c.row, c.col) for c in r.cells if c.table == "requests"} == {
        (row, col) for row in requests for col in COLS}
    assert [c.col for c in r.cells if c.table == "appeals"] == list(APPEAL_COLS)
    table_cells = [c for c in r.cells if c.origin == "table"]
    assert len(table_cells) == len(active) + 7 * len(requests) + 15
    # Figures stated in the prose (govreports.prose) are cells of `legacy` only, never of these.
    assert {c.table for c in r.cells if c.origin != "table"} <= {"legacy"}


def test_hongze_other_is_one_row_and_no_2021_split():
    rows = {c.row for c in HZ.cells if c.table == "requests"}
    assert "other" in rows and not rows & {"other_no_correction", "other_unpaid_fee", "other_misc"}
    assert len(rows) == 23


def test_title_year_template_source():
    assert HZ.title == GOLDEN["hongze"]["title"] == "洪泽区人民政府2023年政府信息公开工作年度报告"
    assert (HZ.report_year, HZ.template) == (GOLDEN["hongze"]["report_year"], GOLDEN["hongze"]["template"])
    assert HA.title == GOLDEN["city"]["title"] == "淮安市人民政府2024年政府信息公开工作年度报告"
    assert (HA.report_year, HA.template) == (GOLDEN["city"]["report_year"], GOLDEN["city"]["template"])
    for r in (HZ, HA):
        assert r.source.media_type == "application/pdf" and r.source.encoding is None
        assert len(r.source.sha256) == 64


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_portal_header_in_a_pdf(name):
    h, g = REPORTS[name].header, GOLDEN[name]
    fields = ("index_no", "issuer", "written_date", "published_date", "doc_no", "subject", "category")
    assert tuple(getattr(h, f) for f in fields) == tuple(g["header"][f] for f in fields) == (None,) * 7
    assert g["header_raw_complete"] and h.raw == g["header_raw"] == {}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_six_sections_with_prose_and_no_table_numbers(name):
    r = REPORTS[name]
    assert [(s.no, s.heading) for s in r.sections] == [
        (1, "总体情况"), (2, "主动公开政府信息情况"), (3, "收到和处理政府信息公开申请情况"),
        (4, "政府信息公开行政复议、行政诉讼情况"), (5, "存在的主要问题及改进情况"), (6, "其他需要报告的事项")]
    # Sections 二 to 四 are tables only; their numbers are cells, not prose.
    assert [s.text for s in r.sections[1:4]] == ["", "", ""]


def test_section_prose_is_joined_across_lines_and_pages():
    s1 = HZ.sections[0].text
    # Line breaks inside a paragraph are gone, as are the gaps a justified line leaves.
    assert "2023年全区受理政府信息公开申请21件，均在法定期限答复。" in s1
    # The paragraph that runs from page 1 onto page 2 is one paragraph.
    assert "严格执行“分级审核、先审后发”程序" in s1
    assert HZ.sections[5].text == "2023年，区政府严格落实《政府信息公开信息处理费管理办法》，全年收取政府信息公开信息处理费0元。"
    assert "- 1 -" not in s1 and "- 2 -" not in s1
    assert "全市共受理政府信息公开申请3119件，答复3050件" in HA.sections[0].text
    assert HA.sections[5].text.endswith("全年收取政府信息公开信息处理费3940元。")
    assert HA.sections[4].text.count("\n") == 1  # two paragraphs


def test_warnings_exactly():
    assert [(w.code, w.where, w.raw) for w in HZ.warnings] == [
        ("label_variant", "requests.withheld_law", ["2.其他法律行政止公开"])]
    assert HA.warnings == []


def _statuses(r):
    return {c.key: c.status for c in r.checks}


def test_hongze_checks_flag_the_appeals_totals_the_document_left_at_zero():
    st = _statuses(HZ)
    failing = {k: s for k, s in st.items() if s != "pass"}
    assert failing == {"appeals.review_total": "fail", "appeals.suit_after_review_total": "fail"}
    review = next(c for c in HZ.checks if c.key == "appeals.review_total")
    assert (review.left, review.right) == (11, 0)
    after = next(c for c in HZ.checks if c.key == "appeals.suit_after_review_total")
    assert (after.left, after.right) == (5, 0)
    # 7 balance + 23 row totals + 7 outcome sums (with the single 其他处理 row) + 3 appeals + domain
    assert len(st) == 7 + 23 + 7 + 3 + 1
    assert st["requests.outcomes.total"] == st["requests.balance.total"] == "pass"


def test_city_checks_all_pass():
    st = _statuses(HA)
    assert set(st.values()) == {"pass"}
    assert len(st) == 7 + 25 + 7 + 3 + 1
    total = next(c for c in HA.checks if c.key == "requests.balance.total")
    assert (total.left, total.right) == (3153, 3153)


# ---------------------------------------------------------------- the token stream itself
def _rows(doc, table_no):
    rows, row = [], []
    for t in doc.tokens:
        if t.kind == CELL and t.table_no == table_no:
            row.append(t)
        elif t.kind == "row_end" and t.table_no == table_no:
            rows.append(row)
            row = []
    return rows


@pytest.fixture(scope="module")
def city_doc():
    return read(load_page("huaian-city-2024.pdf"))


def test_page_break_join_reassembles_the_cut_group_label(city_doc):
    tables = sorted({t.table_no for t in city_doc.tokens if t.kind == CELL})
    assert tables == [0, 1, 2, 3]  # 二 (pages 3, 4: the columns differ), 三 whole, 四
    rows = _rows(city_doc, 2)
    texts = [[t.text for t in row if not t.inherited] for row in rows]
    assert ["（四）无法提供", "1.本机关不掌握相关政府信息", "746", "12", "0", "0", "10", "1", "769"] in texts
    assert not any("法提供" == x or "（四）无" == x for row in texts for x in row)
    # The rows after the break carry their groups, inherited.
    row = next(r for r in rows if any(t.text == "2.没有现成信息需要另行制作" for t in r))
    assert [(t.text, t.inherited) for t in row[:3]] == [
        ("三、本年度办理结果", True), ("（四）无法提供", True), ("2.没有现成信息需要另行制作", False)]
    # A cell spanning columns comes once per row (the note over three label columns).
    header = [t.text for t in rows[1]]
    assert header.count("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）") == 1


def test_title_and_headings_are_paragraphs_not_cells(city_doc):
    paras = [t.text for t in city_doc.tokens if t.kind == PARA]
    assert paras[:2] == ["淮安市人民政府", "2024年政府信息公开工作年度报告"]
    assert "三、收到和处理政府信息公开申请情况" in paras
    assert not any(p.strip("- ").isdigit() for p in paras)  # page numbers dropped
    assert city_doc.title_candidates[0] == "淮安市人民政府2024年政府信息公开工作年度报告"

