"""Reader for PDF reports and attachments: prose as paragraphs, ruled tables as cell grids.

The reports are born-digital (WPS or Word, often through "Jisupdf") with tables drawn as ruled
lines. The reader:

- finds tables from the rulings that are drawn, and only those: WPS paints a white rectangle
  behind every line of prose, which a default line finder takes for a table. A ruling is a
  stroked line or rectangle, or a thin filled rectangle, in a colour that shows on paper;
- reads each cell's text from the characters inside its box, lines joined without a separator
  (CJK text has none; a cell's 商业 / 企业 is 商业企业), a space only between two Latin words. The
  gaps a justified or widely spaced line leaves between CJK characters are layout, not spaces;
- emits the grid by the token contract: a cell once, at its first row; a cell spanning rows
  again, `inherited=True`, on each row it covers; then `row_end`; `table_end` after the table;
- joins a table split by a page break into one when the columns line up. A cell at the top of
  the new page continues the cell above it where the break left evidence: no top ruling (WPS
  leaves the running group cells open), an empty cell under a cell already spanning rows, or
  the unnumbered rest of a numbered label cut mid-word (Huai'an 2024: （四）无 | 法提供). So a
  group label is read whole and the rows after the break keep their group; anything else is a
  new row (a value cell is never merged by its text);
- builds paragraphs from the lines outside tables (a new one at a first-line indent, after a
  short line, at a change of font size or a wide gap; across a page break when the text runs on)
  and drops page numbers and running headers and footers in the page margins;
- gives the large-type lines at the top of page 1, joined, as the title (洪泽区人民政府 /
  2023年政府信息公开工作年度报告 are two lines of one title).

Why pdfplumber (already a pinned dependency): it exposes what is needed here and nothing less,
namely every character with its box and font size, and every ruling segment, and it builds
cells from rulings we choose (explicit edges), so the reader decides what counts as a line.
It is pure Python on pdfminer.six, so it installs anywhere. camelot needs Ghostscript or OpenCV
and returns DataFrames in which merged cells are repeated or blanked, so a merge can no longer
be told from a published repeat; tabula needs a JVM; PyMuPDF is AGPL.

Work is bounded: at most MAX_PAGES pages, MAX_CHARS characters and MAX_SECONDS of reading, checked
as a page is drawn (govreports.pdfbounds), not only between pages; beyond that the document is cut
where it got to, with a `truncated` warning. A page is cut at pdfbounds.MAX_PAGE_CHARS characters
(`truncated` for that page, the next is read). A stream that would inflate past
pdfbounds.MAX_STREAM_BYTES, or past MAX_INFLATED_BYTES for the document, is refused uninflated
and read as empty (`too_large`). A page with more than MAX_RULINGS line
segments is a drawing, not a table: its text is read as prose (`tables_skipped`). A body that is not a PDF, an encrypted or
broken file → `unreadable`; a PDF without a text layer (a scan) → `tables_are_images`. A page
that fails is skipped with a warning; the rest is read.
"""
from __future__ import annotations

import bisect
import io
import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional, Union

from govreports.documents import CELL, PARA, PDF, ROW_END, TABLE_END, Document, Token, register
from govreports.header import split_label_runs
from govreports.normalize import clean, is_word_char, join_pieces, norm, strip_numbering
from govreports.numbers import parse_cell
from govreports.sections import heading_no

if TYPE_CHECKING:  # imported where pdfplumber is (on first use)
    from govreports import pdfbounds

MAX_PAGES = 300
MAX_CHARS = 2_000_000
MAX_SECONDS = 120.0
MAX_RULINGS = 4000  # segments on one page; ruled report tables use a few hundred
HEADER_LINES = 30
# pdfplumber joins ruling ends this close; cell boundaries this close are the same grid line.
TOLERANCE = 2.0
# Page margins where page numbers and running headers sit (fraction of the page height).
MARGIN_ZONE = 0.08

_PAGE_NUMBER = re.compile(r"^[-—–－_·•\s]*(?:第\s*)?\d{1,4}\s*(?:页)?\s*(?:[/／]\s*(?:共\s*)?\d{1,4}\s*页?)?"
                          r"[-—–－_·•\s]*$")


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    page: int


@dataclass
class _Cell:
    r0: int
    r1: int  # exclusive
    c0: int
    c1: int  # exclusive
    text: str
    open_top: bool = False
    open_bottom: bool = False


@dataclass
class _Table:
    cells: list[_Cell]
    xs: list[float]  # column boundaries
    nrows: int
    top: float
    bottom: float
    page: int

    @property
    def ncols(self) -> int:
        return len(self.xs) - 1


@dataclass
class _Page:
    number: int
    height: float
    items: list[Union[_Line, _Table]] = field(default_factory=list)


# ---------------------------------------------------------------- characters to text


def _line_text(chars: list[dict]) -> str:
    out: list[str] = []
    prev = None
    for c in chars:
        t = c["text"]
        if prev is not None and out and is_word_char(out[-1][-1:]) and is_word_char(t[:1]):
            if c["x0"] - prev["x1"] > 0.25 * min(c["size"], prev["size"]):
                out.append(" ")
        out.append(t)
        prev = c
    return clean("".join(out))


def _group_lines(chars: list[dict]) -> list[list[dict]]:
    """Characters in lines (top to bottom), each line left to right."""
    lines: list[list[dict]] = []
    band = None
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        mid = (c["top"] + c["bottom"]) / 2
        if band is not None and band[0] <= mid <= band[1]:
            lines[-1].append(c)
            band = (min(band[0], c["top"]), max(band[1], c["bottom"]))
        else:
            lines.append([c])
            band = (c["top"], c["bottom"])
    for line in lines:
        line.sort(key=lambda c: c["x0"])
    return lines


def _text_of(chars: list[dict]) -> str:
    text = ""
    for line in _group_lines(chars):
        text = join_pieces(text, _line_text(line))
    return text


# ---------------------------------------------------------------- rulings
def _shows(color) -> bool:
    """Whether a colour shows on white paper (None is the default, black)."""
    if color is None or isinstance(color, str):
        return True
    try:
        vals = [float(v) for v in color]
    except (TypeError, ValueError):
        return True
    if len(vals) == 1:
        return vals[0] < 0.95
    if len(vals) == 3:
        return min(vals) < 0.95
    if len(vals) == 4:  # CMYK: white is no ink
        return max(vals) > 0.05
    return True


def _edge(x0: float, top: float, x1: float, bottom: float) -> dict:
    orientation = "h" if (bottom - top) <= (x1 - x0) else "v"
    if orientation == "h":
        top = bottom = (top + bottom) / 2
    else:
        x0 = x1 = (x0 + x1) / 2
    return {"object_type": "ruling_edge", "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "doctop": top, "width": x1 - x0, "height": bottom - top, "orientation": orientation}


def _rulings(page) -> list[dict]:
    """The table rulings that are drawn: visible lines, stroked rectangles' sides, thin filled
    rectangles (a rule drawn as a bar). Filled cell shading and the white boxes behind prose are
    not rulings."""
    out = []
    for ln in page.lines:
        if _shows(ln.get("stroking_color")):
            out.extend(_segments(ln.get("pts") or [(ln["x0"], ln["top"]), (ln["x1"], ln["bottom"])]))
    for cv in page.curves:
        if cv.get("stroke") and _shows(cv.get("stroking_color")):
            out.extend(_segments(cv.get("pts") or []))
    for r in page.rects:
        w, h = r["x1"] - r["x0"], r["bottom"] - r["top"]
        if r.get("stroke") and _shows(r.get("stroking_color")):
            out += [_edge(r["x0"], r["top"], r["x1"], r["top"]),
                    _edge(r["x0"], r["bottom"], r["x1"], r["bottom"]),
                    _edge(r["x0"], r["top"], r["x0"], r["bottom"]),
                    _edge(r["x1"], r["top"], r["x1"], r["bottom"])]
        elif r.get("fill") and min(w, h) <= 2 and max(w, h) > 2 and _shows(r.get("non_stroking_color")):
            out.append(_edge(r["x0"], r["top"], r["x1"], r["bottom"]))
    return out


def _segments(pts) -> list[dict]:
    """Axis-parallel pieces of a polyline (a diagonal is no ruling)."""
    out = []
    for (ax, ay), (bx, by) in zip(pts, pts[1:]):
        if abs(ay - by) <= 0.5 and abs(ax - bx) > 1:
            out.append(_edge(min(ax, bx), ay, max(ax, bx), ay))
        elif abs(ax - bx) <= 0.5 and abs(ay - by) > 1:
            out.append(_edge(ax, min(ay, by), ax, max(ay, by)))
    return out


def _covered(edges: list[dict], orientation: str, at: float, lo: float, hi: float) -> float:
    """The share of [lo, hi] at `at` that drawn rulings of `orientation` cover."""
    spans = []
    for e in edges:
        if e["orientation"] != orientation:
            continue
        pos, a, b = (e["top"], e["x0"], e["x1"]) if orientation == "h" else (e["x0"], e["top"], e["bottom"])
        if abs(pos - at) <= TOLERANCE + 1 and b > lo and a < hi:
            spans.append((max(a, lo), min(b, hi)))
    covered, end = 0.0, lo
    for a, b in sorted(spans):
        if b > end:
            covered += b - max(a, end)
            end = b
    return covered / (hi - lo) if hi > lo else 1.0


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > TOLERANCE:
            out.append(v)
    return out


def _index(bounds: list[float], v: float) -> int:
    return min(range(len(bounds)), key=lambda i: abs(bounds[i] - v))


# ---------------------------------------------------------------- one page
class _PageReader:
    def __init__(self, page, number: int, limits: Optional["pdfbounds.Limits"] = None):
        self.page = page
        self.number = number
        self.limits = limits
        self.cut: Optional[str] = None  # pdfbounds.PageCut.reason when the page was cut
        self.skipped_rulings = 0
        self.unmapped = 0  # glyphs whose font has no Unicode mapping: pdfminer gives "(cid:N)"

    def read(self) -> tuple[_Page, int, int]:
        """The page's lines and tables in reading order, its character count and image count."""
        dropped = 0
        if self.limits is not None:
            from govreports import pdfbounds
            layout = pdfbounds.read_layout(self.page, self.limits)
            self.cut, dropped = layout.cut, layout.dropped_paths
        page = self.page.dedupe_chars(tolerance=1)
        chars = [c for c in page.chars if c.get("text")]
        rulings = _rulings(page)
        if dropped:
            # Not all of its paths were kept: whatever grid the kept ones make is not the page's.
            self.skipped_rulings = len(rulings) + dropped
            rulings = []
        elif len(rulings) > MAX_RULINGS:
            # A drawing (a map, a chart, vector text), not a ruled table: finding cells among
            # this many segments costs minutes.
            self.skipped_rulings = len(rulings)
            rulings = []
        tables, boxes, stray = self._tables(page, rulings, chars)
        # Text outside every table, and any inside a table's frame but in no cell of it (an
        # irregular grid): prose, never dropped.
        free = [c for c in chars if (not any(_inside(c, b) for b in boxes) or id(c) in stray)
                and c["text"].strip()]
        out = _Page(self.number, float(page.height))
        for group in _group_lines(free):
            text = _line_text(group)
            if not text:
                continue
            sizes = Counter(round(c["size"], 1) for c in group if c["text"].strip())
            out.items.append(_Line(text, group[0]["x0"], max(c["x1"] for c in group),
                                   min(c["top"] for c in group), max(c["bottom"] for c in group),
                                   sizes.most_common(1)[0][0] if sizes else 0.0, self.number))
        out.items.extend(tables)
        out.items.sort(key=lambda it: it.top)
        self.unmapped = sum(1 for c in chars if c["text"].startswith("(cid:"))
        return out, len(chars), len(page.images)

    def _tables(self, page, rulings: list[dict], chars: list[dict]):
        found = self._find(page, rulings)
        if not found:
            return [], [], set()
        # Close every grid with its own frame, so that cells whose outer ruling is not drawn
        # (a table cut by a page break) still get a box; those sides are marked open. The frame
        # reaches as far as the grid's vertical rulings do: a last row cut by the break has
        # its sides drawn but no bottom.
        frame = []
        for t in found:
            x0, top, x1, bottom = t.bbox
            for e in rulings:
                if e["orientation"] == "v" and x0 - TOLERANCE <= e["x0"] <= x1 + TOLERANCE \
                        and e["top"] <= bottom + TOLERANCE and e["bottom"] >= top - TOLERANCE:
                    top, bottom = min(top, e["top"]), max(bottom, e["bottom"])
            frame += [_edge(x0, top, x1, top), _edge(x0, bottom, x1, bottom),
                      _edge(x0, top, x0, bottom), _edge(x1, top, x1, bottom)]
        found = self._find(page, rulings + frame)
        tables, boxes, stray = [], [], set()
        for t in found:
            tables.append(self._grid(t, rulings, chars, stray))
            boxes.append(t.bbox)
        return tables, boxes, stray

    @staticmethod
    def _find(page, edges: list[dict]) -> list:
        h = [e for e in edges if e["orientation"] == "h"]
        v = [e for e in edges if e["orientation"] == "v"]
        if len(h) < 2 or len(v) < 2:
            return []
        tables = page.find_tables({"vertical_strategy": "explicit", "horizontal_strategy": "explicit",
                                   "explicit_vertical_lines": v, "explicit_horizontal_lines": h})
        # A single box (a framed paragraph, a border round the page) is no table.
        return [t for t in tables if len(t.cells) >= 2 and len(_cluster(
            [x for c in t.cells for x in (c[0], c[2])])) >= 3]

    def _grid(self, table, rulings: list[dict], chars: list[dict], stray: set) -> _Table:
        xs = _cluster([x for c in table.cells for x in (c[0], c[2])])
        ys = _cluster([y for c in table.cells for y in (c[1], c[3])])
        x0, top, x1, bottom = table.bbox
        cells, boxes, slots = [], [], {}
        for box in table.cells:
            cell = _Cell(_index(ys, box[1]), _index(ys, box[3]), _index(xs, box[0]), _index(xs, box[2]), "")
            if cell.r1 <= cell.r0 or cell.c1 <= cell.c0:
                continue
            cells.append(cell)
            boxes.append(box)
            for r in range(cell.r0, cell.r1):
                for c in range(cell.c0, cell.c1):
                    slots[(r, c)] = len(cells) - 1
        # Each character to the grid slot its centre falls in: one pass, however many cells.
        held: list[list[dict]] = [[] for _ in cells]
        for ch in chars:
            if not _inside(ch, table.bbox):
                continue
            mx, my = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
            k = slots.get((bisect.bisect_right(ys, my) - 1, bisect.bisect_right(xs, mx) - 1))
            if k is not None:
                held[k].append(ch)
            else:
                stray.add(id(ch))
        for cell, box, mine in zip(cells, boxes, held):
            bx0, btop, bx1, bbottom = box
            cell.text = _text_of(mine)
            if abs(btop - top) <= TOLERANCE:
                cell.open_top = _covered(rulings, "h", btop, bx0, bx1) < 0.5
            if abs(bbottom - bottom) <= TOLERANCE:
                cell.open_bottom = _covered(rulings, "h", bbottom, bx0, bx1) < 0.5
        return _Table(cells, xs, len(ys) - 1, top, bottom, self.number)


def _inside(c: dict, box) -> bool:
    mx, my = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
    return box[0] <= mx <= box[2] and box[1] <= my <= box[3]


# ---------------------------------------------------------------- the document
class _Reader:
    def __init__(self, pdf, doc: Document):
        self.pdf = pdf
        self.doc = doc
        self.pages: list[_Page] = []
        self.chars = 0
        self.images = 0
        self.image_pages: list[int] = []
        self.unmapped: list[tuple[int, int]] = []

    def run(self) -> None:
        total = len(self.pdf.pages)
        self.doc.meta["pages"] = str(total)
        if not total:
            self.doc.warn("unreadable", "source", "the PDF has no pages that can be found (a damaged "
                          "page tree or cross-reference table?); nothing extracted")
            return
        from govreports import pdfbounds
        deadline = time.monotonic() + MAX_SECONDS
        for n, page in enumerate(self.pdf.pages[:MAX_PAGES], 1):
            if time.monotonic() > deadline:
                self.doc.warn("truncated", "source", f"reading stopped after {MAX_SECONDS:.0f} s, at "
                              f"page {n} of {total}; the rest is not read")
                break
            limits = pdfbounds.Limits(chars=max(MAX_CHARS - self.chars, 0), deadline=deadline,
                                      page_chars=pdfbounds.MAX_PAGE_CHARS,
                                      page_paths=pdfbounds.MAX_PAGE_PATHS)
            try:
                reader = _PageReader(page, n, limits)
                read, nchars, nimages = reader.read()
                if reader.unmapped:
                    self.unmapped.append((n, reader.unmapped))
                if reader.skipped_rulings:
                    self.doc.warn("tables_skipped", f"page {n}",
                                  f"page {n} has {reader.skipped_rulings} line segments (a drawing?); "
                                  f"no table looked for on it, its text is read as prose")
            except Exception as exc:  # one bad page does not lose the others
                self.doc.warn("unreadable", f"page {n}", f"page {n} could not be read: "
                              f"{type(exc).__name__}: {exc}")
                continue
            finally:
                page.close()
            self.pages.append(read)
            self.chars += nchars
            self.images += nimages
            if nimages and not nchars:
                self.image_pages.append(n)
            if reader.cut == "page_chars":
                self.doc.warn("truncated", f"page {n}", f"page {n} draws over "
                              f"{pdfbounds.MAX_PAGE_CHARS} characters; it is cut there, the rest of "
                              f"it is not read")
            elif reader.cut == "time":
                self.doc.warn("truncated", "source", f"reading stopped after {MAX_SECONDS:.0f} s, "
                              f"in page {n} of {total}; the rest is not read")
                break
            if reader.cut == "chars" or self.chars > MAX_CHARS:
                where = ", cut in that page" if reader.cut == "chars" else ""
                self.doc.warn("truncated", "source", f"over {MAX_CHARS} characters by page {n} of "
                              f"{total}{where}; the rest is not read")
                break
        else:
            if total > MAX_PAGES:
                self.doc.warn("truncated", "source", f"only the first {MAX_PAGES} of {total} pages "
                              f"are read")
        self._drop_furniture()
        self._emit()
        self._warn_images()

    # page numbers, running headers and footers
    def _drop_furniture(self) -> None:
        def zone(line: _Line, height: float) -> bool:
            return line.bottom < height * MARGIN_ZONE * 1.5 or line.top > height * (1 - MARGIN_ZONE)

        def shape(text: str) -> str:
            return re.sub(r"\d+", "#", text)

        repeats = Counter()
        for p in self.pages:
            repeats.update({shape(it.text) for it in p.items
                            if isinstance(it, _Line) and zone(it, p.height)})
        for p in self.pages:
            p.items = [it for it in p.items if not (
                isinstance(it, _Line) and zone(it, p.height) and (
                    _PAGE_NUMBER.match(it.text) or (len(self.pages) >= 3 and repeats[shape(it.text)] >= 3)))]

    def _emit(self) -> None:
        lines = [it for p in self.pages for it in p.items if isinstance(it, _Line)]
        self.body_size = _mode([round(ln.size) for ln in lines]) or 12.0
        self.left = _mode([round(ln.x0) for ln in lines if abs(ln.size - self.body_size) < 1.5]) or 0.0
        self.right = _mode([round(ln.x1) for ln in lines if abs(ln.size - self.body_size) < 1.5]) or 0.0
        paras: list[list[_Line]] = []
        tokens = self.doc.tokens
        para: list[_Line] = []
        previous: Optional[_Table] = None  # the last block, if a table
        tables: list[_Table] = []
        blocks: list[Union[list[_Line], _Table]] = []
        for p in self.pages:
            for it in p.items:
                if isinstance(it, _Table):
                    if para:
                        blocks.append(para)
                        paras.append(para)
                        para = []
                    if previous is not None and previous.page == it.page - 1 and _continue(previous, it):
                        continue
                    blocks.append(it)
                    tables.append(it)
                    previous = it
                    continue
                if para and self._new_paragraph(para[-1], it):
                    blocks.append(para)
                    paras.append(para)
                    para = []
                para.append(it)
                previous = None
        if para:
            blocks.append(para)
            paras.append(para)
        for block in blocks:
            if isinstance(block, _Table):
                _emit_table(block, tables.index(block), tokens)
            else:
                text = ""
                for ln in block:
                    text = join_pieces(text, ln.text)
                tokens.append(Token(PARA, text))
        self._title(paras)
        texts = [t.text for t in tokens if t.kind == PARA][:HEADER_LINES]
        self.doc.header_lines = [t for t in texts if len(t) <= 150 and split_label_runs(t)]

    def _new_paragraph(self, prev: _Line, line: _Line) -> bool:
        size = line.size or self.body_size
        if abs(prev.size - line.size) > 1.5:
            return True
        if line.x0 - self.left > 0.8 * size:  # first-line indent
            return True
        if self.right - prev.x1 > 1.5 * size:  # the previous line stopped short
            return True
        if line.page == prev.page and line.top - prev.bottom > 1.2 * size:
            return True
        return bool(heading_no(prev.text) or heading_no(line.text))

    def _title(self, paras: list[list[_Line]]) -> None:
        """Large type at the top of page 1 is the title, however many lines it takes; then the
        first short paragraphs alone and in pairs (a title in body type), then the metadata."""
        cands: list[str] = []
        big: list[_Line] = []
        first = self.pages[0].items if self.pages else []
        for it in first:
            if not isinstance(it, _Line) or it.size < self.body_size * 1.15:
                break
            big.append(it)
        if big:
            text = ""
            for ln in big:
                text = join_pieces(text, ln.text)
            cands.append(text)
            cands.extend(ln.text for ln in big)
        top = []
        for para in paras[:8]:
            text = ""
            for ln in para:
                text = join_pieces(text, ln.text)
            if len(text) <= 40:
                top.append(text)
        cands.extend(top + [a + b for a, b in zip(top, top[1:])])
        meta_title = self.doc.meta.get("title")
        if meta_title:
            cands.append(meta_title)
        seen: set = set()
        self.doc.title_candidates = [c for c in cands if c and not (c in seen or seen.add(c))]

    def _warn_images(self) -> None:
        pages = len(self.pages)
        if not pages:
            return
        if self.unmapped:
            lost = sum(k for _, k in self.unmapped)
            self.doc.warn("unmapped_glyphs", "source",
                          f"{lost} of {self.chars} characters (pages {_ranges([n for n, _ in self.unmapped])}) "
                          f"have no Unicode mapping in their font and read as (cid:N): that text, labels "
                          f"and numbers included, is lost")
        budget = getattr(self.pdf, "budget", None)
        if not self.chars and budget is not None and budget.refused:
            pass  # the refused streams (a `too_large` warning) are why, not a scan or outlines
        elif not self.chars:
            if self.images:
                self.doc.warn("tables_are_images", "tables",
                              f"the PDF has no text layer ({pages} page(s), {self.images} image(s)): "
                              f"a scan, its tables are pictures, nothing to read")
            else:
                self.doc.warn("unreadable", "source", f"the PDF has neither text nor images on its "
                              f"{pages} page(s) (text drawn as outlines, or blank pages)")
        elif self.image_pages and not any(t.kind == CELL for t in self.doc.tokens):
            self.doc.warn("tables_are_images", "tables",
                          f"no ruled table with text, and page(s) {_ranges(self.image_pages)} are "
                          f"images without text: the statistics are likely pictures")


def _mode(values: list) -> Optional[float]:
    if not values:
        return None
    counts = Counter(values).most_common()
    best = counts[0][1]
    return float(max(v for v, n in counts if n == best))


def _ranges(pages: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(pages):
        if start is None:
            start = n
        if i + 1 == len(pages) or pages[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)


def _continue(prev: _Table, cont: _Table) -> bool:
    """Join `cont` (first on its page) to `prev` (last on the page before) when the columns line
    up: one table cut by the page break. A cell at the top of `cont` continues the cell above
    it (same columns) when the break left evidence of that: no ruling on its top side; or it
    is empty under a cell that already spans rows (a group label running on); or it is the
    rest of a numbered label cut mid-word (（四）无 | 法提供). Anything else is a new row."""
    if prev.ncols != cont.ncols or any(abs(a - b) > 2 * TOLERANCE + 1 for a, b in zip(prev.xs, cont.xs)):
        return False
    last = {(c.c0, c.c1): c for c in prev.cells if c.r1 == prev.nrows}
    offset = prev.nrows
    for c in cont.cells:
        above = last.get((c.c0, c.c1)) if c.r0 == 0 else None
        if above is not None and _runs_on(above, c):
            above.r1 = c.r1 + offset
            above.text = join_pieces(above.text, c.text)
            above.open_bottom = c.open_bottom
            continue
        c.r0 += offset
        c.r1 += offset
        prev.cells.append(c)
    prev.nrows += cont.nrows
    prev.bottom = cont.bottom
    prev.page = cont.page
    return True


def _runs_on(above: _Cell, below: _Cell) -> bool:
    if below.open_top:
        return True
    if not above.text or parse_cell(above.text).is_value:
        return False
    if not below.text:
        return above.r1 - above.r0 >= 2
    if parse_cell(below.text).is_value:
        return False
    numbered = lambda t: strip_numbering(norm(t)) != norm(t)
    return numbered(above.text) and not numbered(below.text)


def _emit_table(table: _Table, table_no: int, tokens: list[Token]) -> None:
    row_no = 0
    for r in range(table.nrows):
        here = [c for c in table.cells if c.r0 <= r < c.r1]
        if not any(c.r0 == r for c in here):
            continue  # a grid line only, inside cells that span it
        for c in sorted(here, key=lambda c: c.c0):
            tokens.append(Token(CELL, c.text, table_no, row_no, inherited=c.r0 != r))
        tokens.append(Token(ROW_END, table_no=table_no, row_no=row_no))
        row_no += 1
    tokens.append(Token(TABLE_END, table_no=table_no))


# ---------------------------------------------------------------- entry point
def _what(body: bytes) -> str:
    head = body[:512].lstrip()
    if not head:
        return "the body is empty"
    if re.match(rb"(?i)<(?:!doctype|html|head|body|\?xml)", head):
        return "the body is an HTML/XML page (an error page or a viewer?)"
    if head.startswith(b"PK\x03\x04"):
        return "the body is a ZIP archive (a DOCX?)"
    return f"the body starts with {head[:16]!r}"


def _meta_text(value) -> Optional[str]:
    """A document-info string: PDFDocEncoding, UTF-16 with a BOM (either order; pdfminer decodes
    only big-endian, and WPS writes little-endian)."""
    if isinstance(value, bytes):
        for bom, enc in ((b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le")):
            if value.startswith(bom):
                return clean(value[2:].decode(enc, "replace"))
        try:
            return clean(value.decode("utf-8"))
        except UnicodeDecodeError:
            return clean(value.decode("latin-1"))
    if isinstance(value, str):
        return clean(value)
    return None


def read_pdf(body: bytes, url: Optional[str], headers: dict) -> Document:
    doc = Document(media_type=PDF, url=url)
    if body.find(b"%PDF-", 0, 1024) < 0:
        doc.warn("unreadable", "source", f"not a PDF: {_what(body)}")
        return doc
    from govreports import pdfbounds  # imported here (pdfplumber): a missing library disables PDF only

    budget = pdfbounds.Budget(pdfbounds.MAX_STREAM_BYTES, pdfbounds.MAX_INFLATED_BYTES)
    try:
        pdf = pdfbounds.BoundedPDF(io.BytesIO(body), budget)
    except Exception as exc:
        # pdfplumber wraps pdfminer's exception; the wrapped one names the cause.
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        name = type(inner).__name__
        if "Password" in name or "password" in str(inner).lower():
            why = "it is encrypted with a password"
        elif b"%%EOF" not in body[-2048:]:
            why = f"it ends without %%EOF, so it is cut short (a broken download?): {name}: {inner}"
        else:
            why = f"{name}: {inner}"
        doc.warn("unreadable", "source", f"the PDF could not be opened: {why}")
        _warn_streams(doc, budget)
        return doc
    problems = _Problems()
    miner = logging.getLogger("pdfminer")
    if miner.level == logging.NOTSET:
        # pdfminer logs at DEBUG inside its inner loops; under a crawler logging at DEBUG that
        # costs more than the parse. Its warnings are what matters (counted below).
        miner.setLevel(logging.WARNING)
    miner.addHandler(problems)
    try:
        _read_open(pdf, doc)
    finally:
        miner.removeHandler(problems)
    _warn_streams(doc, budget)
    if problems.count or budget.damaged:
        count = problems.count + len(budget.damaged)
        first = problems.first or budget.damaged[0]
        doc.warn("pdf_damaged", "source",
                 f"pdfminer met {count} problem(s) in the file, first: {first!r}; "
                 f"text or rulings may be missing where it did")
    return doc


def _warn_streams(doc: Document, budget) -> None:
    if budget.refused:
        doc.warn("too_large", "source",
                 f"{len(budget.refused)} stream(s) refused, not inflated past the limit and read as "
                 f"empty (a decompression bomb, or a drawing too large to read): "
                 f"{'; '.join(budget.refused[:3])}{' …' if len(budget.refused) > 3 else ''}; "
                 f"the text they hold is not read")


class _Problems(logging.Handler):
    """Counts what pdfminer logs as a problem (a corrupt stream, a bad operator) while this
    thread reads: pdfminer goes on past them, so without this a damaged page loses text silently."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.count = 0
        self.first = ""

    # What valid files from common generators trigger too, and which costs no text.
    BENIGN = ("FontBBox", "MediaBox missing")

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        if not any(b in message for b in self.BENIGN):
            self.count += 1
            self.first = self.first or message[:200]


def _read_open(pdf, doc: Document) -> None:
    with pdf:
        try:
            info = pdf.doc.info[0] if pdf.doc.info else {}
            title = _meta_text(_resolve(info.get("Title")))
            if title:
                doc.meta["title"] = title
        except Exception:  # metadata is a nicety; a broken info dictionary is no reason to stop
            pass
        try:
            _Reader(pdf, doc).run()
        except Exception as exc:
            doc.warn("unreadable", "source", f"the PDF could not be read: {type(exc).__name__}: {exc}")


def _resolve(value):
    try:
        from pdfminer.pdftypes import resolve1
        return resolve1(value)
    except Exception:
        return value


@register(PDF)
def _factory():
    return read_pdf
