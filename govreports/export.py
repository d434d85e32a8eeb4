"""Export of the store for Excel and statistics packages: CSV (default) or Parquet.

Files, current versions only:
- reports.csv   one row per report: header, counts, failed checks;
- cells.csv     long form, one row per cell (`value` exact, `raw` as published, `inferred`);
- checks.csv    every 勾稽关系 check with both sides;
- warnings.csv  what the parser could not map cleanly, with the raw text;
- wide.csv      one row per report, a column per `table.row.col` (govreports.dictionary);
- columns.csv   the data dictionary of wide.csv: labels of the forms, eras, units;
- warning_codes.csv  what each code of warnings.csv means (govreports.warning_codes).

CSV is UTF-8 with a BOM so Excel opens the Chinese text correctly; numbers are the exact
published values (no float noise), null is an empty field. Text that Excel would run as a
formula gets a leading apostrophe; numeric fields are never altered. Parquet (`fmt="parquet"`,
needs the optional pyarrow) has the same tables with typed columns: counts as int64, amounts
as float64 beside the exact decimal text (`value_exact`, `left_exact`, `right_exact`), dates
as dates, and text as published (no apostrophe: no spreadsheet evaluates Parquet).
"""
from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from itertools import groupby
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Union

from govreports import dictionary, warning_codes
from govreports.progress import Progress
from govreports.store import Store, exact_text

REPORT_COLUMNS = ["url", "title", "report_year", "template", "index_no", "issuer", "written_date",
                  "published_date", "doc_no", "subject", "category", "portal_code", "sha256",
                  "fetched_at", "n_cells", "n_warnings", "warning_codes", "n_checks_failed",
                  "failed_checks", "report_group", "is_primary"]
# is_primary: the one report of its group (issuer and year, govreports.groups) that figures per
# issuer and year count; a report reposted at several URLs is in the files once per URL.
CELL_COLUMNS = ["url", "issuer", "report_year", "template", "table", "row", "col", "value", "raw",
                "inferred", "origin", "is_primary"]
CHECK_COLUMNS = ["url", "issuer", "report_year", "template", "key", "status", "left", "right",
                 "message", "is_primary"]
WARNING_COLUMNS = ["url", "issuer", "report_year", "template", "code", "where", "message", "raw",
                   "is_primary"]
WIDE_ID_COLUMNS = list(dictionary.ID_COLUMNS)
# Columns holding numbers: written as numbers, never neutralised.
NUMERIC_COLUMNS = {"report_year", "n_cells", "n_warnings", "n_checks_failed", "value", "left", "right"}
FORMATS = ("csv", "parquet")
# Parquet only: the exact decimal text beside a float column (a double keeps ~15 digits).
PARQUET_EXACT = {"value": "value_exact", "left": "left_exact", "right": "right_exact"}
_PARQUET_TYPES = {"report_year": "int64", "n_cells": "int64", "n_warnings": "int64",
                  "n_checks_failed": "int64", "value": "float64", "left": "float64",
                  "right": "float64", "inferred": "bool", "is_primary": "bool",
                  "written_date": "date32", "published_date": "date32", "fetched_at": "timestamp"}

# Provincial-level divisions by the first two digits of the GB/T 2260 code. The `province` filter
# of the export takes a name, a short name or a code prefix.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}

# Characters that make Excel (and LibreOffice) read a field as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Sign, digits and separators only: "-12", "+4", "-": Excel reads these as numbers or text,
# never as a formula, and they are what the government published.
_HARMLESS = re.compile(r"[+-]?[\d.,]*\Z")


def province_code_prefix(province: str) -> str:
    """The code prefix of a province given by name ("福建省", "福建"), 2-digit or longer code."""
    p = province.strip()
    if p.isdigit():
        return p
    for code, name in PROVINCES.items():
        if len(p) >= 2 and name.startswith(p):
            return code
    raise ValueError(f"unknown province {province!r}: give a name such as 福建省 or a code such as 35")


def neutralise(text: str) -> str:
    """Text Excel would evaluate as a formula, prefixed with an apostrophe so it stays text."""
    if text.startswith(_FORMULA_START) and not _HARMLESS.match(text):
        return "'" + text
    return text


def format_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        # A list of published texts (warnings.raw): JSON keeps each item whole, commas included.
        return json.dumps(list(v), ensure_ascii=False)
    return str(v)


def _csv_row(columns: list[str], row: dict[str, Any], numeric: Collection[str] = NUMERIC_COLUMNS) -> list[str]:
    return [format_value(row.get(c)) if c in numeric else neutralise(format_value(row.get(c)))
            for c in columns]


def _write(path: Path, columns: list[str], rows: Any, numeric: Collection[str] = NUMERIC_COLUMNS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(_csv_row(columns, r, numeric) for r in rows)
    return path


class ExportError(RuntimeError):
    """An export that cannot be made as asked (e.g. Parquet without pyarrow)."""


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401  (the writer is a submodule)
    except ImportError as exc:
        raise ExportError("--format parquet needs the optional package pyarrow "
                          "(pip install pyarrow); CSV needs nothing more") from exc
    return pyarrow


def _arrow_value(v: Any, kind: str) -> Any:
    if v is None:
        return None
    if kind == "float64":
        return float(v)
    if kind == "string":
        return v if isinstance(v, str) else format_value(v)
    return v


def _write_parquet(path: Path, columns: list[str], rows: Any, types: dict[str, str]) -> Path:
    pa = _pyarrow()
    data = list(rows)
    arrow_types = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
                   "date32": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"),
                   "list": pa.list_(pa.string()), "string": pa.string()}
    fields, arrays = [], []
    for c in columns:
        kind = types.get(c, "string")
        fields.append(pa.field(c, arrow_types[kind]))
        arrays.append(pa.array([_arrow_value(r.get(c), kind) for r in data], type=arrow_types[kind]))
    pa.parquet.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), path)
    return path


def _parquet_columns(columns: list[str]) -> list[str]:
    out = []
    for c in columns:
        out.append(c)
        if c in PARQUET_EXACT:
            out.append(PARQUET_EXACT[c])
    return out


def _wide_kind(column: "dictionary.ValueColumn", values: Iterable[Any]) -> str:
    # Counts stay integers; a column with a fraction (an amount, or a count the values.domain
    # check flags) is float64, exact text being in cells.
    if column.unit in dictionary.MONEY_UNITS:
        return "float64"
    return "int64" if all(v is None or isinstance(v, int) for v in values) else "float64"


def report_summary(n_cells: int, warning_codes: list[str], failed_checks: list[str]) -> dict[str, Any]:
    """The counting columns of reports.csv (shared with the crawl's feed export,
    govreports.feedrows)."""
    return {"n_cells": n_cells, "n_warnings": len(warning_codes),
            "warning_codes": ";".join(dict.fromkeys(warning_codes)),
            "n_checks_failed": len(failed_checks), "failed_checks": ";".join(failed_checks)}


def export_csv(db: Union[str, Store], out_dir: Union[str, Path], province: Optional[str] = None,
               year: Optional[int] = None, template: Optional[str] = None) -> dict[str, Path]:
    """Write the CSV files of the current versions into out_dir (see `export`)."""
    return export(db, out_dir, province=province, year=year, template=template, fmt="csv")


def export(db: Union[str, Store], out_dir: Union[str, Path], province: Optional[str] = None,
           year: Optional[int] = None, template: Optional[str] = None,
           fmt: str = "csv", primary_only: bool = False, progress: bool = False) -> dict[str, Path]:
    """Write reports, cells, checks, warnings, wide and columns of the current versions, and the
    list of warning codes, into out_dir, as .csv or .parquet files.

    `db` is a SQLAlchemy URL or an open Store. `primary_only`: one report per issuer and year
    (the primary of each group). `progress`: a progress line with an ETA on stderr while the
    cells are written. Returns {"reports": path, "cells": path, …}.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: {' or '.join(FORMATS)}")
    if fmt == "parquet":
        _pyarrow()  # before any file is written
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = db if isinstance(db, Store) else Store(str(db))
    try:
        filters = dict(year=year, template=template,
                       code_prefix=province_code_prefix(province) if province else None,
                       primary_only=primary_only)
        reports = store.current_reports(**filters)
        by_version = {r["version_id"]: r for r in reports}

        n_cells = store.count_cells(**filters)
        warnings: dict[int, list[str]] = defaultdict(list)
        for vid, w in store.iter_warnings(**filters):
            warnings[vid].append(w.code)
        failed: dict[int, list[str]] = defaultdict(list)
        for vid, c in store.iter_checks(**filters):
            if c.status == "fail":
                failed[vid].append(c.key)

        def report_rows():
            for r in reports:
                vid = r["version_id"]
                yield {**r, **report_summary(n_cells.get(vid, 0), warnings.get(vid, []),
                                             failed.get(vid, []))}

        def context(vid: int) -> dict[str, Any]:
            r = by_version[vid]
            return {k: r[k] for k in ("url", "issuer", "report_year", "template", "is_primary")}

        # The keys present, gathered while cells are written: the wide table's columns need them.
        present: set[tuple[str, str, str]] = set()

        def cell_rows():
            bar = Progress(sum(n_cells.values()), "export cells", unit="cells", enabled=progress)
            with bar:
                yield from _cells_of(bar)

        def _cells_of(bar: Progress):
            for vid, c in store.iter_cells(**filters):
                bar.advance()
                if vid in by_version:  # else it became current during the export
                    present.add((c.table, c.row, c.col))
                    yield {**context(vid), "table": c.table, "row": c.row, "col": c.col,
                           "value": c.value, "value_exact": exact_text(c.value), "raw": c.raw,
                           "inferred": c.inferred, "origin": c.origin}

        def check_rows():
            for vid, c in store.iter_checks(**filters):
                if vid in by_version:
                    yield {**context(vid), "key": c.key, "status": c.status, "left": c.left,
                           "left_exact": exact_text(c.left), "right": c.right,
                           "right_exact": exact_text(c.right), "message": c.message}

        def warning_rows():
            for vid, w in store.iter_warnings(**filters):
                if vid in by_version:
                    yield {**context(vid), "code": w.code, "where": w.where, "message": w.message,
                           "raw": w.raw}

        def write(name: str, columns: list[str], rows: Any, numeric: Collection[str] = NUMERIC_COLUMNS,
                  types: Optional[dict[str, str]] = None) -> Path:
            if fmt == "csv":
                return _write(out / f"{name}.csv", columns, rows, numeric)
            return _write_parquet(out / f"{name}.parquet", _parquet_columns(columns), rows,
                                  {**_PARQUET_TYPES, **(types or {})})

        paths = {"reports": write("reports", REPORT_COLUMNS, report_rows()),
                 "cells": write("cells", CELL_COLUMNS, cell_rows()),
                 "checks": write("checks", CHECK_COLUMNS, check_rows()),
                 "warnings": write("warnings", WARNING_COLUMNS, warning_rows(), types={"raw": "list"})}

        columns = dictionary.wide_columns({r["template"] for r in reports}, present)
        wide = _wide_rows(store.iter_cells(**filters), reports, columns)
        names = [c.name for c in columns]
        types = None
        if fmt == "parquet":
            wide = list(wide)
            types = {c.name: _wide_kind(c, (r.get(c.name) for r in wide)) for c in columns}
        paths["wide"] = write("wide", WIDE_ID_COLUMNS + names, wide, NUMERIC_COLUMNS | set(names), types)
        paths["columns"] = write("columns", list(dictionary.DICTIONARY_COLUMNS),
                                 dictionary.dictionary_rows(columns), numeric=())
        paths["warning_codes"] = write("warning_codes", ["code", "effect", "meaning"],
                                       warning_codes.rows(), numeric=())
        return paths
    finally:
        if store is not db:
            store.close()


def _wide_rows(cells: Iterable[tuple[int, Any]], reports: list[dict[str, Any]],
               columns: list["dictionary.ValueColumn"]) -> Iterable[dict[str, Any]]:
    """One row per report, its cells spread over the value columns.

    Cells come grouped by version in the reports' own order (the store sorts both alike), so this
    streams: a national export never holds every report's cells at once.
    """
    index = {r["version_id"]: i for i, r in enumerate(reports)}
    names = {c.key: c.name for c in columns}

    def row(report: dict[str, Any], group: Iterable[Any]) -> dict[str, Any]:
        out = {k: report[k] for k in WIDE_ID_COLUMNS if k in report}
        inferred = []
        for c in group:
            name = names[(c.table, c.row, c.col)]
            out[name] = c.value
            if c.inferred:
                inferred.append(name)
        out["inferred_cells"] = ";".join(inferred)
        return out

    done = 0
    for vid, group in groupby(cells, key=lambda vc: vc[0]):
        i = index.get(vid)
        if i is None:
            continue  # became current during the export
        if i < done:
            raise RuntimeError(f"cells of version {vid} came out of the reports' order")
        for r in reports[done:i]:
            yield row(r, ())
        yield row(reports[i], (c for _, c in group))
        done = i + 1
    for r in reports[done:]:
        yield row(r, ())
