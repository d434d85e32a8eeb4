"""Decoding page bytes: BOM, then the HTTP charset, then <meta charset>, then a checked fallback.

w3lib (a Scrapy dependency) does the BOM/header/meta order; GBK and GB2312 are widened to
gb18030, a superset, since portals that say gb2312 routinely use characters outside it. An HTTP
charset of ISO-8859-1 over bytes that are not ASCII is a server's default, not the page's: the
<meta> or the bytes decide (spiders.crawling.charset.LatinCharsetMiddleware makes the spider
read it so too).
"""
from __future__ import annotations

from typing import Optional

from w3lib.encoding import (html_body_declared_encoding, html_to_unicode, http_content_type_encoding,
                            read_bom, resolve_encoding)

_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "gb_2312-80": "gb18030"}
# What w3lib resolves iso-8859-1, latin1, us-ascii and windows-1252 to.
_WESTERN = {"cp1252"}


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
    western = declared_western(header, body)
    if western:
        # A server's default charset (Tomcat, an Apache error page) over UTF-8 or GBK bytes: a
        # Chinese portal's page is never Latin-1, and cp1252 decodes anything, so nothing would
        # show the mojibake. The <meta>, else the bytes themselves, say what it is.
        header = ""
    enc, text = html_to_unicode(header, body, auto_detect_fun=_auto_detect)
    name = resolve_encoding(enc) or enc
    if western and name in _WESTERN:  # the <meta> says Latin-1 too
        name = _auto_detect(body)
        text = body.decode(name, errors="replace")
    widened = _WIDEN.get(name.lower())
    if widened:
        text = body.decode(widened, errors="replace")
        if text.startswith("\ufeff"):
            text = text[1:]
        name = widened
    # A declared charset that is wrong leaves replacement characters: try the other candidate.
    if "\ufffd" in text and text.count("\ufffd") > 3:
        for alt in ("utf-8", "gb18030"):
            if alt == name:
                continue
            candidate = body.decode(alt, errors="replace")
            if candidate.count("\ufffd") < text.count("\ufffd"):
                text, name = candidate, alt
    return text, name


def declared_western(content_type: Optional[str], body: bytes) -> bool:
    """An HTTP charset of ISO-8859-1 / windows-1252 / ASCII over bytes that are not ASCII: what
    `decode` reads by the <meta> or the bytes instead."""
    return http_content_type_encoding(content_type or "") in _WESTERN and not body.isascii()


def read_as_utf8(body: bytes, content_type: Optional[str] = None) -> bool:
    """Whether `decode` reads these bytes as UTF-8 when they are valid UTF-8: no BOM, and the
    HTTP header, or failing it a <meta>, declares UTF-8 or no charset at all (the same order
    as decode's). A reader can then parse the bytes as they are and call `decode` only if they
    turn out not to be valid UTF-8 (govreports.html)."""
    if read_bom(body)[0] is not None:
        return False
    declared = http_content_type_encoding(content_type or "") or html_body_declared_encoding(body)
    return declared is None or (resolve_encoding(declared) or declared).lower() == "utf-8"
