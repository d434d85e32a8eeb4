"""Reader for Word 97-2003 binary documents: .doc, and WPS Writer's .wps (Kingsoft WPS saves its
Writer files in the same Word 97 format, as OLE2 files with a WordDocument stream).

The text. The OLE2 container is opened with olefile. The WordDocument stream starts with the FIB,
which says which table stream (0Table or 1Table) holds the CLX, where the CLX is, and how many
characters the main text has (ccpText: footnotes, headers and text boxes follow it and are not
body text). The CLX's piece table maps runs of character positions to byte offsets in the
WordDocument stream; a piece is 8-bit ("compressed", read as cp1252) or UTF-16LE. Field codes
(between \\x13 and \\x14) are dropped and field results kept; a tab is a space; \\x0b (a manual
line break) and \\x0c (a page or section break) end a line, as w:br does in the DOCX reader.

Tables. A paragraph ends with \\r, or, inside a table, with \\x07 when it is the last of a cell;
after a row's cells comes one more \\x07 paragraph, the row end (its TTP). An empty cell is also a
lone \\x07, so the text cannot tell an empty last cell from the row end: each \\x07 paragraph's
properties are looked up in the PAPX FKPs (PlcBtePapx → 512-byte pages → the paragraph's sprms,
or, for a wide row's end, sprmPHugePapx → the Data stream) and sprmPFTtp marks the row end. The row end's sprmTDefTable gives each cell's left edge and its
merge flags (sprmTVertMerge and sprmTMerge amend them). As in the DOCX reader, a cell that
continues a vertical merge is emitted with the text of the cell it continues as `inherited=True`
(merged cells are keyed by their left edge), and a cell that continues a legacy horizontal merge
is dropped (its text, if any, joins the first cell). Cells of a nested table (itap > 1) end with
\\r and are read as text of the outer cell. A cell's paragraphs are joined without a separator
(商业 / 企业 is 商业企业), as in the other readers. If the FKPs cannot be read, the marks are
kept but not the grid: each cell becomes a flat `line` token, which the label mapper reads as it
reads a report flattened to one cell per line, and a `doc_table_grid_unknown` warning says so.

Title candidates: the centred short paragraphs the document opens with, joined (as the DOCX
reader does), the first short paragraphs, and the Title of the SummaryInformation property set,
which is read even when the text is encrypted or broken, so such a report is still named.

Untrusted files. The body is bounded by documents.MAX_BYTES_DEFAULT before it gets here; the
piece table by MAX_PIECES, the main text by MAX_CHARS, the Prc list by MAX_PIECES, and every
offset read from the file is checked against its stream. A file that is no OLE2 compound file,
or an OLE2 file without a WordDocument stream (an old WPS 2000 file, Works, a workbook), or a Word
6/95 file, is `unsupported_format`; an encrypted file is `encrypted`; a Word 97 file with a
broken FIB, CLX or piece is `unreadable`, never an exception. application/msword is
registered by govreports.docx, whose read_doc sends OLE2 bodies here and reads or names what
else portals serve under a .doc name (HTML, RTF, MHT, a DOCX).
"""
from __future__ import annotations

import bisect
import io
import struct
from dataclasses import dataclass, field
from typing import Iterator, Optional

from govreports.documents import CELL, DOC, LINE, PARA, ROW_END, TABLE_END, Document, Token
from govreports.header import split_label_runs
from govreports.normalize import clean, join_pieces

MAX_PIECES = 65_536
# Characters of main text; a 200-page report has about 200,000.
MAX_CHARS = 8 * 2**20
# Tables in tables followed through one-cell frames; Word itself nests no deeper than 64.
MAX_DEPTH = 8
HEADER_LINES = 30
TITLE_CHARS = 40

W_IDENT = 0xA5EC
NFIB_WORD97 = 0xC0  # Word 6 and 95 have 101-105 and another FIB layout
F_ENCRYPTED, F_WHICH_TABLE = 0x0100, 0x0200
# Indices into FibRgFcLcb97 (pairs of fc, lcb).
FC_PLCF_BTE_PAPX, FC_CLX = 13, 33

SPRM_P_IN_TABLE, SPRM_P_TTP, SPRM_P_ITAP = 0x2416, 0x2417, 0x6649
SPRM_P_INNER_CELL, SPRM_P_INNER_TTP = 0x244B, 0x244C
# A paragraph's properties too big for its FKP page (a wide row's TTP) are in the Data stream.
SPRM_P_HUGE_PAPX = 0x6646
SPRM_P_CHG_TABS = 0xC615
SPRM_P_JC80, SPRM_P_JC, JC_CENTER = 0x2403, 0x2461, 1
SPRM_T_DEF_TABLE, SPRM_T_VERT_MERGE, SPRM_T_MERGE = 0xD608, 0xD62B, 0x5624
_FIXED_OPERAND = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}
# SummaryInformation: property types, and how many properties are looked at.
VT_I2, VT_LPSTR, VT_LPWSTR = 2, 0x1E, 0x1F
MAX_PROPERTIES = 1000
MAX_PROPERTY_SET = 2**20


class DocError(Exception):
    """A Word file this reader will not read; `code` is the warning code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _u16(b: bytes, off: int) -> int:
    return struct.unpack_from("<H", b, off)[0]


def _u32(b: bytes, off: int) -> int:
    return struct.unpack_from("<I", b, off)[0]


def ole_title(ole) -> str:
    """The Title (PIDSI_TITLE) in an OLE2 file's SummaryInformation, decoded by the property
    set's code page (936 in Chinese Office, 65001 from LibreOffice); "" if there is none or it
    cannot be read. Read here, not with olefile's get_metadata, which walks as many properties
    as the file claims (a broken count of 2**32 holds a worker for hours)."""
    try:
        if not ole.exists("\x05SummaryInformation"):
            return ""
        s = read_stream(ole, "\x05SummaryInformation", MAX_PROPERTY_SET)
        if len(s) < 48:
            return ""
        at = _u32(s, 44)  # the first section, after the 28-byte header and its FMTID
        if at + 8 > len(s):
            return ""
        where: dict[int, int] = {}
        for i in range(min(_u32(s, at + 4), (len(s) - at - 8) // 8, MAX_PROPERTIES)):
            pid, off = struct.unpack_from("<II", s, at + 8 + 8 * i)
            where[pid] = at + off
        page = 936
        if where.get(1, len(s)) + 6 <= len(s) and _u16(s, where[1]) == VT_I2:
            page = _u16(s, where[1] + 4)
        pos = where.get(2, len(s))
        if pos + 8 > len(s):
            return ""
        vt, count = _u16(s, pos), _u32(s, pos + 4)
        if vt == VT_LPSTR:
            enc = {65001: "utf-8", 1200: "utf-16-le", 936: "gbk", 950: "big5"}.get(page, f"cp{page}")
            text = s[pos + 8:pos + 8 + count].decode(enc, "replace")
        elif vt == VT_LPWSTR:
            text = s[pos + 8:pos + 8 + 2 * count].decode("utf-16-le", "replace")
        else:
            return ""
        return clean(text.split("\0")[0])
    except Exception:  # metadata is a nicety: a broken property set loses only the title
        return ""


def open_ole(body: bytes):
    """olefile over the bytes (a file object: given bytes shorter than a sector, olefile would
    take them for a file name). Structural errors raise: by default olefile logs them and goes
    on, and a stream whose size says 2 GB is then read round a loop in its sector chain."""
    import olefile  # imported here: a missing library disables .doc only

    return olefile.OleFileIO(io.BytesIO(body), raise_defects=olefile.DEFECT_INCORRECT)


def read_stream(ole, name: str, body_size: int) -> bytes:
    """A stream's bytes; one that says it is bigger than the file holding it is refused before
    olefile follows its sector chain."""
    size = ole.get_size(name)
    if size > body_size:
        raise DocError("unreadable", f"the OLE2 stream {name!r} says it holds {size} bytes, more "
                       f"than the {body_size}-byte file")
    return ole.openstream(name).read()


# ---------------------------------------------------------------- FIB and pieces
@dataclass
class Fib:
    table_stream: str
    ccp_text: int
    fc_clx: int
    lcb_clx: int
    fc_papx: int
    lcb_papx: int


def read_fib(word: bytes) -> Fib:
    if len(word) < 34 or _u16(word, 0) != W_IDENT:
        raise DocError("unreadable", "the WordDocument stream does not start with a Word FIB")
    nfib, flags = _u16(word, 2), _u16(word, 10)
    if nfib < NFIB_WORD97:
        raise DocError("unsupported_format", f"a Word 6.0/95 document (nFib {nfib}): only Word 97 "
                       f"and later binary files are read; nothing extracted")
    if flags & F_ENCRYPTED:
        raise DocError("encrypted", "the Word document is encrypted (password-protected or "
                       "obfuscated); nothing extracted")
    pos = 32
    csw = _u16(word, pos)
    pos += 2 + 2 * csw
    if pos + 2 > len(word):
        raise DocError("unreadable", "the Word FIB is cut short")
    cslw = _u16(word, pos)
    lw = pos + 2
    pos = lw + 4 * cslw
    if cslw < 4 or pos + 2 > len(word):
        raise DocError("unreadable", "the Word FIB is cut short")
    ccp_text = struct.unpack_from("<i", word, lw + 12)[0]
    cb = _u16(word, pos)
    blob = pos + 2
    if cb <= FC_CLX or blob + 8 * cb > len(word):
        raise DocError("unreadable", "the Word FIB is cut short")
    fc_clx, lcb_clx = struct.unpack_from("<II", word, blob + 8 * FC_CLX)
    fc_papx, lcb_papx = struct.unpack_from("<II", word, blob + 8 * FC_PLCF_BTE_PAPX)
    return Fib("1Table" if flags & F_WHICH_TABLE else "0Table", ccp_text, fc_clx, lcb_clx,
               fc_papx, lcb_papx)


@dataclass
class Piece:
    cp: int          # first character position
    cp_end: int
    fc: int          # byte offset of the first character in the WordDocument stream
    compressed: bool
    prm: int


def read_clx(table: bytes, fc: int, lcb: int) -> tuple[list[bytes], list[Piece]]:
    """The Prc grpprls and the pieces of the CLX."""
    if lcb == 0 or fc + lcb > len(table):
        raise DocError("unreadable", f"the piece table (CLX at {fc}, {lcb} bytes) is outside the "
                       f"{len(table)}-byte table stream")
    clx = table[fc:fc + lcb]
    prcs: list[bytes] = []
    pos = 0
    while pos < len(clx) and clx[pos] == 1:
        if pos + 3 > len(clx) or len(prcs) >= MAX_PIECES:
            raise DocError("unreadable", "the CLX's property modifiers are cut short or too many")
        cb = struct.unpack_from("<h", clx, pos + 1)[0]
        if cb < 0 or pos + 3 + cb > len(clx):
            raise DocError("unreadable", "a CLX property modifier runs past the CLX")
        prcs.append(clx[pos + 3:pos + 3 + cb])
        pos += 3 + cb
    if pos + 5 > len(clx) or clx[pos] != 2:
        raise DocError("unreadable", "the CLX has no piece table (Pcdt)")
    size = _u32(clx, pos + 1)
    plc = clx[pos + 5:pos + 5 + size]
    if size != len(plc) or size < 16 or (size - 4) % 12:
        raise DocError("unreadable", f"the piece table's size ({size} bytes) is not that of a PlcPcd")
    n = (size - 4) // 12
    if n > MAX_PIECES:
        raise DocError("unreadable", f"the piece table has {n} pieces (limit {MAX_PIECES}); not read")
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    pieces = []
    for i in range(n):
        fc_raw, prm = struct.unpack_from("<IH", plc, 4 * (n + 1) + 8 * i + 2)
        if cps[i + 1] < cps[i]:
            raise DocError("unreadable", "the piece table's character positions go backwards")
        compressed = bool(fc_raw & 0x40000000)
        fc_bytes = fc_raw & 0x3FFFFFFF
        pieces.append(Piece(cps[i], cps[i + 1], fc_bytes // 2 if compressed else fc_bytes,
                            compressed, prm))
    return prcs, pieces


def main_text(word: bytes, pieces: list[Piece], ccp_text: int) -> str:
    """Characters 0 … ccpText of the document, piece by piece."""
    if ccp_text < 0:
        raise DocError("unreadable", f"the FIB gives {ccp_text} characters of text")
    if ccp_text > MAX_CHARS:
        raise DocError("too_large", f"the document has {ccp_text} characters of text (limit "
                       f"{MAX_CHARS}); not parsed")
    out = []
    for p in pieces:
        if p.cp >= ccp_text:
            break
        count = min(p.cp_end, ccp_text) - p.cp
        width = 1 if p.compressed else 2
        data = word[p.fc:p.fc + count * width]
        if len(data) != count * width:
            raise DocError("unreadable", f"a piece of text (bytes {p.fc}+{count * width}) lies "
                           f"outside the {len(word)}-byte WordDocument stream")
        out.append(data.decode("cp1252" if p.compressed else "utf-16-le", "replace"))
    return "".join(out)


def fc_of(pieces: list[Piece], starts: list[int], cp: int) -> Optional[tuple[int, Piece]]:
    i = bisect.bisect_right(starts, cp) - 1
    if i < 0 or cp >= pieces[i].cp_end:
        return None
    p = pieces[i]
    return p.fc + (cp - p.cp) * (1 if p.compressed else 2), p


# ---------------------------------------------------------------- paragraph properties
def sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    """(sprm, operand) pairs; stops at the first one that runs past the end."""
    pos, end = 0, len(grpprl)
    while pos + 2 <= end:
        sprm = _u16(grpprl, pos)
        pos += 2
        spra = sprm >> 13
        if spra != 6:
            size = _FIXED_OPERAND[spra]
        elif pos >= end:
            return
        elif sprm == SPRM_T_DEF_TABLE:
            if pos + 2 > end:
                return
            size = _u16(grpprl, pos) + 1
        elif sprm == SPRM_P_CHG_TABS and grpprl[pos] == 255:
            dels = grpprl[pos + 1] if pos + 1 < end else 0
            q = pos + 2 + 4 * dels
            adds = grpprl[q] if q < end else 0
            size = 2 + 4 * dels + 1 + 3 * adds
        else:
            size = grpprl[pos] + 1
        if pos + size > end:
            return
        yield sprm, grpprl[pos:pos + size]
        pos += size


@dataclass
class ParaProps:
    in_table: bool = False
    ttp: bool = False
    itap: int = 0
    inner_cell: bool = False
    inner_ttp: bool = False
    centred: bool = False
    tdef: Optional[bytes] = None
    table_sprms: list[tuple[int, bytes]] = field(default_factory=list)

    def apply(self, grpprl: bytes, data: bytes = b"", depth: int = 0) -> None:
        for sprm, op in sprms(grpprl):
            if sprm == SPRM_P_HUGE_PAPX and depth == 0:
                at = _u32(op, 0)
                if at + 2 <= len(data):
                    self.apply(data[at + 2:at + 2 + _u16(data, at)], data, depth + 1)
            elif sprm == SPRM_P_IN_TABLE:
                self.in_table = bool(op[0])
            elif sprm == SPRM_P_TTP:
                self.ttp = bool(op[0])
            elif sprm == SPRM_P_ITAP:
                self.itap = struct.unpack("<i", op)[0]
            elif sprm == SPRM_P_INNER_CELL:
                self.inner_cell = bool(op[0])
            elif sprm == SPRM_P_INNER_TTP:
                self.inner_ttp = bool(op[0])
            elif sprm in (SPRM_P_JC80, SPRM_P_JC):
                self.centred = op[0] == JC_CENTER
            elif sprm == SPRM_T_DEF_TABLE:
                self.tdef = op
            elif sprm in (SPRM_T_VERT_MERGE, SPRM_T_MERGE):
                self.table_sprms.append((sprm, op))


class Papx:
    """Paragraph runs (first fc, last fc + 1, grpprl) from the PAPX FKPs, looked up by fc."""

    def __init__(self, word: bytes, table: bytes, fc: int, lcb: int):
        self.starts: list[int] = []
        self.runs: list[tuple[int, int, bytes]] = []
        if lcb < 12 or (lcb - 4) % 8 or fc + lcb > len(table):
            raise DocError("doc_table_grid_unknown", "the paragraph property pages (PlcBtePapx) "
                           "are missing or outside the table stream")
        n = (lcb - 4) // 8
        if n > len(word) // 512:  # more pages than the stream holds: a loop, not a document
            raise DocError("doc_table_grid_unknown", f"the PlcBtePapx names {n} property pages "
                           f"in a {len(word)}-byte WordDocument stream")
        pns = struct.unpack_from(f"<{n}I", table, fc + 4 * (n + 1))
        runs = []
        for pn in pns:
            page_at = (pn & 0x3FFFFF) * 512
            page = word[page_at:page_at + 512]
            if len(page) != 512:
                raise DocError("doc_table_grid_unknown", "a paragraph property page lies outside "
                               "the WordDocument stream")
            crun = page[511]
            if 4 * (crun + 1) + 13 * crun > 511:
                raise DocError("doc_table_grid_unknown", "a paragraph property page is malformed")
            fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
            for i in range(crun):
                bx = page[4 * (crun + 1) + 13 * i]
                grpprl = b""
                if bx:
                    off = 2 * bx
                    cb = page[off] if off < 511 else 0
                    if cb:
                        grpprl = page[off + 1:off + 1 + 2 * cb - 1]
                    elif off + 1 < 511:
                        grpprl = page[off + 2:off + 2 + 2 * page[off + 1]]
                runs.append((fcs[i], fcs[i + 1], grpprl[2:]))  # after the 2-byte istd
        runs.sort(key=lambda r: r[0])
        self.runs = runs
        self.starts = [r[0] for r in runs]

    def at(self, fc: int) -> Optional[bytes]:
        i = bisect.bisect_right(self.starts, fc) - 1
        if i < 0 or fc >= self.runs[i][1]:
            return None
        return self.runs[i][2]


# ---------------------------------------------------------------- paragraphs
@dataclass
class Para:
    lines: list[str]
    end: str            # "\r" or "\x07"
    props: Optional[ParaProps]


def paragraphs(text: str, props_at) -> list[Para]:
    """Split the main text into paragraphs, fields resolved; `props_at(cp)` gives the properties
    of the paragraph whose mark is at cp (None if unknown)."""
    out: list[Para] = []
    lines: list[str] = []
    buf: list[str] = []
    fields: list[bool] = []  # per open field: still in its code part
    for cp, ch in enumerate(text):
        if ch in "\r\x07":
            lines.append("".join(buf))
            out.append(Para(lines, ch, props_at(cp)))
            lines, buf = [], []
        elif ch == "\x13":
            fields.append(True)
        elif ch == "\x14":
            if fields:
                fields[-1] = False
        elif ch == "\x15":
            if fields:
                fields.pop()
        elif True in fields:
            continue
        elif ch in "\x0b\x0c\x0e":
            lines.append("".join(buf))
            buf = []
        elif ch == "\t":
            buf.append(" ")
        elif ch == "\x1e":
            buf.append("-")  # a non-breaking hyphen
        elif ch < " ":
            continue  # pictures, footnote and annotation marks, optional hyphens
        else:
            buf.append(ch)
    if buf or lines:
        lines.append("".join(buf))
        out.append(Para(lines, "\r", None))
    return out


def _joined(lines: list[str]) -> str:
    text = ""
    for line in lines:
        text = join_pieces(text, clean(line))
    return text


def row_layout(props: Optional[ParaProps], cells: int) -> Optional[list[tuple[int, int, int]]]:
    """(left edge, horizontal merge, vertical merge) per cell from the row end's table sprms, or
    None if they do not describe `cells` cells."""
    if props is None or props.tdef is None or len(props.tdef) < 3:
        return None
    op = props.tdef
    count = op[2]
    edges_end = 3 + 2 * (count + 1)
    if count != cells or len(op) < edges_end:
        return None
    edges = struct.unpack_from(f"<{count + 1}h", op, 3)
    flags = []
    for itc in range(count):
        at = edges_end + 20 * itc
        tcgrf = _u16(op, at) if at + 20 <= len(op) else 0
        flags.append([tcgrf & 0x3, (tcgrf >> 5) & 0x3])
    for sprm, arg in props.table_sprms:
        if sprm == SPRM_T_VERT_MERGE and len(arg) >= 3 and arg[1] < count:
            flags[arg[1]][1] = arg[2]
        elif sprm == SPRM_T_MERGE and len(arg) >= 2:
            first, lim = arg[0], min(arg[1], count)
            for itc in range(first, lim):
                flags[itc][0] = 1 if itc == first else 2
    return [(edges[i], h, v) for i, (h, v) in enumerate(flags)]


def _depth(p: Para) -> int:
    """How deep in tables the paragraph is: 0 body, 1 a table, 2 a table in a cell …"""
    if p.props is None:
        return 1 if p.end == "\x07" else 0
    if p.props.itap > 0:  # Word 2000 and later; Word 97 has one level and only sprmPFInTable
        return p.props.itap
    return 1 if p.props.in_table or p.end == "\x07" else 0


def _mark(p: Para, depth: int) -> str:
    """What a paragraph at `depth` ends: "cell", "row", "" (a paragraph inside a cell), or
    "unknown" (a \x07 mark without properties: a cell or a row end)."""
    if depth == 1:
        if p.end != "\x07":
            return ""
        if p.props is None:
            return "unknown"
        return "row" if p.props.ttp else "cell"
    if p.props is None:
        return ""
    return "row" if p.props.inner_ttp else "cell" if p.props.inner_cell else ""


class _Tables:
    """Turns a run of table paragraphs into cell / row_end / table_end tokens."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.table_no = -1
        self.flat = False

    def table(self, run: list[Para], depth: int) -> None:
        self.table_no += 1
        self.row_no = 0
        self.row: list[str] = []
        self.open_merges: dict[int, str] = {}
        lines: list[str] = []
        for para in run:
            lines.extend(para.lines)
            mark = _mark(para, depth) if _depth(para) == depth else ""
            if not mark:
                continue  # a paragraph of a cell, or of a table nested in it
            text = _joined(lines)
            lines = []
            if mark == "unknown":
                # No properties: not knowing the row ends, keep each cell as a line of flat text.
                self.flat = True
                if text:
                    self.tokens.append(Token(LINE, text))
            elif mark == "row":
                if text:  # text before a row end that no cell mark closed: keep it as a cell
                    self.row.append(text)
                self.end_row(para.props)
            else:
                self.row.append(text)
        if _joined(lines):
            self.row.append(_joined(lines))
        if self.row:
            self.end_row(ParaProps())  # a row cut off by the end of the table: keep its cells
        if self.row_no:
            self.tokens.append(Token(TABLE_END, table_no=self.table_no))
        else:
            self.table_no -= 1  # only flat lines: no table to number

    def end_row(self, props: ParaProps) -> None:
        layout = row_layout(props, len(self.row))
        merges: dict[int, str] = {}
        emitted: list[Token] = []
        for i, text in enumerate(self.row):
            edge, horz, vert = layout[i] if layout else (i, 0, 0)
            if horz >= 2 and emitted:
                emitted[-1].text = join_pieces(emitted[-1].text, text)
                continue
            if vert == 1 and edge in self.open_merges:
                text = self.open_merges[edge]
                emitted.append(Token(CELL, text, self.table_no, self.row_no, inherited=True))
            else:
                emitted.append(Token(CELL, text, self.table_no, self.row_no))
            if vert:
                merges[edge] = text
        self.open_merges = merges
        self.tokens.extend(emitted)
        self.tokens.append(Token(ROW_END, table_no=self.table_no, row_no=self.row_no))
        self.row_no += 1
        self.row = []


def _emit(paras: list[Para], doc: Document, tables: _Tables, depth: int = 1) -> None:
    """Body paragraphs as `para` tokens, each run of table paragraphs as a table; a table of one
    cell is a frame round content (a bordered page), whose content is read as body, its nested
    tables as tables, as the DOCX reader does."""
    i = 0
    while i < len(paras):
        if _depth(paras[i]) < depth:
            for line in paras[i].lines:
                line = clean(line)
                if line:
                    doc.tokens.append(Token(PARA, line))
            i += 1
            continue
        j = i
        while j < len(paras) and _depth(paras[j]) >= depth:
            j += 1
        run = paras[i:j]
        cells = sum(1 for p in run if _depth(p) == depth and _mark(p, depth) in ("cell", "unknown"))
        if cells == 1 and depth < MAX_DEPTH:
            _emit(run, doc, tables, depth + 1)
        else:
            tables.table(run, depth)
        i = j


# ---------------------------------------------------------------- the reader
def read_word97(body: bytes, url: Optional[str], headers: dict) -> Document:
    doc = Document(media_type=DOC, url=url)
    name = (url or "").lower().split("?")[0]
    what = "WPS Writer file (.wps)" if name.endswith(".wps") else "Word file"
    try:
        ole = open_ole(body)
    except Exception as exc:
        doc.warn("unsupported_format", "source",
                 f"a {what} with the OLE2 signature that is not a readable compound file "
                 f"({type(exc).__name__}: {exc}); only Word 97-2003 binary files are read, "
                 f"nothing extracted")
        return doc
    try:
        _read_ole(ole, doc, what, len(body))
    except DocError as exc:
        doc.tokens.clear()
        doc.warn(exc.code, "source", str(exc))
        # The property set is not encrypted with the text: the report is still named.
        title = ole_title(ole)
        doc.title_candidates = [title] if title else []
    finally:
        ole.close()
    return doc


def _read_ole(ole, doc: Document, what: str, body_size: int) -> None:
    if not ole.exists("WordDocument"):
        streams = ", ".join("/".join(p) for p in ole.listdir()[:8])
        raise DocError("unsupported_format",
                       f"a {what} that is an OLE2 file without a WordDocument stream (streams: "
                       f"{streams}): not Word 97-2003 format (an older WPS or Works file?); "
                       f"nothing extracted")
    try:
        word = read_stream(ole, "WordDocument", body_size)
        fib = read_fib(word)
        if not ole.exists(fib.table_stream):
            raise DocError("unreadable", f"the Word document has no {fib.table_stream} stream")
        table = read_stream(ole, fib.table_stream, body_size)
        data = read_stream(ole, "Data", body_size) if ole.exists("Data") else b""
    except DocError:
        raise
    except Exception as exc:  # olefile's errors on broken sector chains
        raise DocError("unreadable", f"the Word document's streams cannot be read: "
                       f"{type(exc).__name__}: {exc}")
    prcs, pieces = read_clx(table, fib.fc_clx, fib.lcb_clx)
    text = main_text(word, pieces, fib.ccp_text)
    try:
        papx: Optional[Papx] = Papx(word, table, fib.fc_papx, fib.lcb_papx)
    except DocError:
        papx = None
    starts = [p.cp for p in pieces]

    def props_at(cp: int) -> Optional[ParaProps]:
        if papx is None:
            return None
        found = fc_of(pieces, starts, cp)
        if found is None:
            return None
        fc, piece = found
        grpprl = papx.at(fc)
        if grpprl is None:
            return None
        props = ParaProps()
        props.apply(grpprl, data)
        if piece.prm & 1 and (piece.prm >> 1) < len(prcs):
            props.apply(prcs[piece.prm >> 1], data)  # a fast save's changes to this piece
        return props

    paras = paragraphs(text, props_at)
    _tokens(paras, doc)
    doc.title_candidates = _titles(doc, _title_block(paras), ole_title(ole))
    paras = [t.text for t in doc.tokens if t.kind == PARA]
    doc.header_lines = [t for t in paras[:HEADER_LINES] if len(t) <= 150 and split_label_runs(t)]


def _tokens(paras: list[Para], doc: Document) -> None:
    tables = _Tables(doc.tokens)
    _emit(paras, doc, tables)
    if tables.flat:
        doc.warn("doc_table_grid_unknown", "tables",
                 "the Word file's paragraph properties could not be read, so its table rows are "
                 "not known: the cells were read as lines of text")


def _title_block(paras: list[Para]) -> str:
    """The centred short paragraphs the document opens with, joined (a title set over several
    lines, 清河区人民政府 / 2022年…年度报告), as the DOCX reader does; "" unless there are two."""
    lines: list[str] = []
    for para in paras:
        text = _joined(para.lines)
        if not text:
            continue
        if para.end != "\r" or para.props is None or not para.props.centred \
                or len(text) > TITLE_CHARS or (para.props.in_table or para.props.itap > 0):
            break
        lines.append(text)
    return _joined(lines) if len(lines) > 1 else ""


def _titles(doc: Document, block: str, meta_title: str) -> list[str]:
    paras = [t.text for t in doc.tokens if t.kind == PARA]
    short = [t for t in paras[:8] if len(t) <= TITLE_CHARS]
    cands = ([block] if block else []) + short + [a + b for a, b in zip(short, short[1:])]
    # A web page saved as .doc opens with the portal's menus: its title comes later.
    cands += [t for t in paras[8:HEADER_LINES] if len(t) <= TITLE_CHARS and "报告" in t]
    if meta_title:
        cands.append(meta_title)
    seen: set = set()
    return [c for c in cands if c and not (c in seen or seen.add(c))]
