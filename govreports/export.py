"""CSV export of the store for Excel and statistics packages: reports.csv, cells.csv, checks.csv.

Current versions only. UTF-8 with a BOM so Excel opens the Chinese text correctly; numbers are the
exact published values (no float noise), null is an empty field. Text that Excel would run as a
formula gets a leading apostrophe; numeric fields are never altered.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Union

from govreports.store import Store

REPORT_COLUMNS = ["url", "title", "report_year", "template", "index_no", "issuer", "written_date",
                  "published_date", "doc_no", "subject", "category", "portal_code", "sha256",
                  "fetched_at", "n_cells", "n_warnings", "warning_codes", "n_checks_failed",
                  "failed_checks"]
CELL_COLUMNS = ["url", "issuer", "report_year", "template", "table", "row", "col", "value", "raw",
                "inferred", "origin"]
CHECK_COLUMNS = ["url", "issuer", "report_year", "template", "key", "status", "left", "right",
                 "message"]
# Columns holding numbers: written as numbers, never neutralised.
NUMERIC_COLUMNS = {"report_year", "n_cells", "n_warnings", "n_checks_failed", "value", "left", "right"}

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
    return str(v)


def _csv_row(columns: list[str], row: dict[str, Any]) -> list[str]:
    return [format_value(row.get(c)) if c in NUMERIC_COLUMNS else neutralise(format_value(row.get(c)))
            for c in columns]


def _write(path: Path, columns: list[str], rows: Any) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(_csv_row(columns, r) for r in rows)
    return path


def export_csv(db: Union[str, Store], out_dir: Union[str, Path], province: Optional[str] = None,
               year: Optional[int] = None, template: Optional[str] = None) -> dict[str, Path]:
    """Write reports.csv, cells.csv and checks.csv of the current versions into out_dir.

    `db` is a SQLAlchemy URL or an open Store. Returns {"reports": path, "cells": path, "checks": path}.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = db if isinstance(db, Store) else Store(str(db))
    try:
        filters = dict(year=year, template=template,
                       code_prefix=province_code_prefix(province) if province else None)
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
                codes = warnings.get(vid, [])
                yield {**r, "n_cells": n_cells.get(vid, 0), "n_warnings": len(codes),
                       "warning_codes": ";".join(dict.fromkeys(codes)),
                       "n_checks_failed": len(failed.get(vid, [])),
                       "failed_checks": ";".join(failed.get(vid, []))}

        def context(vid: int) -> dict[str, Any]:
            r = by_version[vid]
            return {k: r[k] for k in ("url", "issuer", "report_year", "template")}

        def cell_rows():
            for vid, c in store.iter_cells(**filters):
                if vid in by_version:  # else it became current during the export
                    yield {**context(vid), "table": c.table, "row": c.row, "col": c.col,
                           "value": c.value, "raw": c.raw, "inferred": c.inferred, "origin": c.origin}

        def check_rows():
            for vid, c in store.iter_checks(**filters):
                if vid in by_version:
                    yield {**context(vid), "key": c.key, "status": c.status, "left": c.left,
                           "right": c.right, "message": c.message}

        return {"reports": _write(out / "reports.csv", REPORT_COLUMNS, report_rows()),
                "cells": _write(out / "cells.csv", CELL_COLUMNS, cell_rows()),
                "checks": _write(out / "checks.csv", CHECK_COLUMNS, check_rows())}
    finally:
        if store is not db:
            store.close()
