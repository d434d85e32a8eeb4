"""Decoding page bytes: BOM, then the HTTP charset, then <meta charset>, then a checked fallback.

w3lib (a Scrapy dependency) does the BOM/header/meta order; GBK and GB2312 are widened to
gb18030, a superset, since portals that say gb2312 routinely use characters outside it.
"""
from __future__ import annotations

from typing import Optional

from w3lib.encoding import html_to_unicode, resolve_encoding

_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "gb_2312-80": "gb18030"}


def _auto_detect(body: bytes) -> Optional[str]:
    """Without a declared charset: UTF-8 if it decodes cleanly, else gb18030."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def decode(body: bytes, content_type: Optional[str] = None) -> tuple[str, str]:
    """(text, encoding used). Replacement characters only where the bytes are truly broken."""
    header = content_type or ""
    enc, text = html_to_unicode(header, body, auto_detect_fun=_auto_detect)
    name = resolve_encoding(enc) or enc
    widened = _WIDEN.get(name.lower())
    if widened:
        text = body.decode(widened, errors="replace")
        if text.startswith("\ufeff"):
            text = text[1:]
        name = widened
    # A declared charset that is wrong leaves replacement characters: try the other candidate.
    if text.count("\ufffd") > 3:
        for alt in ("utf-8", "gb18030"):
            if alt == name:
                continue
            candidate = body.decode(alt, errors="replace")
            if candidate.count("\ufffd") < text.count("\ufffd"):
                text, name = candidate, alt
    return text, name
