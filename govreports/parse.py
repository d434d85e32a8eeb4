"""The one parse path shared by the CLI, the pipelines and the tests.

bytes -> Document (decoded, structured: header candidates, title candidates, a token stream of
paragraphs and table cells) -> header -> tables (cells, template era, warnings) -> checks.
Each step is a function the matching pipeline calls; `parse_page` runs them all.
"""
from __future__ import annotations

import hashlib
from typing import Optional

from govreports import checks, header, tables
from govreports.documents import Document, read_document
from govreports.items import ReportPage, listing_header
from govreports.model import Division, ParseResult, Source


def read(page: ReportPage) -> Document:
    """Decode and structure the page, and its attachments (whose tables may hold the numbers)."""
    return read_document(page.body, url=page.url, headers=page.headers, path=page.path,
                         attachments=page.attachments)


def start(page: ReportPage) -> tuple[Document, ParseResult]:
    """Read the page and open its result, carrying over what reading it warned about."""
    doc = read(page)
    # What the portal's list said about the page (gkmlpt's JSON) fills gaps in its own header.
    doc.header_pairs.extend(listing_header(page.headers))
    result = ParseResult(source=Source(
        url=page.url if not page.path else None, path=page.path,
        sha256=hashlib.sha256(page.body).hexdigest(),
        encoding=doc.encoding, media_type=doc.media_type))
    result.warnings.extend(doc.warnings)
    return doc, result


def extract_header(doc: Document, result: ParseResult, title_hint: Optional[str] = None,
                   portal_code: Optional[str] = None) -> None:
    header.extract(doc, result, title_hint=title_hint)
    result.division = locate_issuer(result, portal_code)


def locate_issuer(result: ParseResult, portal_code: Optional[str] = None) -> Optional[Division]:
    """The issuer's division from 发文机关 or the title; the registry's code only breaks ties."""
    from govreports import divisions  # loads the division table on first use only
    found = divisions.locate(result.header.issuer, result.title, hint_code=portal_code)
    if found is None:
        return None
    return Division(code=found.code, province=found.province, prefecture=found.prefecture,
                    county=found.county, level=found.level, matched_text=found.matched_text)


def extract_tables(doc: Document, result: ParseResult) -> None:
    tables.extract(doc, result)


def run_checks(result: ParseResult) -> None:
    result.checks = checks.run(result)


def parse_page(page: ReportPage) -> ParseResult:
    doc, result = start(page)
    extract_header(doc, result, title_hint=page.title_hint, portal_code=page.portal_code)
    extract_tables(doc, result)
    run_checks(result)
    return result
