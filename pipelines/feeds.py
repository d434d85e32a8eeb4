"""Feed exporters of the crawl: `scrapy crawl annual_reports -O reports.csv` gives one flat row
per report (registered in FEED_EXPORTERS, govreports/settings.py).

They live beside the item pipelines because they are the other way items leave the crawl. The
spider yields a ReportPage (bytes, document, parse result): the pipelines need all of it, but a
feed of it would be unreadable. These exporters turn each ReportPage into its reports.csv row
(govreports.feedrows) at export time only, so the pipelines still see the whole item. Items of
any other kind pass through unchanged.

- csv: Excel-safe as reports.csv: the BOM comes from FEED_EXPORT_ENCODING = "utf-8-sig";
- json, jsonlines (jsonl, jl): typed values (numbers as numbers, null as null), written in UTF-8
  without a BOM whatever FEED_EXPORT_ENCODING says (a BOM is not valid JSON, and Scrapy's JSON
  exporters would put one before every item).

`-s FEED_EXPORT_FIELDS=url,title,…` (or a feed's `fields`) still selects and orders columns.
"""
from __future__ import annotations

from typing import Any

from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter

from govreports.export import REPORT_COLUMNS
from govreports.feedrows import csv_row, report_row
from govreports.items import ReportPage


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
        return csv_row(page)


class _Utf8Json(_FlatReports):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        if (kwargs.get("encoding") or "").lower().replace("_", "-") == "utf-8-sig":
            kwargs["encoding"] = "utf-8"
        super().__init__(file, **kwargs)


class ReportJsonItemExporter(_Utf8Json, JsonItemExporter):
    pass


class ReportJsonLinesItemExporter(_Utf8Json, JsonLinesItemExporter):
    pass
