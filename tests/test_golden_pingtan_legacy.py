"""Golden tests, template `pre2019`: 平潭县人民政府's 2011 and 2012 reports as archive text (the whole
body on one line, the statistics table's cells run together) and its 2013 report as the TRS page
(real table cells) and flattened one cell per line. Every expectation read off the files by hand.
"""
import pytest

from govreports import prose
from tests import golden
from tests.fixture_pages import load_page, parse_fixture
from govreports.items import ReportPage
from govreports.parse import parse_page

R11 = parse_fixture("pingtan-county-2011-archive-text.txt")
R12 = parse_fixture("pingtan-county-2012-archive-text.txt")
R13 = {name: parse_fixture(name, "legacy") for name in ("pingtan-county-2013.html", "pingtan-county-2013-cells.txt")}
# The hand-read cells, title and header: tests/golden/pingtan-county-20*.json.
G11 = golden.load("pingtan-county-2011-archive-text.txt")
G12 = golden.load("pingtan-county-2012-archive-text.txt")
G13 = {name: golden.load(name) for name in R13}

PINGTAN_OUTLINE = [(1, "概述"), (2, "主动公开政府信息情况"), (3, "政府信息依申请公开工作情况"),
                   (5, "政府信息公开工作存在的主要问题及改进情况")]


def table_cells(r):
    return {(c.row, c.col): (c.value, c.raw, c.inferred) for c in r.cells if c.origin == "table"}


def status(r, key):
    (check,) = [c for c in r.checks if c.key == key]
    return check.status, check.left, check.right


# ---------------------------------------------------------------- 2011 and 2012: archive text
@pytest.mark.parametrize("r,g", [(R11, G11), (R12, G12)], ids=["2011", "2012"])
def test_title_year_template_header(r, g):
    assert r.title == g["title"]
    assert (r.report_year, r.template) == (g["report_year"], g["template"]) and r.template == "pre2019"
    h = r.header
    assert set(g["header"]) == {"published_date", "category", "issuer", "doc_no", "index_no", "written_date",
                                "subject"}
    for field, want in g["header"].items():
        assert getattr(h, field) == want, field
    # The archive's empty 文号 (and, in 2011, 发布机构) are null, kept as published in raw.
    assert g["header"]["doc_no"] is None and g["header_raw"]["文号"] == ""
    assert set(g["header_raw"]) == {"文号", "发布时间", "发布机构"}
    assert {k: h.raw[k] for k in g["header_raw"]} == g["header_raw"]


@pytest.mark.parametrize("r", [R11, R12])
def test_inline_headings_map_by_meaning(r):
    # Four headings inside one line; 四、…存在的主要问题 is section 5; there is no section 4.
    assert [(s.no, s.heading) for s in r.sections] == PINGTAN_OUTLINE
    assert r.sections[0].text.startswith("推进政府信息公开工作是平潭县贯彻实施")
    assert r.sections[1].text.startswith("（一）主动公开政府信息的数量各乡镇")
    # The appendix ends the prose: no table text in any section, no preamble either.
    assert not any("指标名称" in s.text or "附件1" in s.text or "本报告主要根据" in s.text for s in r.sections)


def test_sections_2011_text():
    assert R11.sections[2].text == "2011年全县未收到有关政府信息公开的申请，未收到有关政府信息公开行政复议申请。"
    assert R11.sections[3].text.endswith("将信息公开评议和考核工作常规化、日常化。 二○一二年二月二十日")


def test_sections_2012_text():
    assert R12.sections[2].text == (
        "2012年全县共收到有关政府信息公开的申请21条，其中当面申请数18条，电子邮件申请数3条；对依申请公开的答复"
        "总数21条，其中同意公开答复数17条，其它公开答复数2条，免于公开答复数2条；未收到有关政府信息公开行政复议申请。")
    assert R12.sections[3].text.endswith("常规化、日常化。 平潭县人民政府 2013年1月16日")


# Cells run together: only the splits the identities leave unique are stored, all inferred.
LEGACY_COLS = ("year", "cumulative")
CELLS_2011 = golden.rows(G11, "legacy", LEGACY_COLS)
CELLS_2012 = golden.rows(G12, "legacy", LEGACY_COLS)


def _unassignable(g):
    # Rows whose run-together digits split more than one way: published, but no cell can take them.
    assert {u["warning"] for u in g["unassignable"]} == {"cells_concatenated"}
    return {u["row"]: u["raw"][0] for u in g["unassignable"]}


@pytest.mark.parametrize("r,g", [(R11, G11), (R12, G12)], ids=["2011", "2012"])
def test_every_table_cell_is_an_inferred_split(r, g):
    want = {(c["row"], c["col"]): (c["value"], c["raw"], c["inferred"]) for c in golden.cells(g)}
    assert {i for (_, _, i) in want.values()} == {True}
    assert table_cells(r) == want


@pytest.mark.parametrize("r,raws", [(R11, _unassignable(G11)), (R12, _unassignable(G12))])
def test_ambiguous_splits_are_refused(r, raws):
    # 20263542 could be 20|263542, 202|63542 or 2026|3542: no identity ties 主动公开 rows down.
    concatenated = {w.where: w for w in r.warnings if w.code == "cells_concatenated"}
    assert set(concatenated) == {f"legacy.{k}" for k in raws}
    for key, raw in raws.items():
        assert concatenated[f"legacy.{key}"].raw == [raw]
        assert "nothing extracted" in concatenated[f"legacy.{key}"].message
        assert not [c for c in r.cells if c.row == key]


def test_split_by_the_channel_identity_names_it():
    # 2121 alone could be 2|121 or 21|21; only 21|21 lets 18 + 3 add up (1818 alone: 1|818 or 18|18).
    (w,) = [w for w in R12.warnings if w.where == "legacy.requests_received"]
    assert w.code == "cells_split_inferred" and w.raw == ["受理依申请公开信息总数条2121"]
    assert "21 | 21" in w.message and "channels add up" in w.message
    (w,) = [w for w in R12.warnings if w.where == "legacy.review_count"]
    assert w.raw == ["行政复议数条00"] and "channels" not in w.message


@pytest.mark.parametrize("r,expected", [(R11, CELLS_2011), (R12, CELLS_2012)])
def test_warnings_are_exactly_the_run_together_rows(r, expected):
    assert sorted((w.code, w.where) for w in r.warnings) == sorted(
        [("cells_concatenated", "legacy.proactive_total"), ("cells_concatenated", "legacy.proactive_website")]
        + [("cells_split_inferred", f"legacy.{k}") for k in expected])


@pytest.mark.parametrize("r,figures", [
    (R11, {"requests_received": [(0, "未收到有关政府信息公开的申请")],
           "review_count": [(0, "未收到有关政府信息公开行政复议申请")]}),
    (R12, {"requests_received": [(21, "共收到有关政府信息公开的申请21条")],
           "requests_in_person": [(18, "其中当面申请数18条")], "requests_email": [(3, "电子邮件申请数3条")],
           "replies_total": [(21, "答复总数21条")], "replies_disclosed": [(17, "其中同意公开答复数17条")],
           "review_count": [(0, "未收到有关政府信息公开行政复议申请")]})])
def test_prose_figures_agree_with_the_table_so_no_text_cell(r, figures):
    # What the text states (其它公开答复数 and 免于公开答复数 are no known kind: reading stops there)…
    assert prose.figures([s.text for s in r.sections]) == figures
    # …is already a cell of the table, with the same number: one cell per key, the table's.
    assert not [c for c in r.cells if c.origin == "text"]
    for key, [(value, _)] in figures.items():
        assert r.value("legacy", key, "year") == value


@pytest.mark.parametrize("r", [R11, R12])
def test_checks_on_inferred_cells_are_not_assessable(r):
    # The splits were chosen by these identities: checking them again proves nothing.
    for key in ("legacy.channels.year", "legacy.channels.cumulative", "legacy.replies.year",
                "legacy.replies.cumulative", "legacy.cumulative"):
        assert status(r, key)[0] == "not_assessable", key
    assert status(r, "values.domain")[0] == "pass"
    assert {c.key for c in r.checks} == {"legacy.channels.year", "legacy.channels.cumulative",
                                         "legacy.replies.year", "legacy.replies.cumulative",
                                         "legacy.cumulative", "values.domain"}


# ---------------------------------------------------------------- 2013: real cells
@pytest.mark.parametrize("name", sorted(R13))
def test_2013_every_cell(name):
    want = {(c["row"], c["col"]): (c["value"], c["raw"], c["inferred"]) for c in golden.cells(G13[name])}
    assert {i for (_, _, i) in want.values()} == {False}
    assert {raw == str(v) for (v, raw, _) in want.values()} == {True}
    assert table_cells(R13[name]) == want
    assert not [c for c in R13[name].cells if c.table != "legacy" or c.origin != "table"]


@pytest.mark.parametrize("name", sorted(R13))
def test_2013_title_template_header_sections(name):
    r, g = R13[name], G13[name]
    assert r.title == g["title"]
    assert (r.report_year, r.template) == (g["report_year"], g["template"]) == (2013, "pre2019")
    assert (r.header.issuer, r.header.published_date) == (g["header"]["issuer"], g["header"]["published_date"])
    assert [(s.no, s.heading) for s in r.sections] == PINGTAN_OUTLINE
    assert r.sections[2].text.startswith("2013年全县共收到有关政府信息公开的申请7条")
    assert r.sections[3].text.endswith("平潭县人民政府")


@pytest.mark.parametrize("name", sorted(R13))
def test_2013_checks_pass_as_published(name):
    r = R13[name]
    assert status(r, "legacy.channels.year") == ("pass", 7, 7)  # 0+0+3+4+0+0
    assert status(r, "legacy.channels.cumulative") == ("pass", 28, 28)  # 18+0+6+4+0+0
    assert status(r, "legacy.replies.year") == ("pass", 3, 3)  # 2+1+0
    assert status(r, "legacy.replies.cumulative") == ("pass", 24, 24)  # 19+3+2
    assert status(r, "legacy.cumulative") == ("pass", 0, 0)
    assert status(r, "values.domain")[0] == "pass"


@pytest.mark.parametrize("name", sorted(R13))
def test_2013_text_that_contradicts_the_table_is_flagged(name):
    # The text: 网上申请数3条，信函申请数4条; the table: 3 by e-mail, 4 online, 0 by letter.
    assert sorted((w.code, w.where, tuple(w.raw)) for w in R13[name].warnings) == [
        ("text_table_differs", "legacy.requests_letter.year", ("信函申请数4条", "0")),
        ("text_table_differs", "legacy.requests_online.year", ("网上申请数3条", "4"))]


def _altered(old: bytes, new: bytes) -> ReportPage:
    page = load_page("pingtan-county-2013-cells.txt", "legacy")
    assert page.body.count(old) == 1
    return ReportPage(url=page.url, body=page.body.replace(old, new), headers=page.headers)


def test_channels_and_replies_fail_when_the_parts_do_not_add_up():
    r = parse_page(_altered("3.电子邮件申请数\n条\n3\n6".encode(), "3.电子邮件申请数\n条\n2\n6".encode()))
    assert status(r, "legacy.channels.year") == ("fail", 7, 6)
    assert status(r, "legacy.channels.cumulative") == ("pass", 28, 28)
    r = parse_page(_altered("2.同意部分公开答复数\n条\n1\n3".encode(), "2.同意部分公开答复数\n条\n1\n5".encode()))
    assert status(r, "legacy.replies.cumulative") == ("fail", 24, 26)
    assert status(r, "legacy.replies.year") == ("pass", 3, 3)


def test_cumulative_below_the_year_fails():
    r = parse_page(_altered("行政诉讼数\n条\n0\n0".encode(), "行政诉讼数\n条\n2\n1".encode()))
    check = [c for c in r.checks if c.key == "legacy.cumulative"][0]
    assert (check.status, check.left) == ("fail", 1) and "suit_count" in check.message
