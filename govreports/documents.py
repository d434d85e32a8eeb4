"""From raw bytes to a Document: media type, decoding, and one token stream for every format.

Whatever the source (an HTML page with real tables, a page flattened to one cell per line, a PDF
or DOCX attachment), the body becomes a list of Tokens in reading order: `para` for a paragraph
outside any table, `line` for a line of flat text (a table cell or prose, not known which),
`cell` for a table cell after rowspan/colspan expansion, `row_end` after each table row and
`table_end` after each table. The table mapper (govreports.tables) reads only this stream, so it
treats all formats alike. Readers for each format live in their own modules and register here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable, Optional
from urllib.parse import urlparse

from govreports.model import Warning

PARA, LINE, CELL, ROW_END, TABLE_END = "para", "line", "cell", "row_end", "table_end"

HTML, TEXT, PDF, DOCX, DOC = ("text/html", "text/plain", "application/pdf",
                              "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                              "application/msword")
XLSX, XLS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel"
# Bodies beyond these sizes are refused with a warning: no real report page comes near them, and
# parsing a hostile 200 MB body would hold a worker for minutes.
MAX_BYTES = {HTML: 16 * 2**20, TEXT: 16 * 2**20}
MAX_BYTES_DEFAULT = 64 * 2**20

_EXTENSIONS = {".html": HTML, ".htm": HTML, ".shtml": HTML, ".jsp": HTML, ".txt": TEXT,
               ".pdf": PDF, ".docx": DOCX, ".doc": DOC, ".wps": DOC, ".xlsx": XLSX, ".xls": XLS}


@dataclass
class Token:
    kind: str
    text: str = ""
    # For cells: which table, which grid row, and whether the cell was inherited from a rowspan
    # above (a group label repeated on every row it spans).
    table_no: int = -1
    row_no: int = -1
    inherited: bool = False


@dataclass
class Document:
    media_type: str
    encoding: Optional[str] = None
    url: Optional[str] = None
    tokens: list[Token] = field(default_factory=list)
    # Where a title may be: <meta name="ArticleTitle">, <title>, <h1>, the first lines.
    title_candidates: list[str] = field(default_factory=list)
    # Label/value pairs from a structured header (a metadata table, <meta> tags).
    header_pairs: list[tuple[str, str]] = field(default_factory=list)
    # Lines that may hold "label: value" runs (a one-line header, the top of a text file).
    header_lines: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    attachments: list["Document"] = field(default_factory=list)

    def warn(self, code: str, where: str, message: str) -> None:
        self.warnings.append(Warning(code, where, message))

    def lines(self) -> list[str]:
        """The body as text lines, table rows joined by tabs."""
        out: list[str] = []
        row: list[str] = []
        for t in self.tokens:
            if t.kind == CELL:
                if not t.inherited:
                    row.append(t.text)
            elif t.kind == ROW_END:
                out.append("\t".join(row))
                row = []
            elif t.kind in (PARA, LINE):
                out.append(t.text)
        return out


Reader = Callable[[bytes, Optional[str], dict], Document]
READERS: dict[str, Callable[[], Reader]] = {}


def register(media_type: str):
    """Register a reader factory (imported lazily, so a missing optional library only disables
    its own format)."""
    def deco(factory: Callable[[], Reader]) -> Callable[[], Reader]:
        READERS[media_type] = factory
        return factory
    return deco


def sniff_media_type(body: bytes, url: Optional[str], headers: dict) -> str:
    """Magic bytes first (a PDF served as text/html happens), then the header, then the name."""
    head = body[:8]
    ctype = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if head.startswith(b"%PDF"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return XLSX if _zip_has(body, "xl/workbook.xml") else DOCX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return XLS if _ole_is_workbook(body, ctype, url) else DOC
    if ctype in READERS or ctype in (HTML, TEXT, PDF, DOCX, DOC, XLSX, XLS):
        if ctype == TEXT and _looks_like_html(body):
            return HTML
        return ctype
    if url:
        ext = PurePosixPath(urlparse(url).path).suffix.lower()
        if ext in _EXTENSIONS:
            return _EXTENSIONS[ext]
    return HTML if _looks_like_html(body) else TEXT


def _zip_has(body: bytes, name: str) -> bool:
    """Whether a ZIP's directory names `name` (only the central directory is read)."""
    import io
    import zipfile
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            return name in zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _ole_is_workbook(body: bytes, ctype: str, url: Optional[str]) -> bool:
    """An OLE2 file is Excel if its directory has a Workbook/Book stream and no WordDocument
    (a .doc may embed a workbook), or, failing both names, if the header or name says so."""
    utf16 = lambda s: s.encode("utf-16-le")
    if utf16("WordDocument") in body:
        return False
    if utf16("Workbook") in body or utf16("Book\0") in body:
        return True
    ext = PurePosixPath(urlparse(url).path).suffix.lower() if url else ""
    return ctype == XLS or ext in (".xls", ".et")


def _looks_like_html(body: bytes) -> bool:
    return bool(re.search(rb"<(?:!doctype\s+html|html|body|table|div|p)[\s>]", body[:4096], re.I))


def read_document(body: bytes, url: Optional[str] = None, headers: Optional[dict] = None,
                  path: Optional[str] = None, attachments: Optional[list] = None) -> Document:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    media_type = sniff_media_type(body, path or url, headers)
    limit = MAX_BYTES.get(media_type, MAX_BYTES_DEFAULT)
    if len(body) > limit:
        doc = Document(media_type=media_type, url=url)
        doc.warn("too_large", "source",
                 f"{len(body)} bytes of {media_type} is over the {limit}-byte limit; not parsed")
        return doc
    factory = READERS.get(media_type)
    if factory is None:
        _load_readers()
        factory = READERS.get(media_type)
    if factory is None:
        doc = Document(media_type=media_type, url=url)
        doc.warn("unsupported_format", "source", f"no reader for {media_type}; nothing extracted")
    else:
        try:
            doc = factory()(body, url, headers)
        except Exception as exc:  # a broken file is a warning on the report, never a crash
            doc = Document(media_type=media_type, url=url)
            doc.warn("unreadable", "source", f"{media_type} could not be read: {type(exc).__name__}: {exc}")
    for att in attachments or []:
        sub = read_document(att.body, url=att.url, headers=att.headers)
        doc.attachments.append(sub)
    return doc


def _load_readers() -> None:
    """Import the format modules, each of which registers its reader."""
    import importlib
    for name in ("govreports.text", "govreports.html", "govreports.pdf", "govreports.docx",
                 "govreports.spreadsheet"):
        try:
            importlib.import_module(name)
        except ImportError:
            continue
