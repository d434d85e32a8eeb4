"""The table mapper: from a Document's token stream to canonical cells of `active`, `requests`
and `appeals`, plus the template era and the warnings.

Cells are mapped by their labels (templates.py), never by the position of numbers in the page:
a row opens at its label and takes the values up to the next label or the end of its table row
(numbers are never carried across a label). A row with the expected number of values is assigned
in the form's column order; an empty row is null; a row with some values missing is filled only
when the identities leave one answer (flagged `inferred`), and otherwise kept as a
`row_incomplete` warning holding the raw values (templates.md §7.1).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Optional

from govreports import legacy, prose, sections, sources
from govreports.documents import CELL, LINE, PARA, ROW_END, TABLE_END, Document
from govreports.model import Cell, ParseResult
from govreports.normalize import CACHED_CHARS, clean, norm, strip_numbering
from govreports.numbers import parse_cell
from govreports.templates import (
    ACTIVE_BLOCK_COLUMNS, ACTIVE_COLUMN_INDEX, ACTIVE_EXTRA_ROW_PHRASES,
    ACTIVE_HEADER_FIRST, ACTIVE_ROW_INDEX, APPEAL_COLUMN_KEYS, ERA_SIGNALS,
    OTHER_2021, REQUEST_COLUMN_INDEX, REQUEST_COLUMN_KEYS, REQUEST_GROUP_INDEX,
    REQUEST_NOTE_PHRASES, REQUEST_ROW_INDEX, REQUEST_ROWS, SECTION_TABLES, Label)

_BLOCK_ITEM = re.compile(r"第(?:二十|20)条第\(?([一二三四五六七八九十\d]+)\)?项")
_ITEM_KEYS = {"一": "art20_1", "1": "art20_1", "五": "art20_5", "5": "art20_5", "六": "art20_6",
              "6": "art20_6", "八": "art20_8", "8": "art20_8", "九": "art20_9", "9": "art20_9"}
# One search per era instead of one `in` per phrase: this runs on every token of the tables.
_ERA_PATTERNS = {era: re.compile("|".join(map(re.escape, phrases))) for era, phrases in ERA_SIGNALS.items()}
# A token of ASCII digits alone holds no phrase of either era (so the mapper's digit fast path
# skips the era count), as long as no phrase is itself all digits.
_INERT_DIGITS = not any(p.isascii() and p.isdigit() for ps in ERA_SIGNALS.values() for p in ps)


@lru_cache(maxsize=16384)
def _era_hits(normed: str) -> tuple[str, ...]:
    """The eras whose phrases a normalised label holds (labels recur in every report)."""
    return tuple(era for era, pattern in _ERA_PATTERNS.items() if pattern.search(normed))


# Marks a block header that named one column twice (see _active_label).
_BAD_HEADER = "__bad_header__"
_TRAILING_DIGITS = re.compile(r"\d{3,}(?:\.\d+)?(?:万元|元)?$")
_PAREN_TAIL = re.compile(r"\([^()]*\)$")


@dataclass
class Row:
    """A row being read: its label, its key once matched, the raw values in order."""
    table: str
    label: str
    key: Optional[str] = None
    group: str = ""
    values: list[str] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    columns: tuple[str, ...] = ()


@dataclass
class Mapped:
    cells: list[Cell] = field(default_factory=list)
    warnings: list[tuple[str, str, str, Optional[list[str]]]] = field(default_factory=list)
    signals: dict[str, int] = field(default_factory=lambda: {"2019": 0, "2021": 0})
    consumed: set[int] = field(default_factory=set)
    tables_seen: set[str] = field(default_factory=set)

    def warn(self, code: str, where: str, message: str, raw: Optional[list[str]] = None) -> None:
        self.warnings.append((code, where, message, raw))

    def cells_in(self, table: str) -> bool:
        return table in self.tables_seen or any(c.table == table for c in self.cells)


def _own(text: str) -> str:
    return _own_short(text) if len(text) <= CACHED_CHARS else strip_numbering(norm(text))


def _unparenthesised(own: str) -> str:
    """A label without an instruction appended in brackets (规章（设区的市…提供相关数据）)."""
    return _unparenthesised_short(own) if len(own) <= CACHED_CHARS else _unparenthesised_of(own)


def _unparenthesised_of(own: str) -> str:
    while _PAREN_TAIL.search(own) and len(_PAREN_TAIL.sub("", own)) >= 2:
        own = _PAREN_TAIL.sub("", own)
    return own


# Row labels recur in every report of a form: each is worked out once.
_own_short = lru_cache(maxsize=16384)(lambda text: strip_numbering(norm(text)))
_unparenthesised_short = lru_cache(maxsize=16384)(_unparenthesised_of)


class _Mapper:
    def __init__(self, doc: Document):
        self.doc = doc
        self.out = Mapped()
        self.table: Optional[str] = None
        self.row: Optional[Row] = None
        self.emitted: dict[tuple[str, str], list[Cell]] = {}
        # active
        self.block: Optional[str] = None
        self.active_columns: list[str] = []
        self.in_active_header = False
        # requests
        self.started = False
        self.in_request_header = False
        self.group = ""
        self.pending_group_row: Optional[Row] = None

    # ------------------------------------------------------------------ driver
    def run(self) -> Mapped:
        for i, tok in enumerate(self.doc.tokens):
            if tok.kind in (ROW_END, TABLE_END):
                if self.table != "appeals" or (self.row and self.row.values):
                    self._close_row()
                continue
            if tok.inherited:
                continue
            text = tok.text
            if tok.kind != PARA and _INERT_DIGITS and text.isdigit() and text.isascii():
                # Plain digits, most cells of a table: no heading, no label, no era signal, and
                # a value as it stands (what the general path below does with them, cheaper).
                if self.row is not None:
                    self.row.values.append(text)
                    self.row.tokens.append(i)
                    self.out.consumed.add(i)
                elif self.table == "appeals":
                    self.row = Row("appeals", "", "all", values=[text], tokens=[i])
                    self.out.consumed.add(i)
                continue
            if tok.kind in (PARA, LINE):
                found = sections.heading_no(text)
                if found:
                    self._close_row()
                    self._enter(SECTION_TABLES.get(found[0]))
                    continue
            if tok.kind == PARA and len(text) > CACHED_CHARS and not self._may_detect():
                # A long paragraph is normalised only where it could open a table (its norm()
                # is not cached and is all _detect_table would use it for).
                n = None
            else:
                n = norm(text)
                self._detect_table(text, n)
            if self.table is None:
                continue
            if tok.kind != PARA:
                # A paragraph is prose (HTML, DOCX): "本年新制作并公开规范性文件8件" in a 2021
                # report names no column of its tables.
                self._count_signals(text, n)
            parsed = parse_cell(text) if tok.kind != PARA else None
            if parsed is not None and parsed.is_value and (tok.kind == CELL or text.strip()):
                if self.row is not None:
                    self.row.values.append(clean(text))
                    self.row.tokens.append(i)
                    self.out.consumed.add(i)
                elif self.table == "appeals":
                    self.row = Row("appeals", "", "all", values=[clean(text)], tokens=[i])
                    self.out.consumed.add(i)
                continue
            if tok.kind == PARA:
                self._close_row()
                continue
            if self._label(text, i):
                self.out.consumed.add(i)
        self._close_row()
        self._flush_group_row()
        return self.out

    def _enter(self, table: Optional[str]) -> None:
        self.table = table
        if table:
            self.out.tables_seen.add(table)
        self.block, self.active_columns, self.in_active_header = None, [], False
        self.started, self.in_request_header, self.group = False, False, ""

    def _detect_table(self, text: str, n: Optional[str] = None) -> None:
        """Tables found by their own labels where the section headings are missing."""
        n = norm(text) if n is None else n
        if self.table != "active" and _BLOCK_ITEM.search(n) and not self.out.cells_in("active"):
            self._close_row()
            self._enter("active")
        elif self.table != "requests" and "本年新收" in n and not self.out.cells_in("requests"):
            self._close_row()
            self._enter("requests")
        elif self.table != "appeals" and n == "结果维持" and self.table in ("requests", None) \
                and self.out.cells_in("requests"):
            self._close_row()
            self._enter("appeals")

    def _may_detect(self) -> bool:
        """Whether _detect_table could switch tables from here, whatever the text: its
        conditions without their text tests."""
        table, out = self.table, self.out
        return (table != "active" and not out.cells_in("active")) \
            or (table != "requests" and not out.cells_in("requests")) \
            or (table != "appeals" and table in ("requests", None) and out.cells_in("requests"))

    def _count_signals(self, text: str, n: Optional[str] = None) -> None:
        for era in _era_hits(norm(text) if n is None else n):
            self.out.signals[era] += 1

    # ------------------------------------------------------------------ labels
    def _label(self, text: str, i: int) -> bool:
        if self.table == "active":
            return self._active_label(text, i)
        if self.table == "requests":
            return self._request_label(text, i)
        if self.table == "appeals":
            if self.row is not None and self.row.values:
                self._close_row()
            return True
        return False

    def _open(self, row: Row, i: int) -> None:
        self._close_row()
        row.tokens.append(i)
        self.row = row

    def _active_label(self, text: str, i: int) -> bool:
        n = norm(text)
        own = _own(text)
        m = _BLOCK_ITEM.search(n)
        if m:
            self._close_row()
            self.block = _ITEM_KEYS.get(m.group(1))
            self.active_columns, self.in_active_header = [], False
            return True
        if own.startswith(ACTIVE_HEADER_FIRST):
            self._close_row()
            self.active_columns, self.in_active_header = [], True
            return True
        row = ACTIVE_ROW_INDEX.match(_unparenthesised(own)) or ACTIVE_ROW_INDEX.match(own)
        if row is not None and row.key == "regulations" and "规范性" in own:
            row = ACTIVE_ROW_INDEX.match("规范性文件")
        if row is not None and not any(p in own for p in ACTIVE_EXTRA_ROW_PHRASES):
            self.in_active_header = False
            block = row.group
            if self.block and self.block != block:
                self.out.warn("row_out_of_block", f"active.{row.key}",
                              f"row {text!r} found under block {self.block}")
            self.block = block
            self._open(Row("active", text, row.key, block, columns=self._columns_for(block)), i)
            self._check_concatenated(text, own, row.phrases)
            return True
        if self.in_active_header:
            col = ACTIVE_COLUMN_INDEX.match(own)
            if col is not None:
                if col.key in self.active_columns:
                    # Two header cells of one meaning: which value belongs to which cannot be
                    # told, so the block's rows are kept as warnings, not cells.
                    self.out.warn("header_duplicate_column", f"active.{self.block or '?'}",
                                  f"column {text!r} appears twice in the block's header", [text])
                    self.active_columns.append(_BAD_HEADER)
                else:
                    self.active_columns.append(col.key)
                return True
        # A row the form does not have (Hubei's 其他主动公开文件): read it, keep it as a warning.
        self._open(Row("active", text, None, self.block or ""), i)
        return True

    def _columns_for(self, block: str) -> tuple[str, ...]:
        if _BAD_HEADER in self.active_columns:
            return ()
        if self.active_columns:
            return tuple(self.active_columns)
        era = "2021" if self.out.signals["2021"] > self.out.signals["2019"] else "2019"
        return ACTIVE_BLOCK_COLUMNS[era].get(block) or ACTIVE_BLOCK_COLUMNS["2019"].get(block, ())

    def _request_label(self, text: str, i: int) -> bool:
        own = _own(text)
        if any(p in own for p in REQUEST_NOTE_PHRASES):
            return True
        bare = _unparenthesised(own)
        column = REQUEST_COLUMN_INDEX.match(bare)
        row = REQUEST_ROW_INDEX.match(own) or REQUEST_ROW_INDEX.match(bare)
        if row is not None and row.key == "other_misc" and self.group != "other_group":
            row = None
        if own in ("申请人情况", "法人或其他组织") or (column is not None and (
                not self.started or self.in_request_header or row is None)):
            # The column header (again, where a page break repeated it).
            self._close_row()
            self.in_request_header = True
            return True
        if row is None:
            group = REQUEST_GROUP_INDEX.match(bare)
            if group is not None:
                self._close_row()
                self.group = group.key
                return True
            row = _near_row(text, self.group) if self.started else None
            if row is None:
                if self.started:
                    self._open(Row("requests", text, None, self.group), i)
                return True
            self.out.warn("label_variant", f"requests.{row.key}",
                          f"row label {text!r} read as {row.label!r}: same group and number, "
                          f"wording mostly the same (a typo in the source)", [text])
        if row.key == "new":
            self.started = True
        if not self.started:
            return True
        self.in_request_header = False
        if row.group:
            self.group = row.group if row.key != "other" else "other_group"
        self._open(Row("requests", text, row.key, row.group, columns=REQUEST_COLUMN_KEYS), i)
        self._check_concatenated(text, own, row.phrases)
        return True

    def _check_concatenated(self, text: str, own: str, phrases: tuple[str, ...]) -> None:
        """Digits run into the label (一、本年新收…申请数量640020470): no cell can be told apart."""
        if _TRAILING_DIGITS.search(own) and not any(own.endswith(p) for p in phrases):
            where = f"{self.row.table}.{self.row.key}"
            self.out.warn("cells_concatenated", where,
                          f"numbers run together with the label {text!r}; nothing extracted", [text])
            self.row.key = "__skip__"

    # ------------------------------------------------------------------ rows
    def _close_row(self) -> None:
        row, self.row = self.row, None
        if row is None:
            return
        if row.table == "requests" and row.key == "other" and not row.values:
            # （六）其他处理 with no numbers: a 2021 group heading, unless no sub-row follows.
            self._flush_group_row()
            self.pending_group_row = row
            self.group = "other_group"
            return
        if row.table == "requests" and row.key in OTHER_2021:
            self.pending_group_row = None
        else:
            self._flush_group_row()
        self._emit(row)

    def _flush_group_row(self) -> None:
        row, self.pending_group_row = self.pending_group_row, None
        if row is not None:
            self._emit(row)

    def _emit(self, row: Row) -> None:
        if row.key == "__skip__":
            return
        if row.key is None:
            if row.values:
                self.out.warn("extra_row", f"{row.table}.{row.group or '?'}",
                              f"row {row.label!r} is not on the official form; kept here, not stored "
                              f"as a cell", row.values)
            return
        if row.table == "appeals":
            row.columns = APPEAL_COLUMN_KEYS
        where = f"{row.table}.{row.key}"
        expected = len(row.columns)
        if not expected:
            self.out.warn("columns_unknown", where, f"no usable column header for {row.label!r}",
                          row.values)
            return
        if (row.table, row.key) in self.emitted:
            previous = self.emitted[(row.table, row.key)]
            if row.values and all(c.value is None for c in previous):
                # Forgotten as well as removed: this row may end as a warning, not as cells,
                # and a third copy must not remove the first again.
                del self.emitted[(row.table, row.key)]
                for c in previous:
                    self.out.cells.remove(c)
            else:
                if row.values:
                    self.out.warn("duplicate_row", where, f"row {row.label!r} appears twice; the first "
                                  f"is kept", row.values)
                return
        values = row.values
        if len(values) == expected:
            cells = self._cells(row, values)
        elif not values:
            cells = [Cell(row.table, row.key, col, None, "") for col in row.columns]
        elif len(values) < expected:
            cells = self._infer(row)
            if cells is None:
                self.out.warn("row_incomplete", where,
                              f"{len(values)} values for {expected} columns; which cell is missing "
                              f"cannot be told, so none is assigned", values)
                return
            self.out.warn("row_incomplete", where,
                          f"{len(values)} values for {expected} columns; only one completion "
                          f"satisfies the row total, so the row is filled and marked inferred", values)
        else:
            self.out.warn("row_overfull", where,
                          f"{len(values)} values for {expected} columns; none assigned", values)
            return
        self.out.cells.extend(cells)
        self.emitted[(row.table, row.key)] = cells

    def _cells(self, row: Row, values: list[str]) -> list[Cell]:
        cells = []
        for col, raw in zip(row.columns, values):
            if raw.isdigit() and raw.isascii():
                # parse_cell's own reading of plain digits, without building a Parsed per cell.
                value, unit = int(raw), None
            else:
                parsed = parse_cell(raw)
                value, unit = parsed.value, parsed.unit
            if col == "amount_wan_yuan" and value is not None:
                value = self._wan_yuan(row, raw, value, unit)
            cells.append(Cell(row.table, row.key, col, value, raw))
        return cells

    def _wan_yuan(self, row: Row, raw: str, value, unit: Optional[str]):
        where = f"{row.table}.{row.key}.amount_wan_yuan"
        if unit == "万元":
            return value
        if unit == "元":
            return _decimal_div(value, 10000)
        if row.key == "fees":  # the 2021 header states the unit: 本年收费金额（单位：万元）
            return value
        self.out.warn("unit_unknown", where,
                      f"{raw!r} states no unit (元 or 万元); value left null, raw kept", [raw])
        return None

    def _infer(self, row: Row) -> Optional[list[Cell]]:
        """One value missing from a table-三 row: fill it only where every position gives the
        same row (the row-total identity; templates.md §7.1 rule 5)."""
        if row.table != "requests" or len(row.values) != len(row.columns) - 1:
            return None
        parsed = [parse_cell(v).value for v in row.values]
        if any(v is None for v in parsed):
            return None
        candidates = set()
        for missing in range(len(row.columns)):
            vals = parsed[:missing] + [None] + parsed[missing:]
            if missing == len(row.columns) - 1:
                vals[missing] = sum(vals[:-1])
            else:
                vals[missing] = vals[-1] - sum(v for j, v in enumerate(vals[:-1]) if j != missing)
                if vals[missing] < 0:
                    continue
            candidates.add(tuple(vals))
        if len(candidates) != 1:
            return None
        (vals,) = candidates
        # Which position is missing is unknown, but every value is determined; raw stays as found
        # where the value repeats a published one.
        return [Cell(row.table, row.key, col, v, str(v), inferred=True)
                for col, v in zip(row.columns, vals)]


_SUB_ROW_NO = re.compile(r"^(\d{1,2})[、.．,，]")


def _near_row(text: str, group: str) -> Optional[Label]:
    """A numbered sub-row whose wording lost or changed characters in the source (Hongze 2023:
    2.其他法律行政止公开): the official row of the same group and number, if the wording is still
    mostly the same. Group and number alone pick the row; the wording test keeps a row a locality
    added (2.小计) from being taken for an official one."""
    n = norm(text)
    m = _SUB_ROW_NO.match(n)
    if not m or not group:
        return None
    own = strip_numbering(n)
    for lab in REQUEST_ROWS:
        official = norm(lab.label)
        lm = _SUB_ROW_NO.match(official)
        if lab.group == group and lm and lm.group(1) == m.group(1):
            ratio = SequenceMatcher(None, own, strip_numbering(official)).ratio()
            return lab if ratio >= 0.6 else None
    return None


def _decimal_div(value, divisor: int) -> Decimal:
    d = Decimal(value) / Decimal(divisor)
    return d.normalize() if d != d.to_integral_value() else Decimal(int(d))


def detect_template(mapped: Mapped, year: Optional[int], result: ParseResult,
                    legacy_table: bool = False) -> str:
    s19, s21 = mapped.signals["2019"], mapped.signals["2021"]
    if legacy_table and not mapped.cells:
        return "pre2019"
    if s19 and s21:
        result.warn("mixed_template", "template",
                    f"labels of both formats ({s19} of 2019, {s21} of 2021); took the larger")
    if s21 > s19:
        return "2021"
    if s19:
        return "2019"
    if year is not None and year <= 2018:
        return "pre2019"
    return "unknown"


def map_document(doc: Document) -> Mapped:
    return _Mapper(doc).run()


def extract(doc: Document, result: ParseResult) -> None:
    """Fill cells, template, sections and warnings of `result` from `doc` (or, where the page
    itself has no table, from the first attachment that has). Every other attachment with tables
    is set against the copy stored (govreports.sources)."""
    mapped = map_document(doc)
    source = doc
    # Attachments are mapped even when the page has tables: a PDF copy that disagrees with the
    # page, or has tables the page lacks, is something a researcher must be told.
    in_attachments = [(att, map_document(att)) for att in doc.attachments]
    if not mapped.cells:
        for att, att_mapped in in_attachments:
            if att_mapped.cells:
                mapped, source = att_mapped, att
                result.warn("tables_from_attachment", "source",
                            f"tables taken from the attachment {att.url}")
                break
    # What reading an attachment warned about (a cut PDF, a scan, a .doc) matters where its
    # tables are used, or where no table was found at all and it may say why.
    for att in doc.attachments:
        if att is source or not mapped.cells:
            for w in att.warnings:
                result.warn(w.code, f"attachment.{w.where}", f"{att.url}: {w.message}", w.raw)
    # Before 2019: the provincial statistics table, unless a 2019/2021 table was found. Rows read
    # without a single label of those forms (规范性文件 in a sentence under 二、主动公开…) are prose
    # misread, not a table, where a statistics table is there.
    official = bool(mapped.cells) and any(mapped.signals.values())
    old = legacy.extract(doc, result) if not official else legacy.LegacyMapped()
    if old.found and not official:
        mapped, source = Mapped(), doc
    result.cells.extend(mapped.cells)
    for code, where, message, raw in mapped.warnings:
        result.warn(code, where, message, raw)
    if mapped.cells:
        stored_from = "the page" if source is doc else f"the attachment {source.url}"
        for att, att_mapped in in_attachments:
            if att is not source and att_mapped.cells:
                sources.cross_check(result, mapped.cells, stored_from, att.url, att_mapped.cells)
    result.template = detect_template(mapped, result.report_year, result, legacy_table=old.found)
    consumed = mapped.consumed if source is doc else set()
    if result.template == "pre2019" and not mapped.cells:
        consumed = set()  # labels the 2019/2021 mapper swallowed in a free-form report are prose
    consumed |= old.consumed
    result.sections = sections.extract(doc, consumed, legacy=result.template == "pre2019", cut=old.cut)
    if not result.sections and source is not doc:
        # A page that only links its report: the attachment's outline is the report's.
        result.sections = sections.extract(source, mapped.consumed)
    prose.extract(doc, result, consumed, old.cut)
    if not any(c.origin == "table" for c in result.cells) and result.template in ("2019", "2021", "unknown") and not any(
            w.code in ("tables_are_images", "pdf_viewer_only", "unreadable", "unsupported_format",
                       "too_large", "encrypted") for w in result.warnings):
        result.warn("no_tables", "tables", "no statistical table was found in the report")
