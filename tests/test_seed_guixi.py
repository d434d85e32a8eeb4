"""Golden test: the user's seed report (Guixi 2019, flattened one cell per line), every cell,
header field, warning and check status read off the file by hand."""
import pytest

from tests import golden
from tests.fixture_pages import parse_fixture

R = parse_fixture("guixi-2019-annual-report.txt")

COLS = ("natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total")
ZERO = (0, 0, 0, 0, 0, 0, 0)
# The hand-read cells, title and header: tests/golden/guixi-2019-annual-report.json.
G = golden.load("guixi-2019-annual-report.txt")
# Rows as published; requests.withheld_query (six zeros for seven columns) is the inferred row.
REQUESTS = golden.rows(G, "requests", COLS, inferred=False)
ACTIVE = {k: (c["value"], c["raw"]) for k, c in golden.by_key(G, "active").items()}
INFERRED = golden.rows(G, "requests", COLS, inferred=True)
(APPEALS_UNASSIGNABLE,) = [u for u in G["unassignable"] if u["table"] == "appeals"]


def test_header_fields():
    h = R.header
    assert set(G["header"]) == {"index_no", "issuer", "doc_no", "subject", "category", "written_date",
                                "published_date"}
    for field, want in G["header"].items():
        assert getattr(h, field) == want, field
    assert G["header_raw"]  # the labels read: 索引号 and the empty 文号
    assert {k: h.raw[k] for k in G["header_raw"]} == G["header_raw"]


def test_issuer_division():
    d = R.division
    assert (d.code, d.province, d.prefecture, d.county, d.level) == ("360681", "江西省", "鹰潭市", "贵溪市", "county")


def test_title_year_template():
    assert R.title == G["title"]
    assert R.report_year == G["report_year"]
    assert R.template == G["template"]
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
    assert set(INFERRED) == {"withheld_query"}
    assert tuple(R.value("requests", "withheld_query", c) for c in COLS) == INFERRED["withheld_query"] == ZERO
    w = [w for w in R.warnings if w.where == "requests.withheld_query"]
    assert [x.code for x in w] == ["row_incomplete"]
    assert w[0].raw == ["0"] * 6


def test_appeals_five_of_fifteen_is_a_warning_not_cells():
    assert not [c for c in R.cells if c.table == "appeals"]
    w = [w for w in R.warnings if w.where == "appeals.all"]
    assert [x.code for x in w] == [APPEALS_UNASSIGNABLE["warning"]] and w[0].raw == APPEALS_UNASSIGNABLE["raw"]


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
