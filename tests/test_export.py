"""Export: BOM, exact numbers, empty nulls, formula neutralising, current versions, filters; the wide
table and its data dictionary, warnings, and the same tables as Parquet."""
from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from govreports import cli
from govreports.dictionary import DICTIONARY_COLUMNS
from govreports.export import ExportError, export, export_csv, neutralise, province_code_prefix
from govreports.model import Cell, Check, Warning
from govreports.store import Store
from govreports.warning_codes import WARNING_CODES
from tests.test_store import URL, make_page, make_result


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
    assert set(exported) == {"reports", "cells", "checks", "warnings", "wide", "columns", "warning_codes"}
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


# --- wide.csv, columns.csv, warnings.csv, Parquet ------------------------------------------

@pytest.fixture
def two_eras(db_url):
    """A 2019 report (Jiangxi) and a 2021 report (Fujian), with a 0, nulls and an inferred cell."""
    r2019 = make_result()
    r2019.cells.append(Cell("requests", "new", "nonprofit", 0, "0"))
    r2021 = make_result(year=2021, template="2021", issuer="平潭县人民政府")
    r2021.cells = [Cell("requests", "new", "natural_person", 23, "23"),
                   Cell("active", "fees", "amount_wan_yuan", Decimal("24252.311082"), "24252.311082"),
                   Cell("active", "regulations", "issued", 3, "3"),
                   Cell("requests", "other_misc", "total", 1, "1")]
    r2021.warnings = [Warning("local_row", "requests.小计", "=1+2 row", ["=SUM(A1)", "3"])]
    with Store(db_url) as store:
        store.save(make_page(b"a", url="https://jx/2019", portal_code="360681"), r2019)
        store.save(make_page(b"b", url="https://fj/2021", portal_code="350128"), r2021)
    return db_url


def header(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def test_wide_has_one_row_per_report_with_exact_values(two_eras, tmp_path):
    paths = export_csv(two_eras, tmp_path / "out")
    rows = {r["url"]: r for r in read(paths["wide"])}
    assert list(rows) == ["https://fj/2021", "https://jx/2019"]   # the store's order: by portal code
    jx, fj = rows["https://jx/2019"], rows["https://fj/2021"]
    assert (jx["issuer"], jx["portal_code"], jx["report_year"], jx["template"]) == \
        ("贵溪市人民政府", "360681", "2019", "2019")
    assert jx["requests.new.natural_person"] == "64"
    assert jx["requests.new.nonprofit"] == "0"          # published 0
    assert jx["requests.new.business"] == ""            # published "/": null, not 0
    assert jx["requests.new.research"] == ""            # not published at all
    assert jx["active.procurement.amount_wan_yuan"] == "24252.311082"
    assert jx["active.penalty.change"] == "-12"
    assert jx["inferred_cells"] == "requests.carried_over.total"
    assert (jx["is_primary"], fj["is_primary"]) == ("true", "true")
    assert jx["active.fees.amount_wan_yuan"] == ""
    assert fj["active.fees.amount_wan_yuan"] == "24252.311082"
    assert (fj["requests.other_misc.total"], fj["active.regulations.issued"]) == ("1", "3")
    assert fj["inferred_cells"] == ""


def test_wide_columns_are_in_the_forms_order_for_the_exported_eras(two_eras, tmp_path):
    both = header(export_csv(two_eras, tmp_path / "both")["wide"])
    ids = ["url", "issuer", "portal_code", "report_year", "template", "is_primary", "inferred_cells"]
    assert both[:7] == ids
    # Every cell of both forms: 2019 (198) and 2021 (207) share 179 keys.
    assert len(both) == 7 + 226 and len(set(both)) == len(both)
    order = [both.index(c) for c in (
        "active.regulations.made", "active.regulations.issued", "active.procurement.amount_wan_yuan",
        "requests.new.natural_person", "requests.new.business", "requests.new.total",
        "requests.carried_over.natural_person", "requests.other.total", "requests.other_misc.total",
        "requests.carried_forward.total", "appeals.all.review_upheld",
        "appeals.all.suit_after_review_total")]
    assert order == sorted(order)

    only_2021 = header(export_csv(two_eras, tmp_path / "2021", template="2021")["wide"])
    assert "active.regulations.issued" in only_2021 and "active.regulations.made" not in only_2021
    assert "active.fees.amount_wan_yuan" in only_2021 and "active.fees.change" not in only_2021
    only_2019 = header(export_csv(two_eras, tmp_path / "2019", template="2019")["wide"])
    assert "active.regulations.made" in only_2019 and "requests.other_misc.total" not in only_2019
    assert len(only_2019) == 7 + 198


def test_columns_csv_is_the_data_dictionary_of_wide(two_eras, tmp_path):
    paths = export_csv(two_eras, tmp_path / "out")
    rows = read(paths["columns"])
    assert [r["column"] for r in rows] == header(paths["wide"])
    assert all(r["description"] for r in rows)
    d = {r["column"]: r for r in rows}
    new = d["requests.new.natural_person"]
    assert (new["table"], new["row"], new["col"]) == ("requests", "new", "natural_person")
    assert (new["row_label"], new["col_label"]) == ("一、本年新收政府信息公开申请数量", "自然人")
    assert (new["eras"], new["unit"]) == ("2019;2021", "件")
    assert (d["active.fees.amount_wan_yuan"]["eras"], d["active.fees.amount_wan_yuan"]["unit"]) == ("2021", "万元")
    assert d["active.procurement.amount_wan_yuan"]["eras"] == "2019"
    assert d["requests.other_no_correction.total"]["eras"] == "2021"
    assert d["active.regulations.made"]["col_label"] == "本年新制作数量"
    assert "减12 → -12" in d["active.penalty.change"]["description"]
    assert d["appeals.all.review_corrected"]["col_label"] == "行政复议·结果纠正"


def test_warning_codes_csv_explains_the_codes_of_warnings_csv(two_eras, tmp_path):
    paths = export_csv(two_eras, tmp_path / "out")
    codes = {r["code"]: r for r in read(paths["warning_codes"])}
    assert list(codes) == list(WARNING_CODES)
    assert all(r["effect"] and r["meaning"] for r in codes.values())
    # The fixture's warnings: one the parser gives, one only the test data has.
    assert {r["code"] for r in read(paths["warnings"])} == {"row_incomplete", "local_row"}
    assert codes["row_incomplete"]["effect"] == "cells_left_out" and "local_row" not in codes


def test_warnings_csv_keeps_the_raw_text(two_eras, tmp_path):
    rows = read(export_csv(two_eras, tmp_path / "out")["warnings"])
    by_url = {}
    for r in rows:
        by_url.setdefault(r["url"], []).append(r)
    (fj,) = by_url["https://fj/2021"]
    assert (fj["code"], fj["where"], fj["issuer"], fj["report_year"]) == \
        ("local_row", "requests.小计", "平潭县人民政府", "2021")
    assert fj["message"] == "'=1+2 row"
    assert json.loads(fj["raw"]) == ["=SUM(A1)", "3"]
    assert [(r["code"], r["raw"]) for r in by_url["https://jx/2019"]] == [
        ("row_incomplete", '["1", "2"]'), ("local_row", "")]


def test_parquet_has_the_same_tables_typed(two_eras, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    paths = export(two_eras, tmp_path / "pq", fmt="parquet")
    assert {p.suffix for p in paths.values()} == {".parquet"}
    wide = pq.read_table(paths["wide"])
    assert wide.schema.field("requests.new.natural_person").type == "int64"
    assert wide.schema.field("active.fees.amount_wan_yuan").type == "double"
    rows = {r["url"]: r for r in wide.to_pylist()}
    jx = rows["https://jx/2019"]
    assert jx["requests.new.natural_person"] == 64 and type(jx["requests.new.natural_person"]) is int
    assert jx["requests.new.nonprofit"] == 0 and jx["requests.new.business"] is None
    assert jx["active.penalty.change"] == -12
    assert jx["active.procurement.amount_wan_yuan"] == 24252.311082
    assert rows["https://fj/2021"]["active.fees.amount_wan_yuan"] == 24252.311082
    assert wide.column_names == header(export_csv(two_eras, tmp_path / "csv")["wide"])

    cells = {(r["url"], r["table"], r["row"], r["col"]): r for r in pq.read_table(paths["cells"]).to_pylist()}
    amount = cells["https://jx/2019", "active", "procurement", "amount_wan_yuan"]
    assert (amount["value"], amount["value_exact"], amount["raw"]) == \
        (24252.311082, "24252.311082", "24252.311082")
    business = cells["https://jx/2019", "requests", "new", "business"]
    assert (business["value"], business["value_exact"], business["raw"]) == (None, None, "/")
    assert cells["https://jx/2019", "requests", "carried_over", "total"]["inferred"] is True

    (jx_report,) = [r for r in pq.read_table(paths["reports"]).to_pylist() if r["url"] == "https://jx/2019"]
    assert jx_report["report_year"] == 2019 and jx_report["written_date"] == date(2020, 1, 16)
    assert jx_report["fetched_at"] == datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    assert jx_report["failed_checks"] == "requests.row_total.new" and jx_report["n_checks_failed"] == 1

    checks = {(r["url"], r["key"]): r for r in pq.read_table(paths["checks"]).to_pylist()}
    assert checks["https://jx/2019", "requests.balance.total"]["left"] == 73.0
    assert checks["https://jx/2019", "appeals.review_total"]["left"] is None

    (fj_warning,) = [r for r in pq.read_table(paths["warnings"]).to_pylist() if r["url"] == "https://fj/2021"]
    # No apostrophe in Parquet: no spreadsheet evaluates it.
    assert (fj_warning["message"], fj_warning["raw"]) == ("=1+2 row", ["=SUM(A1)", "3"])
    assert pq.read_table(paths["columns"]).column_names == list(DICTIONARY_COLUMNS)


def test_parquet_without_pyarrow_is_a_clear_error(two_eras, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyarrow", None)   # import pyarrow now raises ImportError
    with pytest.raises(ExportError, match="pip install pyarrow"):
        export(two_eras, tmp_path / "out", fmt="parquet")
    assert not (tmp_path / "out").exists()
    assert cli.main(["export", "--out", str(tmp_path / "out"), "--db", two_eras, "--format", "parquet"]) == 2
    assert "needs the optional package pyarrow" in capsys.readouterr().err


def test_cli_export_writes_every_file(two_eras, tmp_path, capsys):
    assert cli.main(["export", "--out", str(tmp_path / "out"), "--db", two_eras, "--province", "福建"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == \
        ["reports", "cells", "checks", "warnings", "wide", "columns", "warning_codes"]
    assert [r["url"] for r in read(tmp_path / "out" / "wide.csv")] == ["https://fj/2021"]
    assert cli.main(["export", "--out", str(tmp_path / "x"), "--db", two_eras, "--province", "火星"]) == 2
