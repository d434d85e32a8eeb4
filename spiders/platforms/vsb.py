"""VSB / 博达 adapter (Shaanxi, Gansu, Sichuan portals; portals.md §2).

A VSB site is static files: details at `/info/<col>/<id>.htm`, a list's first page at
`/<path>/<list>.htm` and its later pages in a folder of that name numbered downwards, so page 2
of a 20-page list is `<list>/19.htm` and the last page is `<list>/1.htm` (the pager's 下页 and
尾页 links say so). From the first page the adapter plans every later page from the highest
number the pager shows; from a later page it adds the lower numbers it links.

Files are linked as `/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=…&
wbfileid=…`, the file's name only in the link text; the base class takes such links.
Page titles join the column and the site with "-" (政府信息公开年报-某县人民政府).
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

from govreports.links import is_next_page_text, page_is_annual_column
from spiders.platforms.base import PageLike, PlatformAdapter, _unique

_INFO = re.compile(r"""href=["'][^"']*/info/\d+/\d+\.htm""")
_MARKERS = ("/system/resource/", "_sitegray", "vsb_")
_NUMBERED = re.compile(r"^(?P<stem>.+)/(?P<n>\d+)\.htm$")


def list_stem(path: str) -> str:
    """The list's stem: /xxgk/zfxxgknb for /xxgk/zfxxgknb.htm and /xxgk/zfxxgknb/7.htm."""
    m = _NUMBERED.match(path)
    if m:
        return m.group("stem")
    return path[:-4] if path.endswith(".htm") else path.rstrip("/")


class VsbV1(PlatformAdapter):
    platform = "vsb"
    version = 1

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return len(_INFO.findall(text)) >= 2 or any(m in text for m in _MARKERS)

    def is_annual_column(self, page: PageLike) -> bool:
        title = page.selector.xpath("//title/text()").get() or ""
        return super().is_annual_column(page) or page_is_annual_column(title.replace("-", "_"))

    def next_pages(self, page: PageLike) -> list[str]:
        parsed = urlparse(page.url)
        stem = list_stem(parsed.path)
        numbered: dict[int, str] = {}
        following: list[str] = []
        for link in self.links(page):
            target = urlparse(link.url)
            if target.netloc != parsed.netloc:
                continue
            m = _NUMBERED.match(target.path)
            if m and m.group("stem") == stem:
                numbered[int(m.group("n"))] = link.url
            elif is_next_page_text(link.title) and link.url != page.url:
                following.append(link.url)
        if not numbered:
            return _unique(following) or super().next_pages(page)
        current = _NUMBERED.match(parsed.path)
        if current and current.group("stem") == stem:
            below = int(current.group("n"))
            return _unique(numbered[n] for n in sorted(numbered, reverse=True) if n < below)
        # The first page: every page from the highest number the pager shows down to 1.
        top = max(numbered)
        origin = f"{parsed.scheme}://{parsed.netloc}"
        return [urljoin(origin, f"{stem}/{n}.htm")
                for n in range(top, 0, -1)][: self.max_list_pages]
