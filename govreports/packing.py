"""What the store writes of a page's bytes: each body's SHA-256 and zlib-compressed bytes.

Apart from govreports.store so that the crawl's parse workers can make it (pipelines.parse)
without loading SQLAlchemy.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Optional

from govreports.items import ReportPage

# zlib's fastest level: the raw pages (Word-made HTML of 100-400 kB) shrink 8-13x at it; level 6
# would take them to 10-17x for twice the CPU, the largest single cost of a save.
ZLIB_LEVEL = 1


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bodies(page: ReportPage) -> list[bytes]:
    return [page.body, *(a.body for a in page.attachments)]


@dataclass
class Packed:
    """A page's bodies as the store writes them: the size, SHA-256 and zlib bytes of each, in
    the order of the page's body, then its attachments'.

    `pack` is the part of a save that needs no database: the crawl's parse workers run it beside
    the parse (pipelines.parse), so the crawl's own process only writes. A save takes it from
    `page.packed` only while the sizes still match the bodies, and computes it otherwise.
    """
    sizes: list[int]
    shas: list[str]
    zipped: list[bytes]


def pack(page: ReportPage, page_sha: Optional[str] = None) -> Packed:
    """`page_sha`: the page body's SHA-256 when the caller has it (the parse's Source.sha256)."""
    all_ = bodies(page)
    shas = [page_sha or sha256_hex(page.body)] + [sha256_hex(b) for b in all_[1:]]
    return Packed([len(b) for b in all_], shas, [zlib.compress(b, ZLIB_LEVEL) for b in all_])
