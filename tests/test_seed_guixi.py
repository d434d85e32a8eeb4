"""Golden test: the user's seed report (Guixi 2019, flattened one cell per line), every cell,
header field, warning and check status read off the file by hand."""
from decimal import Decimal

import pytest

from tests.fixture_pages import parse_fixture

R = parse_fixture("guixi-2019-annual-report.txt")

COLS = ("natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total")
ZERO = (0, 0, 0, 0, 0, 0, 0)
REQUESTS = {
    "new": (64, 4, 0, 0, 0, 1, 69),
    "carried_over": (4, 0, 0, 0, 0, 0, 4),
    "disclosed": (56, 4, 0, 0, 0, 1, 61),
    "partly_disclosed": (3, 0, 0, 0, 0, 0, 3),
    "withheld_state_secret": ZERO, "withheld_law": ZERO, "withheld_security": ZERO,
    "withheld_third_party": ZERO, "withheld_internal": ZERO, "withheld_process": ZERO,
    "withheld_enforcement": (1, 0, 0, 0, 0, 0, 1),
    "unavailable_not_held": ZERO, "unavailable_needs_creation": ZERO, "unavailable_unclear": ZERO,
    "rejected_petition": ZERO, "rejected_repeat": ZERO, "rejected_publication": ZERO,
    "rejected_abusive": ZERO, "rejected_confirmation": ZERO,
    "other": (7, 0, 0, 0, 0, 0, 7),
    "total": (72, 0, 0, 0, 0, 0, 72),
    "carried_forward": (1, 0, 0, 0, 0, 0, 1),
}
ACTIVE = {
    ("regulations", "made"): (None, ""), ("regulations", "published"): (None, ""),
    ("regulations", "total_published"): (None, ""),
    ("normative_documents", "made"): (533, "533"), ("normative_documents", "published"): (396, "396"),
    ("normative_documents", "total_published"): (396, "396"),
    ("licensing", "prev_year_items"): (613, "613"), ("licensing", "change"): (-12, "减12"),
    ("licensing", "decisions"): (4850, "4850"),
    ("other_services", "prev_year_items"): (331, "331"), ("other_services", "change"): (-5, "减5"),
    ("other_services", "decisions"): (158, "158"),
    ("penalty", "prev_year_items"): (5407, "5407"), ("penalty", "change"): (4, "增4"),
    ("penalty", "decisions"): (2381, "2381"),
    ("coercion", "prev_year_items"): (358, "358"), ("coercion", "change"): (-2, "减2"),
    ("coercion", "decisions"): (21, "21"),
    ("fees", "prev_year_items"): (115, "115"), ("fees", "change"): (-44, "减44"),
    ("procurement", "items"): (180, "180"),
    ("procurement", "amount_wan_yuan"): (Decimal("26321.25"), "26321.25万元"),
}


def test_header_fields():
    h = R.header
    assert h.index_no == "Y01000/2020-14842"
    assert h.issuer == "贵溪市人民政府"
    assert h.doc_no is None
    assert h.subject == "市场监管、安全生产监管"
    assert h.category == "信息公开年报"
    assert h.written_date == "2020-01-16"
    assert h.published_date is None
    assert h.raw["索引号"] == "Y01000/2020-14842" and h.raw["文号"] == ""


def test_issuer_division():
    d = R.division
    assert (d.code, d.province, d.prefecture, d.county, d.level) == ("360681", "江西省", "鹰潭市", "贵溪市", "county")


def test_title_year_template():
    assert R.title == "贵溪市人民政府2019年政府信息公开工作年度报告"
    assert R.report_year == 2019
    assert R.template == "2019"
    assert R.source.media_type == "text/plain" and R.source.encoding == "utf-8"


def test_six_sections():
    assert [(s.no, s.heading) for s in R.sections] == [
        (1, "总体情况"), (2, "主动公开政府信息情况"), (3, "收到和处理政府信息公开申请情况"),
        (4, "政府信息公开行政复议、行政诉讼情况"), (5, "存在的主要问题及改进情况"), (6, "其他需要报告的事项")]
    assert "主动公开政府信息63919条" in R.sections[0].text
    assert R.sections[5].text == "无其他需要报告的事项。"
    # Table numbers are cells, not prose.
    assert "4850" not in R.sections[1].text


@pytest.mark.parametrize("key", sorted(ACTIVE))
def test_active_cell(key):
    cell = R.cell("active", *key)
    assert cell is not None, key
    assert (cell.value, cell.raw) == ACTIVE[key]
    assert not cell.inferred


def test_active_has_exactly_the_published_cells():
    assert {(c.row, c.col) for c in R.cells if c.table == "active"} == set(ACTIVE)


@pytest.mark.parametrize("row", sorted(REQUESTS))
def test_requests_row(row):
    got = tuple(R.value("requests", row, col) for col in COLS)
    assert got == REQUESTS[row]
    inferred = {R.cell("requests", row, col).inferred for col in COLS}
    assert inferred == ({True} if row == "withheld_query" else {False})


def test_withheld_query_is_inferred_zeros_with_a_warning():
    assert tuple(R.value("requests", "withheld_query", c) for c in COLS) == ZERO
    w = [w for w in R.warnings if w.where == "requests.withheld_query"]
    assert [x.code for x in w] == ["row_incomplete"]
    assert w[0].raw == ["0"] * 6


def test_appeals_five_of_fifteen_is_a_warning_not_cells():
    assert not [c for c in R.cells if c.table == "appeals"]
    w = [w for w in R.warnings if w.where == "appeals.all"]
    assert [x.code for x in w] == ["row_incomplete"] and w[0].raw == ["0"] * 5


def test_no_other_warnings():
    assert sorted((w.code, w.where) for w in R.warnings) == [
        ("row_incomplete", "appeals.all"), ("row_incomplete", "requests.withheld_query")]


def test_cell_count():
    assert len([c for c in R.cells if c.table == "requests"]) == 23 * 7
    # Figures stated in the prose are `legacy` cells of origin "text" (tests/test_prose_numbers.py).
    assert len([c for c in R.cells if c.origin == "table"]) == 23 * 7 + 22


def _status(key):
    (check,) = [c for c in R.checks if c.key == key]
    return check


@pytest.mark.parametrize("col,status,left,right", [
    ("natural_person", "fail", 68, 73), ("business", "fail", 4, 0), ("other_org", "fail", 1, 0),
    ("total", "pass", 73, 73), ("research", "pass", 0, 0)])
def test_balance(col, status, left, right):
    c = _status(f"requests.balance.{col}")
    assert (c.status, c.left, c.right) == (status, left, right)


@pytest.mark.parametrize("col,status,left,right", [
    ("natural_person", "fail", 67, 72), ("business", "fail", 4, 0), ("other_org", "fail", 1, 0),
    ("total", "pass", 72, 72)])
def test_outcomes(col, status, left, right):
    c = _status(f"requests.outcomes.{col}")
    assert (c.status, c.left, c.right) == (status, left, right)


def test_row_totals():
    assert _status("requests.row_total.new").status == "pass"
    assert _status("requests.row_total.disclosed").status == "pass"
    assert _status("requests.row_total.withheld_query").status == "not_assessable"
    fails = [c.key for c in R.checks if c.key.startswith("requests.row_total") and c.status != "pass"]
    assert fails == ["requests.row_total.withheld_query"]


def test_appeals_checks_not_assessable():
    for block in ("review", "suit_direct", "suit_after_review"):
        assert _status(f"appeals.{block}_total").status == "not_assessable"


def test_json_output_matches_contract_shape():
    d = R.to_dict()
    assert set(d) == {"source", "title", "report_year", "template", "header", "division", "sections",
                      "cells", "checks", "warnings"}
    cell = next(c for c in d["cells"] if c["row"] == "procurement" and c["col"] == "amount_wan_yuan")
    assert cell["value"] == 26321.25 and cell["raw"] == "26321.25万元"
    assert set(d["checks"][0]) == {"key", "status", "left", "right", "message"}


def test_values_domain_passes_with_signed_changes():
    assert _status("values.domain").status == "pass"
