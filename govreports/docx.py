"""Readers for Word attachments: DOCX with python-docx; what is served as .doc, sent to its reader.

DOCX. The body is walked in order, so paragraphs and tables come out interleaved as published
(content controls, w:sdt, are looked through). A paragraph is a `para` token per line (a manual
line break, w:br, ends a line, as <br> does in HTML). A table is walked at the XML level, one
w:tc element at a time, so a merged cell is read once: python-docx's `row.cells` repeats a
gridSpan cell once per grid column and a vMerge cell once per row, which would double numbers.
A cell that continues a vertical merge (w:vMerge without "restart") is emitted again, with the
text of the cell it continues, as `inherited=True`; a legacy w:hMerge continuation is dropped.
A cell's paragraphs are joined without a separator (商业 / 企业 is 商业企业), as in the HTML and PDF
readers. Text in deleted revisions (w:delText), field codes and text boxes is not body text.

Untrusted ZIPs. Before python-docx (lxml) sees a part, the archive's directory is checked: at most
MAX_PARTS parts, none over MAX_PART_BYTES or compressed more than MAX_RATIO times, all together
under MAX_TOTAL_BYTES (zipfile never inflates a part beyond its declared size, so the declared
sizes bound the work). An XML part that declares a DTD (<!DOCTYPE / <!ENTITY: no OOXML part has
one) is refused, so entity expansion is never attempted; python-docx's parser also has
resolve_entities off. A refusal is an `unreadable` warning, never an exception.

Legacy formats (application/msword): Word 97-2003 .doc and WPS .wps are OLE2 binaries, read by
govreports.doc. Portals also serve HTML, RTF or MHT under a .doc name: HTML is read by the HTML
reader, the others are named with an `unsupported_format` warning.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Iterator, Optional

from govreports.documents import (CELL, DOC, DOCX, PARA, ROW_END, TABLE_END, Document, Token,
                                  register)
from govreports.header import split_label_runs
from govreports.normalize import clean, join_pieces

MAX_PARTS = 2000
MAX_PART_BYTES = 64 * 2**20
MAX_TOTAL_BYTES = 256 * 2**20
# A deflated XML part is rarely over 20 times smaller; 200 leaves room and stops a bomb.
MAX_RATIO = 200
HEADER_LINES = 30
TITLE_CHARS = 40

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
P, TBL, TR, TC, T, TAB, BR, CR = (f"{_W}{n}" for n in ("p", "tbl", "tr", "tc", "t", "tab", "br", "cr"))
SDT, SDT_CONTENT, CUSTOM_XML = f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"
TXBX = f"{_W}txbxContent"
_SKIP_INSIDE = (TXBX, _MC_FALLBACK)
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")




# ---------------------------------------------------------------- the archive
def _check_archive(body: bytes, main_part: str = "word/document.xml", kind: str = "DOCX",
                   what: str = "a Word document") -> Optional[tuple[str, str]]:
    """(warning code, message) if the archive must not be parsed; None if it is safe. The
    spreadsheet reader checks its XLSX with the same limits (main_part xl/workbook.xml)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return "unreadable", f"the {kind} is not a readable ZIP archive: {exc}"
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if main_part not in names:
            found = ("an OpenDocument file" if "content.xml" in names else
                     "a Word document" if "word/document.xml" in names else
                     "an Excel workbook" if "xl/workbook.xml" in names else
                     "a PowerPoint file" if "ppt/presentation.xml" in names else "a ZIP archive")
            return "unsupported_format", f"the body is {found}, not {what}; nothing extracted"
        if len(infos) > MAX_PARTS:
            return "unreadable", f"the {kind} has {len(infos)} parts (limit {MAX_PARTS}); not parsed"
        total = 0
        for i in infos:
            total += i.file_size
            if i.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
                return "unreadable", (f"the {kind} part {i.filename} inflates to {i.file_size} bytes "
                                      f"(limits {MAX_PART_BYTES} per part, {MAX_TOTAL_BYTES} in all); "
                                      f"not parsed")
            if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                return "unreadable", (f"the {kind} part {i.filename} is compressed "
                                      f"{i.file_size // max(i.compress_size, 1)} times (a ZIP bomb?); "
                                      f"not parsed")
        for i in infos:
            if not i.filename.endswith((".xml", ".rels")):
                continue
            try:
                data = zf.read(i)
            except Exception as exc:  # a bad CRC, an unsupported compression method
                return "unreadable", f"the {kind} part {i.filename} cannot be read: {exc}"
            if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                data = data.decode("utf-16", "replace").encode("utf-8")
            if _DTD.search(data):
                return "unreadable", (f"the {kind} part {i.filename} declares a DTD or entities, "
                                      f"which no {kind} has; not parsed")
    return None


# ---------------------------------------------------------------- body walk
def _blocks(parent) -> Iterator:
    """Paragraphs and tables of a body or cell in order, through content controls."""
    for el in parent.iterchildren():
        if el.tag in (P, TBL):
            yield el
        elif el.tag in (SDT, SDT_CONTENT, CUSTOM_XML):
            yield from _blocks(el)


def _cells(tr) -> Iterator:
    for el in tr.iterchildren():
        if el.tag == TC:
            yield el
        elif el.tag in (SDT, SDT_CONTENT, CUSTOM_XML):
            yield from _cells(el)


def _rows(tbl) -> Iterator:
    for el in tbl.iterchildren():
        if el.tag == TR:
            yield el
        elif el.tag in (SDT, SDT_CONTENT, CUSTOM_XML):
            yield from _rows(el)


def _own(node, p) -> bool:
    """Whether `node` is text of paragraph `p` itself, not of a text box inside it."""
    for anc in node.iterancestors():
        if anc is p:
            return True
        if anc.tag in _SKIP_INSIDE:
            return False
    return True


def _para_lines(p) -> list[str]:
    lines, buf = [], []
    for node in p.iter(T, TAB, BR, CR):
        if not _own(node, p):
            continue
        if node.tag == T:
            buf.append(node.text or "")
        elif node.tag == TAB:
            buf.append(" ")
        else:
            lines.append("".join(buf))
            buf = []
    lines.append("".join(buf))
    return [c for c in (clean(x) for x in lines) if c]


def _cell_text(tc) -> str:
    text = ""
    for p in tc.iter(P):
        if any(anc.tag in _SKIP_INSIDE for anc in p.iterancestors()):
            continue
        for line in _para_lines(p):
            text = join_pieces(text, line)
    return text


def _attr(el, name: str) -> Optional[str]:
    return el.get(f"{_W}{name}") if el is not None else None


def _tc_props(tc) -> tuple[int, Optional[str], bool]:
    """(gridSpan, vMerge value — 'restart', 'continue' or None, legacy hMerge continuation)."""
    pr = tc.find(f"{_W}tcPr")
    span, vmerge, hcont = 1, None, False
    if pr is not None:
        gs = pr.find(f"{_W}gridSpan")
        if gs is not None:
            try:
                span = max(1, min(int(_attr(gs, "val") or 1), 1000))
            except ValueError:
                span = 1
        vm = pr.find(f"{_W}vMerge")
        if vm is not None:
            vmerge = _attr(vm, "val") or "continue"
        hm = pr.find(f"{_W}hMerge")
        hcont = hm is not None and (_attr(hm, "val") or "continue") == "continue"
    return span, vmerge, hcont


def _grid_before(tr) -> int:
    pr = tr.find(f"{_W}trPr")
    gb = pr.find(f"{_W}gridBefore") if pr is not None else None
    try:
        return max(0, min(int(_attr(gb, "val") or 0), 1000)) if gb is not None else 0
    except ValueError:
        return 0


def _emit_table(tbl, table_no: int, tokens: list[Token]) -> None:
    # Grid column → the text of the cell whose vertical merge is open there.
    open_merges: dict[int, str] = {}
    row_no = 0
    for tr in _rows(tbl):
        col = _grid_before(tr)
        row_merges: dict[int, str] = {}
        for tc in _cells(tr):
            span, vmerge, hcont = _tc_props(tc)
            if hcont:
                col += span
                continue
            if vmerge == "continue" and col in open_merges:
                text = open_merges[col]
                tokens.append(Token(CELL, text, table_no, row_no, inherited=True))
            else:
                text = _cell_text(tc)
                tokens.append(Token(CELL, text, table_no, row_no))
            if vmerge is not None:
                row_merges[col] = text
            col += span
        open_merges = row_merges
        tokens.append(Token(ROW_END, table_no=table_no, row_no=row_no))
        row_no += 1
    tokens.append(Token(TABLE_END, table_no=table_no))


def _title_block(body_el) -> list[str]:
    """The centred (or Title-styled) short paragraphs the document opens with."""
    out = []
    for el in _blocks(body_el):
        if el.tag != P:
            break
        lines = _para_lines(el)
        if not lines:
            continue
        pr = el.find(f"{_W}pPr")
        jc = _attr(pr.find(f"{_W}jc"), "val") if pr is not None else None
        style = (_attr(pr.find(f"{_W}pStyle"), "val") or "") if pr is not None else ""
        if jc != "center" and not style.lower().startswith(("title", "heading")) \
                or len("".join(lines)) > TITLE_CHARS:
            break
        out.extend(lines)
    return out


def _join_all(parts: list[str]) -> str:
    text = ""
    for part in parts:
        text = join_pieces(text, part)
    return text


def read_docx(body: bytes, url: Optional[str], headers: dict) -> Document:
    doc = Document(media_type=DOCX, url=url)
    refused = _check_archive(body)
    if refused:
        doc.warn(refused[0], "source", refused[1])
        return doc
    import docx  # imported here: a missing library disables DOCX only

    try:
        word = docx.Document(io.BytesIO(body))
    except Exception as exc:
        doc.warn("unreadable", "source", f"the DOCX could not be opened: {type(exc).__name__}: {exc}")
        return doc
    tokens = doc.tokens
    tables = 0
    body_el = word.element.body
    stack = list(reversed(list(_blocks(body_el))))
    while stack:
        el = stack.pop()
        if el.tag == P:
            for line in _para_lines(el):
                tokens.append(Token(PARA, line))
            continue
        only = [tc for tr in _rows(el) for tc in _cells(tr)]
        if len(only) == 1:
            # A one-cell table is a frame round content (a bordered page), not statistics.
            stack.extend(reversed(list(_blocks(only[0]))))
            continue
        _emit_table(el, tables, tokens)
        tables += 1
    images = sum(1 for _ in body_el.iter(f"{_W}drawing", f"{_W}pict"))

    paras = [t.text for t in tokens if t.kind == PARA]
    short = [t for t in paras[:8] if len(t) <= TITLE_CHARS]
    # A title set over several centred lines (洪泽区人民政府 / 2023年…年度报告) is one title.
    centred = _title_block(body_el)
    cands = ([_join_all(centred)] if len(centred) > 1 else []) + short + [
        a + b for a, b in zip(short, short[1:])]
    try:
        title = clean(word.core_properties.title or "")
    except Exception:  # a broken core.xml is no reason to lose the body
        title = ""
    if title:
        cands.append(title)
    seen: set = set()
    doc.title_candidates = [c for c in cands if c and not (c in seen or seen.add(c))]
    # Only lines with label runs (索引号：… 发布机构：…): prose that mentions 时间： is no header.
    doc.header_lines = [t for t in paras[:HEADER_LINES] if len(t) <= 150 and split_label_runs(t)]
    if not tables and images:
        doc.warn("tables_are_images", "tables",
                 f"the document has {images} image(s) and no table: its statistics are likely "
                 f"pictures, nothing to read")
    return doc


# ---------------------------------------------------------------- .doc / .wps
def read_doc(body: bytes, url: Optional[str], headers: dict) -> Document:
    """application/msword: Word 97 (OLE2) to govreports.doc; HTML or DOCX under a .doc name
    read as such; RTF, MHT and the unrecognised named."""
    head = body[:4096]
    if head.startswith(b"PK\x03\x04"):
        return read_docx(body, url, headers)
    ole = head.startswith(b"\xd0\xcf\x11\xe0")
    if not ole and re.search(rb"(?i)<(?:!doctype\s+html|html|body|table)[\s>]", head) and not \
            re.match(rb"(?i)\s*MIME-Version", head):
        from govreports.html import read_html
        doc = read_html(body, url, headers)
        doc.meta["served_as"] = "application/msword"
        return doc
    if ole:
        from govreports.doc import read_word97
        return read_word97(body, url, headers)
    if head.lstrip().startswith(b"{\\rtf"):
        fmt = "an RTF document served as Word"
    elif re.match(rb"(?i)\s*MIME-Version", head):
        fmt = "a single-file web page (MHT) served as Word"
    else:
        fmt = f"a file served as Word whose content is not recognised (starts {head[:8]!r})"
    doc = Document(media_type=DOC, url=url)
    doc.warn("unsupported_format", "source",
             f"{fmt}: no reader for this format, nothing extracted; a DOCX or PDF copy is needed")
    return doc


@register(DOCX)
def _factory():
    return read_docx


@register(DOC)
def _doc_factory():
    return read_doc
