"""Reader for plain text: a report page flattened to text, one table cell (or paragraph) per line.

Blank lines carry no meaning in such text (the seed separates every line by one), so they are
dropped; an empty table cell has simply vanished, which the table mapper must cope with.
"""
from __future__ import annotations

from typing import Optional

from govreports.documents import LINE, TEXT, Document, Token, register
from govreports.encoding import decode
from govreports.normalize import clean

# A text file's header (索引号, 发文机关 …) sits above the title; look no further than this.
HEADER_LINES = 30


def read_text(body: bytes, url: Optional[str], headers: dict) -> Document:
    text, encoding = decode(body, headers.get("content-type"))
    doc = Document(media_type=TEXT, encoding=encoding, url=url)
    lines = [clean(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    doc.tokens = [Token(LINE, line) for line in lines]
    doc.header_lines = lines[:HEADER_LINES]
    doc.title_candidates = lines[:HEADER_LINES]
    return doc


@register(TEXT)
def _factory():
    return read_text
