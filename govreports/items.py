"""Scrapy items: what the spider hands to the pipelines.

A ReportPage is a fetched report page (or a saved file read by the CLI) with its raw bytes and the
response headers that matter; pipelines fill `document` and `result` step by step.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from govreports.model import ParseResult

# Only these response headers are kept: they decide decoding and tell whether a page changed.
KEPT_HEADERS = ("content-type", "content-length", "last-modified", "etag", "content-disposition")
# What a platform's list says about a report beyond its title (gkmlpt's JSON articles: 索引号,
# 文号, 发布机构, dates), as [[label, value], ...] JSON under this key of ReportPage.headers. The
# parser merges these pairs after the page's own header (govreports.parse.start), so the page
# wins where both give a label. Kept with the response headers because those travel with the
# bytes everywhere (raw_pages, dead letters, re-parses), so a re-parse sees what the crawl saw.
LISTING_HEADER = "x-govreports-listing-header"


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def kept_headers(headers: Any) -> dict[str, str]:
    """Reduce a header mapping (Scrapy Headers, dict of str or bytes) to KEPT_HEADERS, as str."""
    out: dict[str, str] = {}
    for name in KEPT_HEADERS:
        value = None
        if hasattr(headers, "get"):
            value = headers.get(name) or headers.get(name.title()) or headers.get(name.encode())
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if value:
            out[name] = str(value)
    return out


def with_listing_header(headers: dict[str, str], pairs: Any) -> dict[str, str]:
    """`headers` plus the list's header pairs (LISTING_HEADER); unchanged when there are none."""
    pairs = [[str(k), str(v)] for k, v in pairs or () if k and v not in (None, "")]
    if not pairs:
        return headers
    return {**headers, LISTING_HEADER: json.dumps(pairs, ensure_ascii=False)}


def listing_header(headers: Optional[dict[str, str]]) -> list[tuple[str, str]]:
    """The list's header pairs carried in a page's headers, [] when there are none."""
    raw = (headers or {}).get(LISTING_HEADER)
    if not raw:
        return []
    try:
        return [(str(k), str(v)) for k, v in json.loads(raw)]
    except (ValueError, TypeError):
        return []


@dataclass
class Attachment:
    """A file linked from a report page (PDF, DOC, DOCX, ...), fetched and parsed into that report."""
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    fetched_at: str = field(default_factory=utc_now)
    name: Optional[str] = None


@dataclass
class ReportPage:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    fetched_at: str = field(default_factory=utc_now)
    # A saved file given to the CLI instead of a URL.
    path: Optional[str] = None
    # Registry context: the portal's division code and the list page the report was found on.
    portal_code: Optional[str] = None
    list_url: Optional[str] = None
    title_hint: Optional[str] = None
    attachments: list[Attachment] = field(default_factory=list)
    # Filled by the pipelines (govreports.parse steps); not stored as such.
    document: Any = None
    result: Optional[ParseResult] = None
    # The bodies' digests and zlib bytes (govreports.packing.pack), when a parse worker made them.
    packed: Any = None
