"""Bounds on the work pdfminer does for one PDF: how far its streams may inflate, and how many
characters, drawn paths and seconds one page's content may take.

pdfminer inflates a stream whole when it is first used (`zlib.decompress`, no limit), so 300 kB
of FlateDecode can hold 300 MB, and a 64 MB body 64 GB. It then runs a page's content to its end
before anything can look at the result, so a 1x1 pt page whose few kB of content draw a million
characters takes minutes and gigabytes (an `LTChar` and pdfplumber's dict per character, about
2 kB) before a limit checked between pages sees it. Here:

- `BoundedPDF` is pdfplumber's `PDF` whose parser makes every stream a `_BoundedStream`: its
  filters are decoded by the functions below, each stopping at `MAX_STREAM_BYTES` of output for
  one stream and `MAX_INFLATED_BYTES` for the whole document (decoded streams stay cached in
  pdfminer's objects, so the second is the memory they may hold). A stream over either is refused
  uninflated past the limit, reads as empty, and is noted in `Budget.refused`; the reader turns
  that into a warning. No pdfminer class or module is patched: other users of pdfminer in the
  process get pdfminer as it is;
- `read_layout` runs a page's content through a device that counts characters and paths and
  looks at the clock as it goes, and stops the page with `PageCut` at a limit; the page keeps
  what was drawn before the cut, less the string being drawn (half a number is not a number).
"""
from __future__ import annotations

import io
import time
import zlib
from dataclasses import dataclass, field
from typing import Optional

import pdfplumber
from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.ccitt import ccittfaxdecode
from pdfminer.lzw import LZWDecoder
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfexceptions import PDFNotImplementedError
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import (LITERAL_CRYPT, LITERALS_ASCII85_DECODE, LITERALS_ASCIIHEX_DECODE,
                               LITERALS_CCITTFAX_DECODE, LITERALS_DCT_DECODE, LITERALS_FLATE_DECODE,
                               LITERALS_JBIG2_DECODE, LITERALS_JPX_DECODE, LITERALS_LZW_DECODE,
                               LITERALS_RUNLENGTH_DECODE, PDFStream, int_value)
from pdfminer.psparser import literal_name
from pdfminer.utils import apply_png_predictor, apply_tiff_predictor
from pdfplumber.page import PDFPageAggregatorWithMarkedContent

# One stream: a full embedded CJK font (the largest legitimate stream the reader decodes) is
# 10-25 MB; a report page's content is tens of kB.
MAX_STREAM_BYTES = 32 * 2**20
# All streams of a document, which pdfminer keeps decoded until the document is closed.
MAX_INFLATED_BYTES = 256 * 2**20
# One page: a full A4 page in 6 pt type is about 14,000 characters.
MAX_PAGE_CHARS = 50_000
# One page: paths beyond this are not kept (the page is a drawing: see pdf.MAX_RULINGS).
MAX_PAGE_PATHS = 50_000
_CLOCK_EVERY = 512  # characters, paths or operands between two looks at the clock


class _TooLarge(Exception):
    pass


@dataclass
class Budget:
    """What one document may still inflate, and what was refused or found damaged."""
    stream_limit: int = MAX_STREAM_BYTES
    total_limit: int = MAX_INFLATED_BYTES
    inflated: int = 0
    refused: list[str] = field(default_factory=list)  # one line per refused stream
    damaged: list[str] = field(default_factory=list)

    def room(self) -> int:
        return max(0, min(self.stream_limit, self.total_limit - self.inflated))


# ---------------------------------------------------------------- streams
def _inflate(data: bytes, limit: int, damaged: list) -> bytes:
    d = zlib.decompressobj()
    try:
        return d.decompress(data, limit + 1)  # over the limit: stops at limit + 1
    except zlib.error:
        pass
    # A damaged stream, as pdfminer's `decompress_corrupted` has it: a fault in the last bytes
    # (the checksum) keeps what inflated, one before them gives nothing (the bytes before the
    # fault is found may be garbage already). Unlike pdfminer, either is noted, not silent. zlib
    # gives nothing of a call that fails, so the failing piece is fed again byte by byte.
    d, out, step = zlib.decompressobj(), bytearray(), 4096
    for i in range(0, len(data), step):
        piece, saved = data[i:i + step], d.copy()
        try:
            out += d.decompress(piece, limit + 1 - len(out))
        except zlib.error:
            d = saved
            for j in range(len(piece)):
                try:
                    out += d.decompress(piece[j:j + 1], limit + 1 - len(out))
                except zlib.error as exc:
                    at = i + j
                    if at < len(data) - 3:
                        damaged.append(f"a FlateDecode stream fails at byte {at} of {len(data)} "
                                       f"({exc}): read as empty")
                        return b""
                    damaged.append(f"a FlateDecode stream fails its checksum ({exc}): read as it "
                                   f"inflates")
                    return bytes(out)
                if len(out) > limit:
                    break
        if len(out) > limit:
            break
    return bytes(out)


def _lzw(data: bytes, limit: int) -> bytes:
    out = bytearray()
    for piece in LZWDecoder(io.BytesIO(data)).run():
        out += piece
        if len(out) > limit:
            break
    return bytes(out)


def _runlength(data: bytes, limit: int) -> bytes:
    # pdfminer's rldecode builds a list of ints (8 bytes a byte) and has no limit.
    out, i = bytearray(), 0
    while i < len(data) and len(out) <= limit:
        n = data[i]
        if n == 128:
            break
        if n < 128:
            out += data[i + 1:i + 2 + n]
            i += n + 2
        else:
            out += data[i + 1:i + 2] * (257 - n)
            i += 2
    return bytes(out)


def _decode(data: bytes, filters: list, limit: int, damaged: list) -> bytes:
    """pdfminer's PDFStream.decode, filter by filter, with no output past `limit` + 1 bytes."""
    for f, params in filters:
        if f in LITERALS_FLATE_DECODE:
            data = _inflate(data, limit, damaged)
        elif f in LITERALS_LZW_DECODE:
            data = _lzw(data, limit)
        elif f in LITERALS_ASCII85_DECODE:
            data = ascii85decode(data)  # at most 4 times its input (`z`), checked below
        elif f in LITERALS_ASCIIHEX_DECODE:
            data = asciihexdecode(data)
        elif f in LITERALS_RUNLENGTH_DECODE:
            data = _runlength(data, limit)
        elif f in LITERALS_CCITTFAX_DECODE:
            # A fax image's size is its declared columns x rows; without rows it has no bound.
            p = params if isinstance(params, dict) else {}
            cols, rows = int_value(p.get("Columns", 1728)), int_value(p.get("Rows", 0))
            if not (cols > 0 and rows > 0 and cols * rows // 8 <= limit):
                raise _TooLarge(f"a CCITTFax image of {cols} x {rows or '?'} pixels")
            data = ccittfaxdecode(data, p)
        elif f in LITERALS_DCT_DECODE or f in LITERALS_JBIG2_DECODE or f in LITERALS_JPX_DECODE:
            pass  # images, passed on encoded as pdfminer does
        elif f == LITERAL_CRYPT:
            raise PDFNotImplementedError("/Crypt filter is unsupported")
        else:
            raise PDFNotImplementedError(f"Unsupported filter: {f!r}")
        if len(data) > limit:
            raise _TooLarge(f"{literal_name(f)} output")  # stopped at limit + 1: not inflated further
        if isinstance(params, dict) and "Predictor" in params:
            data = _predict(data, params)
    return data


def _predict(data: bytes, params: dict) -> bytes:
    pred = int_value(params["Predictor"])
    colors, columns = int_value(params.get("Colors", 1)), int_value(params.get("Columns", 1))
    bits = int_value(params.get("BitsPerComponent", 8))
    if pred == 1:
        return data
    if pred == 2:
        return apply_tiff_predictor(colors, columns, bits, data)
    if pred >= 10:
        return apply_png_predictor(pred, colors, columns, bits, data)
    raise PDFNotImplementedError(f"Unsupported predictor: {pred!r}")


class _BoundedStream(PDFStream):
    def __init__(self, stream: PDFStream, budget: Budget):
        super().__init__(stream.attrs, stream.rawdata, stream.decipher)
        self.budget = budget

    def decode(self) -> None:
        data = self.rawdata
        if self.decipher:
            data = self.decipher(self.objid, self.genno, data, self.attrs)
        filters = self.get_filters()
        if filters:
            budget = self.budget
            room = budget.room()
            try:
                data = _decode(data, filters, room, budget.damaged)
            except _TooLarge as exc:
                which = ("the limit for one stream" if room == budget.stream_limit
                         else "what is left of the limit for the document")
                budget.refused.append(f"object {self.objid}: {exc} over {room / 2**20:.0f} MB, {which}")
                data = b""
        self.budget.inflated += len(data)
        self.data, self.rawdata = data, None


class _BoundedParser(PDFParser):
    def __init__(self, fp, budget: Budget):
        super().__init__(fp)
        self.budget = budget

    def do_keyword(self, pos, token) -> None:
        super().do_keyword(pos, token)
        # The one place pdfminer makes a stream of the file's objects (content, fonts, object
        # and cross-reference streams): that stream, bounded, instead.
        if token is self.KEYWORD_STREAM and self.curstack and type(self.curstack[-1][1]) is PDFStream:
            at, stream = self.curstack[-1]
            self.curstack[-1] = (at, _BoundedStream(stream, self.budget))


class BoundedPDF(pdfplumber.PDF):
    """pdfplumber's PDF over a `_BoundedParser`: pdfplumber.PDF.__init__ (0.11) with the parser
    swapped, the arguments the reader does not use at their defaults and no metadata dict (the
    reader reads doc.info itself; pdfplumber would decode every entry)."""

    def __init__(self, stream, budget: Budget):
        self.stream = stream
        self.stream_is_external = True
        self.path = None
        self.pages_to_parse = None
        self.laparams = None
        self.password = None
        self.unicode_norm = None
        self.raise_unicode_errors = True
        self.budget = budget
        self.doc = PDFDocument(_BoundedParser(stream, budget), password="")
        self.rsrcmgr = PDFResourceManager()
        self.metadata = {}


# ---------------------------------------------------------------- page content
class PageCut(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "chars" (the document's), "page_chars", "time"


@dataclass
class Limits:
    chars: int  # characters the document may still draw
    deadline: float  # time.monotonic() at which reading stops
    page_chars: int  # characters this page may draw (MAX_PAGE_CHARS)
    page_paths: int  # paths of this page that are kept (MAX_PAGE_PATHS)


class _Device(PDFPageAggregatorWithMarkedContent):
    def __init__(self, rsrcmgr, pageno: int, limits: Limits):
        super().__init__(rsrcmgr, pageno=pageno, laparams=None)
        self.limits = limits
        self.chars = 0
        self.paths = 0
        self.dropped_paths = 0
        self.ticks = 0
        self.string_start: Optional[tuple] = None

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks % _CLOCK_EVERY == 0 and time.monotonic() > self.limits.deadline:
            raise PageCut("time")

    def render_string(self, textstate, seq, ncs, graphicstate) -> None:
        self.string_start = (self.cur_item, len(self.cur_item._objs))
        super().render_string(textstate, seq, ncs, graphicstate)
        self.string_start = None

    def render_char(self, *args, **kwargs) -> float:
        self.chars += 1
        if self.chars > self.limits.chars:
            raise PageCut("chars")
        if self.chars > self.limits.page_chars:
            raise PageCut("page_chars")
        self.tick()
        return super().render_char(*args, **kwargs)

    def paint_path(self, *args, **kwargs) -> None:
        self.tick()
        if self.paths >= self.limits.page_paths:
            self.dropped_paths += 1
            return
        self.paths += 1
        super().paint_path(*args, **kwargs)

    def finish_cut(self, page_obj) -> None:
        """Close what the cut left open: drop the string being drawn, close open figures."""
        if self.string_start is not None:
            item, start = self.string_start
            del item._objs[start:]
        while self._stack:
            self.end_figure("")
        self.end_page(page_obj)


class _Interpreter(PDFPageInterpreter):
    def push(self, obj) -> None:
        # Every operand: a page of operators that draw nothing still meets the clock.
        self.device.tick()
        self.argstack.append(obj)


@dataclass
class Layout:
    cut: Optional[str]  # PageCut.reason, or None when the page was read whole
    dropped_paths: int


def read_layout(page, limits: Limits) -> Layout:
    """Interpret `page` (a pdfplumber Page) within `limits` and leave the result where pdfplumber
    looks for it (`page._layout`, its cached `layout` property), so page.chars, page.lines … are
    what was drawn before any cut."""
    device = _Device(page.pdf.rsrcmgr, page.page_number, limits)
    cut = None
    try:
        _Interpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    except PageCut as exc:
        cut = exc.reason
        device.finish_cut(page.page_obj)
    page._layout = device.get_result()
    return Layout(cut, device.dropped_paths)
