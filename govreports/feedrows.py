"""A crawled report as its reports.csv row: what the crawl's feed export writes for each
ReportPage (pipelines/feeds.py), with the fixed columns `python -m govreports export` gives
reports.csv (govreports.export.REPORT_COLUMNS).

`report_row` keeps values typed (numbers as numbers, null as None) for JSON feeds; `csv_row`
writes them as reports.csv does: Excel-safe, text Excel would run as a formula gets an
apostrophe, null is an empty field.
"""
from __future__ import annotations

from typing import Any

from govreports.export import (NUMERIC_COLUMNS, REPORT_COLUMNS, format_value, neutralise,
                               report_summary)
from govreports.items import ReportPage
from govreports.model import Header
from govreports.packing import sha256_hex


def report_row(page: ReportPage) -> dict[str, Any]:
    """A fetched (and parsed, if the pipelines ran) report as its reports.csv row, typed."""
    result = page.result
    header = result.header if result is not None else Header()
    # Every column present, null where the crawl cannot know it (what only the store decides).
    row: dict[str, Any] = dict.fromkeys(REPORT_COLUMNS)
    row.update({
        "url": page.url, "portal_code": page.portal_code, "sha256": sha256_hex(page.body),
        "fetched_at": page.fetched_at,
        "index_no": header.index_no, "issuer": header.issuer, "written_date": header.written_date,
        "published_date": header.published_date, "doc_no": header.doc_no,
        "subject": header.subject, "category": header.category,
    })
    if result is None:
        return {**row, **report_summary(0, [], [])}
    return {**row, "title": result.title, "report_year": result.report_year,
            "template": result.template,
            **report_summary(len(result.cells), [w.code for w in result.warnings],
                             [c.key for c in result.checks if c.status == "fail"])}


def csv_row(page: ReportPage) -> dict[str, str]:
    """report_row as the text of reports.csv's fields."""
    row = report_row(page)
    return {c: format_value(row.get(c)) if c in NUMERIC_COLUMNS
            else neutralise(format_value(row.get(c))) for c in REPORT_COLUMNS}
