"""Hanweb (大汉) jpaas adapters: Zhejiang, Jiangsu, Shandong, Jiangxi portals (portals.md §2).

A column is `/col/col<N>/index.html`. Its first rows are not ordinary HTML: they sit in a
`<script type="text/xml"><datastore>` block, one `<record><![CDATA[<li><a …>]]></record>` per
row, and the jpage script draws the list from there. The script's options announce the size of
the list (`totalRecord: 89, perPage: 15`); the `<nextgroup>` link names the site's `webid`, the
column's `columnid` and the list unit's `unitid`.

- HanwebV1: later rows come from `/module/web/jpage/dataproxy.jsp?startrecord=..&endrecord=..
  &perpage=..&columnid=<col>&unitid=<u>&webid=<w>`, an XML answer of the same `<record>`s.
- HanwebJiangxiV1: Jiangxi's sites render every page on the server instead, at
  `index.html?uid=<u>&pageNum=N`; told apart by that URL shape appearing on the page.

Detail pages are `/art/YYYY/M/D/art_<col>_<id>.html`; their files are plain links or
`/module/download/downfile.jsp?classid=0&filename=<x>.pdf` (both found by the base class).
Not handled: columns drawn entirely client-side ("datacall") and sites that encrypt the
dataproxy parameters; they yield what the static page shows.
"""
from __future__ import annotations

import math
import re
from typing import Optional
from urllib.parse import parse_qs, urlencode, urljoin, urlparse, urlunparse

from parsel import Selector

from govreports.links import Link, anchors
from spiders.platforms.base import PageLike, PlatformAdapter, _unique

_RECORD = re.compile(r"<record[^>]*>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup[^>]*>\s*<!\[CDATA\[(.*?)\]\]>", re.S | re.I)
_OPTION = re.compile(r"""\b(totalRecord|perPage|totalrecord|perpage)['"]?\s*[:=]\s*['"]?(\d+)""")
_TOTAL_TAG = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_PROXY_URL = re.compile(r"""proxyUrl['"]?\s*[:=]\s*['"]([^'"]+)['"]""")
_JPAGE_DIV = re.compile(r"""\$\(\s*['"]#(\d+)['"]\s*\)\s*\.jpage""")
_COL = re.compile(r"/col/col(\d+)/")
_UID_PAGENUM = re.compile(r"[?&;]uid=(\d+)&(?:amp;)?pageNum=")
_CANONICAL = {"totalrecord": "totalRecord", "perpage": "perPage"}
DATAPROXY = "/module/web/jpage/dataproxy.jsp"


def records(text: str) -> list[str]:
    """The HTML of each `<record>` in a datastore (column page) or dataproxy answer."""
    return _RECORD.findall(text)


def _param(text: str, name: str) -> Optional[str]:
    m = re.search(rf"[?&;]{name}=(\d+)", text)
    return m.group(1) if m else None


def jpage_options(text: str) -> dict[str, str]:
    """What the column page says about its list: totalRecord, perPage, columnid, unitid, webid
    and proxyUrl, as far as it says."""
    opts: dict[str, str] = {}
    for name, value in _OPTION.findall(text):
        opts.setdefault(_CANONICAL[name.lower()], value)
    m = _TOTAL_TAG.search(text)
    if m:
        opts.setdefault("totalRecord", m.group(1))
    group = " ".join(_NEXTGROUP.findall(text)) + " " + text
    for name in ("columnid", "unitid", "webid"):
        value = _param(group, name)
        if value:
            opts[name] = value
    if "unitid" not in opts:
        m = _JPAGE_DIV.search(text)
        if m:
            opts["unitid"] = m.group(1)
    m = _PROXY_URL.search(text)
    if m:
        opts["proxyUrl"] = m.group(1)
    return opts


class HanwebV1(PlatformAdapter):
    platform = "hanweb"
    version = 1

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return (DATAPROXY in url or "<datastore>" in text or ".jpage(" in text
                or bool(_COL.search(url)) and "/module/" in text)

    def links(self, page: PageLike) -> list[Link]:
        # The datastore sits in a <script>, so its rows are text to an HTML parser.
        rows = records(page.text)
        found = anchors(Selector(text="\n".join(rows)), page.url) if rows else []
        return found + super().links(page)

    def next_pages(self, page: PageLike) -> list[str]:
        if DATAPROXY in page.url:
            return []  # every later page was planned from the column page
        opts = jpage_options(page.text)
        column = opts.get("columnid") or (_COL.search(page.url) or [None, None])[1]
        if not (opts.get("totalRecord") and opts.get("unitid") and opts.get("webid") and column):
            return super().next_pages(page)
        total = int(opts["totalRecord"])
        per = int(opts.get("perPage") or 15)
        shown = len(records(page.text))
        proxy = urljoin(page.url, opts.get("proxyUrl") or DATAPROXY)
        out = []
        for start in range(shown + 1, total + 1, per):
            query = urlencode({"startrecord": start, "endrecord": min(start + per - 1, total),
                               "perpage": per, "columnid": column, "unitid": opts["unitid"],
                               "webid": opts["webid"]})
            out.append(f"{proxy}?{query}")
        return out[: self.max_list_pages]


class HanwebJiangxiV1(HanwebV1):
    """Jiangxi: the server renders page N at `index.html?uid=<u>&pageNum=N`."""
    platform = "hanweb"
    version = 1

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return bool(_UID_PAGENUM.search(url) or _UID_PAGENUM.search(text))

    def next_pages(self, page: PageLike) -> list[str]:
        opts = jpage_options(page.text)
        m = _UID_PAGENUM.search(page.text) or _UID_PAGENUM.search(page.url)
        uid = m.group(1) if m else opts.get("unitid")
        if not (uid and opts.get("totalRecord") and opts.get("perPage")):
            return super(HanwebV1, self).next_pages(page)
        pages = math.ceil(int(opts["totalRecord"]) / int(opts["perPage"]))
        parsed = urlparse(page.url)
        current = int((parse_qs(parsed.query).get("pageNum") or ["1"])[0] or 1)
        base = urlunparse(parsed._replace(query="", fragment=""))
        return _unique(f"{base}?uid={uid}&pageNum={n}"
                       for n in range(current + 1, min(pages, self.max_list_pages) + 1))
