"""CSV export: BOM, exact numbers, empty nulls, formula neutralising, current versions, filters."""
from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from govreports.export import export_csv, neutralise, province_code_prefix
from govreports.model import Cell, Check
from govreports.store import Store
from tests.test_store import URL, db_url, make_page, make_result  # noqa: F401  (db_url is a fixture)


def read(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def exported(db_url, tmp_path):
    result = make_result(title="=HYPERLINK(\"http://evil\",\"年报\")")
    result.cells.append(Cell("active", "fees", "change", -3, "-3"))
    result.cells.append(Cell("requests", "new", "research", None, "-"))
    result.checks.append(Check("requests.outcomes.total", "fail", Decimal("1.5"), -2, "@SUM(A1) differs"))
    with Store(db_url) as store:
        store.save(make_page(), result)
        paths = export_csv(store, tmp_path / "out")
    return paths


def test_files_are_utf8_with_bom_and_excel_line_ends(exported):
    assert set(exported) == {"reports", "cells", "checks"}
    for path in exported.values():
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_cells_have_exact_values_and_empty_nulls(exported):
    cells = {(r["table"], r["row"], r["col"]): r for r in read(exported["cells"])}
    assert len(cells) == 7
    assert cells["requests", "new", "natural_person"]["value"] == "64"
    assert cells["active", "procurement", "amount_wan_yuan"]["value"] == "24252.311082"
    assert cells["requests", "new", "business"]["value"] == ""
    assert cells["active", "penalty", "change"]["value"] == "-12"
    assert cells["active", "penalty", "change"]["raw"] == "减12"
    # Published text that is only a sign and digits is left as published.
    assert cells["active", "fees", "change"]["raw"] == "-3"
    assert cells["requests", "new", "research"]["raw"] == "-"
    inferred = cells["requests", "carried_over", "total"]
    assert (inferred["inferred"], inferred["origin"]) == ("true", "text")
    row = cells["requests", "new", "natural_person"]
    assert (row["url"], row["issuer"], row["report_year"], row["template"]) == \
        (URL, "贵溪市人民政府", "2019", "2019")


def test_reports_row_summarises_the_current_version(exported):
    (r,) = read(exported["reports"])
    # Excel would run this title as a formula; the apostrophe keeps it text.
    assert r["title"] == "'=HYPERLINK(\"http://evil\",\"年报\")"
    assert (r["report_year"], r["template"], r["portal_code"]) == ("2019", "2019", "360681")
    assert (r["index_no"], r["written_date"], r["published_date"]) == ("Y01000/2020-14842", "2020-01-16", "")
    assert r["n_cells"] == "7" and r["n_warnings"] == "2"
    assert r["warning_codes"] == "row_incomplete;local_row"
    assert r["n_checks_failed"] == "2"
    assert r["failed_checks"] == "requests.row_total.new;requests.outcomes.total"
    assert len(r["sha256"]) == 64 and r["fetched_at"] == "2024-05-01T08:00:00+00:00"


def test_checks_keep_both_sides_and_neutralise_text(exported):
    checks = {r["key"]: r for r in read(exported["checks"])}
    assert (checks["requests.balance.total"]["left"], checks["requests.balance.total"]["right"]) == ("73", "73")
    assert (checks["appeals.review_total"]["left"], checks["appeals.review_total"]["status"]) == ("", "not_assessable")
    failed = checks["requests.outcomes.total"]
    assert (failed["left"], failed["right"]) == ("1.5", "-2")
    assert failed["message"] == "'@SUM(A1) differs"


@pytest.mark.parametrize("text,expected", [
    ("=1+1", "'=1+1"), ("+86 10 1234", "'+86 10 1234"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"),
    ("\t=x", "'\t=x"), ("-12", "-12"), ("+4", "+4"), ("-", "-"), ("1,234.5", "1,234.5"),
    ("贵溪市", "贵溪市"), ("", "")])
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_only_current_versions_are_exported(db_url, tmp_path):
    with Store(db_url) as store:
        store.save(make_page(b"v1"), make_result(new_natural=64))
        store.save(make_page(b"v2"), make_result(new_natural=70))
    # A URL works as well as an open Store.
    paths = export_csv(db_url, tmp_path / "out")
    assert len(read(paths["reports"])) == 1
    values = [r["value"] for r in read(paths["cells"]) if (r["row"], r["col"]) == ("new", "natural_person")]
    assert values == ["70"]
    assert len(read(paths["checks"])) == 3


def test_filters_by_province_year_and_template(db_url, tmp_path):
    with Store(db_url) as store:
        store.save(make_page(b"a", url="https://jx/1", portal_code="360681"), make_result(year=2019))
        store.save(make_page(b"b", url="https://fj/1", portal_code="350128"),
                   make_result(year=2021, template="2021", issuer="平潭综合实验区管委会"))
        for kw, urls in [({"province": "福建省"}, ["https://fj/1"]), ({"province": "江西"}, ["https://jx/1"]),
                         ({"province": "35"}, ["https://fj/1"]), ({"year": 2019}, ["https://jx/1"]),
                         ({"template": "2021"}, ["https://fj/1"]), ({"year": 2019, "province": "福建"}, [])]:
            paths = export_csv(store, tmp_path / "out", **kw)
            assert [r["url"] for r in read(paths["reports"])] == urls, kw
            assert sorted({r["url"] for r in read(paths["cells"])}) == urls, kw


def test_province_names_and_codes():
    assert province_code_prefix("内蒙古") == "15"
    assert province_code_prefix("350128") == "350128"
    with pytest.raises(ValueError, match="unknown province"):
        province_code_prefix("火星省")
