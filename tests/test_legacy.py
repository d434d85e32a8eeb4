"""Reports before 2019, piece by piece: the legacy mapper on real cells, flat lines and run-together
text; sub-rows and their 其中 parent; Dingxi's columns; units; headline figures in prose; the outline."""
from decimal import Decimal

from govreports import legacy, prose
from govreports.documents import CELL, LINE, ROW_END, TABLE_END, Document, Token
from govreports.items import ReportPage
from govreports.parse import parse_page
from tests import golden
from tests.fixture_pages import parse_fixture

FUJIAN_HEAD = ["指标名称", "计量单位", "2013年度", "历年累计"]


def parse_text(*lines, title="某县人民政府2013年政府信息公开工作年度报告"):
    body = "\n".join([title, *lines]).encode("utf-8")
    return parse_page(ReportPage(url="file:///x.txt", body=body,
                                 headers={"content-type": "text/plain; charset=utf-8"}))


def cells_doc(*rows):
    tokens = []
    for row in rows:
        tokens += [Token(CELL, text) for text in row] + [Token(ROW_END)]
    return Document("text/html", tokens=tokens + [Token(TABLE_END)])


def values(mapped, row):
    return {c.col: c.value for c in mapped.cells if c.row == row}


def codes(mapped):
    return sorted((w[0], w[1]) for w in mapped.warnings)


# ---------------------------------------------------------------- the table
def test_real_cells_by_position_empty_cell_is_null():
    m = legacy.map_document(cells_doc(FUJIAN_HEAD, ["主动公开信息数", "条", "72804", "76424"],
                                      ["其中：1、网站公开", "条", "72804", "76424"],
                                      ["2、政府公报公开", "条", "0", ""]))
    assert m.found
    assert values(m, "proactive_gazette") == {"year": 0, "cumulative": None}
    assert values(m, "proactive_website") == {"year": 72804, "cumulative": 76424}
    assert m.warnings == []


def test_flat_lines_count_values_never_guess_the_missing_one():
    # 综合实验区 2013 as flat text: 2、政府公报公开 条 0 — one value for two columns.
    m = legacy.map_document(Document("text/plain", tokens=[Token(LINE, t) for t in (
        "指标名称 计量单位 2013年度 历年累计 主动公开信息数 条 72804 76424 其中：1、网站公开 条 72804 76424 "
        "2、政府公报公开 条 0 受理依申请公开信息总数 条 0 0").split(" ")]))
    assert values(m, "proactive_total") == {"year": 72804, "cumulative": 76424}
    assert "proactive_gazette" not in {c.row for c in m.cells}
    assert ("row_incomplete", "legacy.proactive_gazette") in codes(m)
    assert values(m, "requests_received") == {"year": 0, "cumulative": 0}


def test_space_separated_cells_in_one_line_are_separate_cells():
    m = legacy.map_document(Document("text/plain", tokens=[Token(LINE, (
        "平潭综合实验区政府信息公开情况统计表 指标名称 计量单位 2013年度 历年累计 主动公开信息数 条 72804 76424 "
        "行政复议数 件 0 0"))]))
    assert values(m, "proactive_total") == {"year": 72804, "cumulative": 76424}
    assert values(m, "review_count") == {"year": 0, "cumulative": 0}
    assert not any(c.inferred for c in m.cells)


def test_run_together_ambiguous_even_with_the_identity_is_refused():
    # 2222 = 2+222 or 22+22; 1111 = 1+111 or 11+11: both 2 = 1+1 | 222 = 111+111 and 22 = 11+11 hold.
    m = legacy.map_document(Document("text/plain", tokens=[Token(LINE, (
        "指标名称计量单位2012年度历年累计受理依申请公开信息总数条2222其中：1.当面申请数条11112.电子邮件申请数条1111"))]))
    assert m.cells == []
    assert codes(m) == [("cells_concatenated", f"legacy.{k}")
                        for k in ("requests_email", "requests_in_person", "requests_received")]


def test_run_together_made_unique_by_the_identity_is_inferred():
    m = legacy.map_document(Document("text/plain", tokens=[Token(LINE, (
        "指标名称计量单位2012年度历年累计受理依申请公开信息总数条2121其中：1.当面申请数条18182.电子邮件申请数条33"))]))
    assert values(m, "requests_received") == {"year": 21, "cumulative": 21}
    assert values(m, "requests_in_person") == {"year": 18, "cumulative": 18}
    assert all(c.inferred for c in m.cells)
    assert {w[0] for w in m.warnings} == {"cells_split_inferred"}


def test_numbering_that_does_not_match_the_row_leaves_the_run_unsplit():
    # 3.电子邮件 where 2. was due: where the digits end is not certain, so 002 is not split.
    m = legacy.map_document(Document("text/plain", tokens=[Token(LINE, (
        "指标名称计量单位2012年度历年累计受理依申请公开信息总数条00其中：1.当面申请数条0023.电子邮件申请数条00"))]))
    assert "requests_in_person" not in {c.row for c in m.cells}
    assert ("cells_concatenated", "legacy.requests_in_person") in codes(m)


def test_sub_row_outside_its_parent_and_unknown_indicator_are_kept_as_warnings():
    m = legacy.map_document(cells_doc(
        FUJIAN_HEAD, ["受理依申请公开信息总数", "条", "5", "9"], ["1.网站公开", "条", "1", "2"],
        ["对申请的答复数", "条", "5", "9"], ["其中：1.信息不存在数", "条", "1", "1"]))
    assert {c.row for c in m.cells} == {"requests_received", "replies_total"}
    extra = {w[1]: w for w in m.warnings if w[0] == "extra_row"}
    assert set(extra) == {"legacy.requests_received", "legacy.replies_total"}
    assert extra["legacy.requests_received"][3] == ["1", "2"] and "1.网站公开" in extra["legacy.requests_received"][2]
    assert extra["legacy.replies_total"][3] == ["1", "1"] and "信息不存在数" in extra["legacy.replies_total"][2]


def test_dingxi_columns_period_and_ytd_and_the_code_is_no_value():
    m = legacy.map_document(cells_doc(
        ["指标名称", "计量单位", "代码", "本期实际", "本年累计"],
        ["受理依申请公开信息总数", "条", "09", "3", "12"], ["其中：当面申请数", "条", "10", "1", "5"],
        ["网上申请数", "条", "13", "2", "7"], ["行政复议数", "件", "32", "0", "1"]))
    assert values(m, "requests_received") == {"period": 3, "ytd": 12}
    assert values(m, "requests_online") == {"period": 2, "ytd": 7}
    assert values(m, "review_count") == {"period": 0, "ytd": 1}
    r = parse_text("指标名称", "计量单位", "代码", "本期实际", "本年累计", "受理依申请公开信息总数", "条", "09",
                   "3", "12", "当面申请数", "条", "10", "1", "5", "网上申请数", "条", "13", "2", "7")
    assert {(c.key, c.status) for c in r.checks if c.key.startswith("legacy")} == {
        ("legacy.channels.period", "pass"), ("legacy.channels.ytd", "pass"), ("legacy.cumulative", "pass")}


def test_fees_unit_from_the_row_converted_or_flagged():
    m = legacy.map_document(cells_doc(FUJIAN_HEAD, ["政府信息公开收费减免金额（元）", "元", "120.5", "300"]))
    assert values(m, "fees_yuan") == {"year": Decimal("120.5"), "cumulative": 300}
    m = legacy.map_document(cells_doc(FUJIAN_HEAD, ["收取费用总数", "万元", "0.02", "1"]))
    assert values(m, "fees_yuan") == {"year": 200, "cumulative": 10000}
    m = legacy.map_document(cells_doc(FUJIAN_HEAD, ["收取费用总数", "", "5", "6"]))
    assert values(m, "fees_yuan") == {"year": None, "cumulative": None}
    assert [w[0] for w in m.warnings] == ["unit_unknown", "unit_unknown"]


def test_mixed_indicator_is_stored_but_flagged():
    m = legacy.map_document(cells_doc(FUJIAN_HEAD, ["接受行政诉讼、举报数", "件", "1", "4"]))
    assert values(m, "complaint_count") == {"year": 1, "cumulative": 4}
    assert [w[0] for w in m.warnings] == ["label_ambiguous"]


def test_fujian_2016_form_run_together_and_a_text_figure_where_the_table_refused():
    # Verbatim from the archive text of 平潭综合实验区's 2016 report (2016–2018 variant of the form).
    r = parse_text(
        "二、主动公开政府信息情况（一）主动公开政府信息的数量2016年全区主动公开政府信息3460条。其中，区管委会及区直各部门"
        "主动公开政府信息1822条，占53%。三、政府信息依申请公开工作情况 2016年全区未收到有关政府信息公开申请。 "
        "七、平潭综合实验区政府信息公开情况统计表 指标名称计量单位2016年度历年累计主动公开文件数条346085376其中：1、政府网站"
        "公开数条3460853762、政府公报公开数条00受理依申请公开信息总数条00其中：1、当面申请数条002、网上申请数条003、信函、"
        "传真申请数条00对申请的答复总数条00其中：1、同意公开答复数条002、同意部分公开答复数条003、不予公开答复数条004、其他"
        "类型答复数条00政府信息公开收费减免金额元00接受行政诉讼、举报数件00行政复议数件00行政诉讼数件00",
        title="平潭综合实验区2016年度政府信息公开工作年度报告")
    assert r.template == "pre2019"
    assert [(s.no, s.heading) for s in r.sections] == [(2, "主动公开政府信息情况"), (3, "政府信息依申请公开工作情况")]
    inferred = {c.row for c in r.cells if c.inferred}
    assert inferred == {"proactive_gazette", "requests_received", "requests_in_person", "requests_online",
                        "requests_letter_fax", "replies_total", "replies_disclosed", "replies_partly",
                        "replies_refused", "replies_other", "fees_yuan", "complaint_count", "review_count",
                        "suit_count"}
    assert {(w.code, w.where) for w in r.warnings if w.code != "cells_split_inferred"} == {
        ("cells_concatenated", "legacy.proactive_total"), ("cells_concatenated", "legacy.proactive_website"),
        ("label_ambiguous", "legacy.complaint_count")}
    # 346085376 has three splits; the text states the year's figure, so that one cell is the text's.
    (text_cell,) = [c for c in r.cells if c.origin == "text"]
    assert (text_cell.row, text_cell.col, text_cell.value, text_cell.raw) == (
        "proactive_total", "year", 3460, "全区主动公开政府信息3460条")
    assert r.value("legacy", "fees_yuan", "year") == 0


def test_no_header_no_table():
    m = legacy.map_document(Document("text/plain", tokens=[Token(LINE, "主动公开信息数条20263542")]))
    assert not m.found and m.cells == []


# ---------------------------------------------------------------- template
def test_template_pre2019_by_table_or_by_year():
    assert parse_text("指标名称", "计量单位", "2013年度", "历年累计", "行政复议数", "件", "0", "0",
                      title="某县政府信息公开工作年度报告").template == "pre2019"
    assert parse_text("一、概述", "全年工作有序开展。").template == "pre2019"
    assert parse_text("一、概述", "全年工作有序开展。", title="某县政府信息公开工作年度报告").template == "unknown"


# ---------------------------------------------------------------- prose
def test_guixi_2019_figures_are_legacy_text_cells_not_official():
    r = parse_fixture("guixi-2019-annual-report.txt")
    text = {(c.table, c.row, c.col): (c.value, c.raw) for c in r.cells if c.origin == "text"}
    # The hand-read prose figures: tests/golden/guixi-2019-annual-report.json, "text_cells".
    # 邮件信函申请34条 is two channels at once: reading stops there.
    g = golden.load("guixi-2019-annual-report.txt")
    assert text == {(c["table"], c["row"], c["col"]): (c["value"], c["raw"]) for c in g["text_cells"]}
    assert len(text) == 4
    assert r.value("requests", "new", "total") == golden.by_key(g, "requests")[("new", "total")]["value"] == 69


def test_appeals_in_prose_and_stated_zeros():
    f = prose.figures(["本年度行政复议7件，诉讼9件。", "未发生因政府信息公开申请提起行政复议、行政诉讼的情况。"])
    assert f == {"review_count": [(7, "行政复议7件"), (0, "未发生因政府信息公开申请提起行政复议")],
                 "suit_count": [(9, "诉讼9件"), (0, "未发生因政府信息公开申请提起行政复议、行政诉讼")]}


def test_a_key_stated_twice_differently_is_ambiguous():
    r = parse_text("一、概述", "全年共收到政府信息公开申请12件。", "三、依申请公开情况", "全年共受理政府信息公开申请15件。")
    assert not [c for c in r.cells if c.origin == "text"]
    (w,) = r.warnings
    assert (w.code, w.where) == ("text_ambiguous", "legacy.requests_received")
    assert w.raw == ["全年共收到政府信息公开申请12件", "全年共受理政府信息公开申请15件"]


def test_no_marker_no_approximation_no_figure():
    assert prose.figures(["其中主动公开政府信息425条，各乡镇主动公开政府信息122条。", "回应群众诉求信息400余件。",
                          "共收到政府信息公开申请400余件。", "收到有关政府信息公开行政复议申请的咨询3件。"]) == {}


# ---------------------------------------------------------------- sections
def test_legacy_headings_by_meaning_in_their_own_order():
    r = parse_text("一、概述", "甲。", "二、依申请公开情况", "乙。", "三、复议、诉讼和申诉情况", "丙。",
                   "四、咨询处理情况", "丁。", "五、存在的主要问题和改进措施", "戊。", "六、收费及减免情况", "己。")
    assert [(s.no, s.heading, s.text) for s in r.sections] == [
        (1, "概述", "甲。"), (3, "依申请公开情况", "乙。"), (4, "复议、诉讼和申诉情况", "丙。"),
        (6, "咨询处理情况", "丁。"), (5, "存在的主要问题和改进措施", "戊。"), (6, "收费及减免情况", "己。")]


def test_inline_heading_needs_a_boundary_and_an_increasing_numeral():
    r = parse_text("一、概述 甲。二、主动公开政府信息情况乙，见一、概述所列。三、依申请公开情况丙。 二、主动公开情况丁。")
    assert [(s.no, s.heading, s.text) for s in r.sections] == [
        (1, "概述", "甲。"), (2, "主动公开政府信息情况", "乙，见一、概述所列。"), (3, "依申请公开情况", "丙。 二、主动公开情况丁。")]


# ---------------------------------------------------------------- robustness
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from govreports.normalize import clean  # noqa: E402
from govreports.templates import LEGACY_ROWS  # noqa: E402

_PIECES = [ph for lab in LEGACY_ROWS for ph in lab.phrases] + [
    "指标名称", "计量单位", "代码", "2012年度", "历年累计", "本期实际", "本年累计", "其中：", "1.", "2、", "条", "元",
    "万元", "其中：1.同意公开答复数条", "信息不存在数", "-", "/", "三、依申请公开情况", "共收到政府信息公开申请"]
_LEGACY_STREAMS = st.lists(st.one_of(st.sampled_from(_PIECES), st.integers(0, 10**5).map(str),
                                     st.text(max_size=8)), max_size=80)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LEGACY_STREAMS, st.booleans())
def test_random_legacy_text_never_crashes_and_stores_only_published_numbers(pieces, one_line):
    body = ("".join(pieces) if one_line else "\n".join(pieces))
    r = parse_text(body)
    keys = [(c.table, c.row, c.col) for c in r.cells]
    assert len(keys) == len(set(keys))
    for c in r.cells:
        if c.table == "legacy" and c.origin == "table" and not c.inferred and c.raw:
            assert c.raw in clean(body) or c.raw in body, c
        if c.inferred:
            assert any(w.code == "cells_split_inferred" and w.where == f"legacy.{c.row}" for w in r.warnings)
