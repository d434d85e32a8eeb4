"""Readers for Excel attachments: XLSX with openpyxl, legacy XLS (BIFF) with xlrd.

Each sheet with content is one table: the sheet name as a `para`, then its rows that have a cell
of their own with text, one `cell` per cell, `row_end` after each row and `table_end` after the
sheet. A merged region is read once: its top-left cell gives the text; the region's other cells
in its first row are dropped (a horizontal merge is one cell, as a colspan is in HTML); in its
later rows the region's first column is emitted again with that text as `inherited=True` (as a
rowspan is), the other columns dropped. Columns run from the sheet's first to its last column
with content, so an empty cell between two filled ones is an empty `cell`.

Values: a number that is whole is written without a decimal point (12.0 → "12"), another float
as its shortest repr (2315.47); a date as ISO 8601; an error (#DIV/0!) or nothing as "". Formulas
give the value Excel cached when the file was saved (openpyxl data_only=True); a file written by
a library that never computed them has none, so such a cell is "" (not the formula text).
The title candidate is the document property Title (docProps/core.xml; an XLS's OLE2
SummaryInformation, read with olefile).
Text is whitespace-cleaned and a cell's lines are joined without a separator (商业 / 企业 is
商业企业), as in the other readers.

Untrusted files. An XLSX is a ZIP read with openpyxl's full (not read-only) mode, needed for the
merged ranges, so the archive is first checked by the DOCX reader's `_check_archive` with the
same limits (parts, sizes, compression ratio, no DTD). A sheet whose content box would be more
than MAX_GRID cells is skipped with a `too_large` warning. An XLS is bounded by the body size
limit (documents.MAX_BYTES_DEFAULT); xlrd reads it whole. A broken file is an `unreadable`
warning, never an exception. An HTML table served as .xls (a common portal export) is read by
the HTML reader; an XLSX under an .xls name by the XLSX reader.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from typing import Any, Iterable, Optional

from govreports.documents import (CELL, PARA, ROW_END, TABLE_END, XLS, XLSX, Document, Token,
                                  register)
from govreports.normalize import clean, join_pieces

# Rows with content × the width of the content box, per sheet; a report's table 三 is ~30 × 10.
MAX_GRID = 200_000


def cell_text(value: Any) -> str:
    """The text of one spreadsheet value (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = ""
    for line in re.split(r"\r\n|\r|\n", str(value)):
        text = join_pieces(text, clean(line))
    return text


def _emit_sheet(name: str, values: dict[tuple[int, int], str],
                merges: Iterable[tuple[int, int, int, int]], table_no: int, doc: Document) -> bool:
    """Tokens for one sheet. `values`: (row, col) → text, non-empty only; `merges`: inclusive
    (first row, first col, last row, last col). False if the sheet has nothing to emit."""
    # Each covered position → the top-left of its region; the top-left itself is not covered.
    cover: dict[tuple[int, int], tuple[int, int]] = {}
    boxes = []
    for r0, c0, r1, c1 in merges:
        if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_GRID:
            continue  # a merge over a whole column or sheet is formatting, not a cell
        boxes.append((r0, c0, r1, c1))
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    cover[(r, c)] = (r0, c0)
    own = {rc: t for rc, t in values.items() if rc not in cover}
    if not own:
        return False
    rows = sorted({r for r, _ in own})
    first_col = min(c for _, c in own)
    last_col = max([c for _, c in own] + [c1 for r0, c0, r1, c1 in boxes if (r0, c0) in own])
    if len(rows) * (last_col - first_col + 1) > MAX_GRID:
        doc.warn("too_large", "source", f"the sheet {name!r} has {len(rows)} rows over "
                 f"{last_col - first_col + 1} columns (limit {MAX_GRID} cells); not read")
        return False
    tokens = doc.tokens
    tokens.append(Token(PARA, clean(name)))
    for row_no, r in enumerate(rows):
        for c in range(first_col, last_col + 1):
            top = cover.get((r, c))
            if top is None:
                tokens.append(Token(CELL, own.get((r, c), ""), table_no, row_no))
            elif top[0] < r and top[1] == c:
                tokens.append(Token(CELL, own.get(top, ""), table_no, row_no, inherited=True))
        tokens.append(Token(ROW_END, table_no=table_no, row_no=row_no))
    tokens.append(Token(TABLE_END, table_no=table_no))
    return True


# ---------------------------------------------------------------- XLSX
def read_xlsx(body: bytes, url: Optional[str], headers: dict) -> Document:
    from govreports.docx import _check_archive

    doc = Document(media_type=XLSX, url=url)
    refused = _check_archive(body, main_part="xl/workbook.xml", kind="XLSX", what="an Excel workbook")
    if refused:
        doc.warn(refused[0], "source", refused[1])
        return doc
    import openpyxl  # imported here: a missing library disables XLSX only

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Data Validation extension is not supported" etc.
            book = openpyxl.load_workbook(io.BytesIO(body), read_only=False, data_only=True)
    except Exception as exc:
        doc.warn("unreadable", "source", f"the XLSX could not be opened: {type(exc).__name__}: {exc}")
        return doc
    tables = 0
    for ws in book.worksheets:  # chartsheets have no cells
        # The cells the file has (openpyxl's full mode keeps them in `_cells`): iterating the
        # sheet's dimensions instead would create every cell of a box a stray format widened.
        values = {}
        for (r, c), cell in ws._cells.items():
            text = cell_text(cell.value)
            if text:
                values[(r, c)] = text
        merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
        if _emit_sheet(ws.title, values, merges, tables, doc):
            tables += 1
    try:
        title = clean(book.properties.title or "")
    except Exception:
        title = ""
    doc.title_candidates = [title] if title else []
    return doc


# ---------------------------------------------------------------- XLS
def read_xls(body: bytes, url: Optional[str], headers: dict) -> Document:
    head = body[:4096]
    if head.startswith(b"PK\x03\x04"):
        return read_xlsx(body, url, headers)
    if not head.startswith(b"\xd0\xcf\x11\xe0") and re.search(
            rb"(?i)<(?:!doctype\s+html|html|body|table)[\s>]", head):
        from govreports.html import read_html
        doc = read_html(body, url, headers)
        doc.meta["served_as"] = XLS
        return doc
    doc = Document(media_type=XLS, url=url)
    import xlrd  # imported here: a missing library disables XLS only

    try:
        try:
            book = xlrd.open_workbook(file_contents=body, formatting_info=True, on_demand=False,
                                      logfile=io.StringIO())
        except NotImplementedError:  # formatting_info is not supported for this BIFF version
            book = xlrd.open_workbook(file_contents=body, on_demand=False, logfile=io.StringIO())
    except Exception as exc:
        doc.warn("unreadable", "source", f"the XLS could not be read: {type(exc).__name__}: {exc}")
        return doc
    tables = 0
    for sheet in book.sheets():
        values = {}
        for r in range(sheet.nrows):
            for c, cell in enumerate(sheet.row(r)):
                value = cell.value
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        value = xlrd.xldate_as_datetime(value, book.datemode)
                    except Exception:
                        pass
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    value = None
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                text = cell_text(value)
                if text:
                    values[(r + 1, c + 1)] = text
        # xlrd's merges are half-open (rlo, rhi, clo, chi), zero-based.
        merges = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sheet.merged_cells
                  if rhi > rlo and chi > clo]
        if _emit_sheet(sheet.name, values, merges, tables, doc):
            tables += 1
    title = _ole_title(body)
    doc.title_candidates = [title] if title else []
    return doc


def _ole_title(body: bytes) -> str:
    """The workbook's title from its OLE2 SummaryInformation (xlrd does not read it), as the
    XLSX reader takes it from docProps/core.xml."""
    from govreports.doc import ole_title, open_ole
    try:
        ole = open_ole(body)
    except Exception:  # xlrd read the workbook; a container olefile refuses only loses the title
        return ""
    try:
        return ole_title(ole)
    finally:
        ole.close()


@register(XLSX)
def _xlsx_factory():
    return read_xlsx


@register(XLS)
def _xls_factory():
    return read_xls
