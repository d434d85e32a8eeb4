"""Feed exports of the crawl: `scrapy crawl annual_reports -O reports.csv` gives one flat row per report.

The spider yields a ReportPage (bytes, document, parse result): the pipelines need all of it, but
a feed of it would be unreadable. The exporters here (registered in FEED_EXPORTERS, settings.py)
turn each ReportPage into the row `python -m govreports export` writes to reports.csv, with the
same fixed columns (govreports.export.REPORT_COLUMNS), at export time only, so the pipelines
still see the whole item. Items of any other kind pass through unchanged.

- csv: Excel-safe as reports.csv: the BOM comes from FEED_EXPORT_ENCODING = "utf-8-sig", text
  Excel would run as a formula gets an apostrophe, null is an empty field;
- json, jsonlines (jsonl, jl): typed values (numbers as numbers, null as null), written in UTF-8
  without a BOM whatever FEED_EXPORT_ENCODING says (a BOM is not valid JSON, and Scrapy's JSON
  exporters would put one before every item).

`-s FEED_EXPORT_FIELDS=url,title,…` (or a feed's `fields`) still selects and orders columns.
"""
from __future__ import annotations

from typing import Any

from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter

from govreports.export import (NUMERIC_COLUMNS, REPORT_COLUMNS, format_value, neutralise,
                               report_summary)
from govreports.items import ReportPage
from govreports.model import Header
from govreports.store import sha256_hex


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


class _FlatReports:
    """A ReportPage is exported as its report row; the columns default to REPORT_COLUMNS."""

    def __init__(self, file: Any, **kwargs: Any) -> None:
        if not kwargs.get("fields_to_export"):
            kwargs["fields_to_export"] = list(REPORT_COLUMNS)
        super().__init__(file, **kwargs)

    def flatten(self, page: ReportPage) -> dict[str, Any]:
        return report_row(page)

    def export_item(self, item: Any) -> Any:
        if isinstance(item, ReportPage):
            item = self.flatten(item)
        return super().export_item(item)


class ReportCsvItemExporter(_FlatReports, CsvItemExporter):
    def flatten(self, page: ReportPage) -> dict[str, str]:
        row = report_row(page)
        return {c: format_value(row.get(c)) if c in NUMERIC_COLUMNS
                else neutralise(format_value(row.get(c))) for c in REPORT_COLUMNS}


class _Utf8Json(_FlatReports):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        if (kwargs.get("encoding") or "").lower().replace("_", "-") == "utf-8-sig":
            kwargs["encoding"] = "utf-8"
        super().__init__(file, **kwargs)


class ReportJsonItemExporter(_Utf8Json, JsonItemExporter):
    pass


class ReportJsonLinesItemExporter(_Utf8Json, JsonLinesItemExporter):
    pass
