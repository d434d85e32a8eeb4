"""TRS WCM adapter (Fujian, Guizhou, Chongqing, Hubei, Beijing … portals.md §2).

A TRS list is `index.html`, `index_1.html`, `index_2.html` …; the page count is only announced
in a script call, `createPageHTML(<total>, <current>, "index", "html")` (newer templates put a
container id first and a record count last), since the pager itself is drawn by JavaScript.
Detail pages are t-date URLs (`/YYYYMM/tYYYYMMDD_<id>.htm`). Not handled yet: Fujian's
`list2.trsapi` search channel for pages ≥ 2, and lists that 404 on index_1 (the later pages are
still requested, so only that one page is lost).
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Optional
from urllib.parse import urljoin, urlparse

from spiders.platforms.base import PageLike, PlatformAdapter, _unique

_CREATE_PAGE = re.compile(
    r"""createPageHTML\s*\(\s*(?:['"][^'"]*['"]\s*,\s*)?(\d+)\s*,\s*(\d+)"""
    r"""(?:\s*,\s*['"]([\w-]+)['"]\s*,\s*['"](\w+)['"])?""")
_T_DATE_LINK = re.compile(r"""href=["'][^"']*/t\d{8}_\d+\.s?html?""")


def page_count(text: str) -> Optional[tuple[int, int, str, str]]:
    """(total, current, name, ext) from the createPageHTML call, or None."""
    m = _CREATE_PAGE.search(text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), m.group(3) or "index", m.group(4) or "html"


class TrsV1(PlatformAdapter):
    platform = "trs"
    version = 1

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return ("createPageHTML" in text or "TRS_Editor" in text
                or len(_T_DATE_LINK.findall(text)) >= 2)

    def start_urls(self, portal) -> list[str]:
        url = portal.column_url
        path = urlparse(url).path
        # index_N.html resolves against the column's folder, so a folder URL needs its slash.
        if not path.endswith("/") and not PurePosixPath(path).suffix:
            url = url.replace(path, path + "/", 1) if path else url + "/"
        return [url]

    def next_pages(self, page: PageLike) -> list[str]:
        found = page_count(page.text)
        if found is None:
            return super().next_pages(page)
        total, _current, name, ext = found
        total = min(total, self.max_list_pages)
        return _unique(urljoin(page.url, f"{name}_{n}.{ext}") for n in range(1, total))

