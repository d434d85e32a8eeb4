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

Columns drawn entirely client-side (portals.md's "datacall" columns). The one public shape found
for them, on Zhejiang's and other jpaas sites: the column page is a shell whose list comes from
the JPaaS "page build unit" the page itself declares, `<script src="…/AuthorizedRead/
unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit" queryData="{'webId':
'…','pageId':'…','tplSetId':'…','tagId':'…', …}">`. A GET of that URL with the queryData as its
query answers `{"data": {"html": "<ul><li><a …>"}}`, the list's rows. Page N adds
`paramJson={"pageNo": N, "pageSize": S}` as public crawlers of these sites do; S is taken to be
the number of rows page 1 had (assumed: the unit's default page size is not written anywhere).
Paging ends at the first page with fewer rows. A client-side column of another shape yields
nothing beyond its page, as before.

Sites that encrypt the dataproxy parameters (the `<nextgroup>` link carries opaque blobs for
columnid/unitid/webid instead of numbers; national ministries' jpaas sites, public crawlers
report empty answers when such a URL is replayed): the parameters are computed by the site's
script, and the crawl does not run it. The static rows of page 1 are crawled, and when the page
announces more records than it shows (or does not say how many), `unreachable` names the gap,
which the spider records in the fetch log (outcome `blocked`, reason `encrypted_params`) and in
the per-portal summary, rather than reporting a short column as complete.
"""
from __future__ import annotations

import html
import json
import math
import re
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urljoin, urlparse, urlunparse

from parsel import Selector

from govreports.links import Link, anchors
from spiders.platforms.base import PageLike, PlatformAdapter, _unique, json_object

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
_GROUP_PARAM = re.compile(r"[?&;](columnid|unitid|webid)=([^&\"'\s]*)", re.I)
_UNITBUILD = re.compile(r"<script\b[^>]*unitbuild\.js[^>]*>", re.I | re.S)
_ATTR = re.compile(r"""\b([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.S)
UNIT_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
# Why a list is left short; the spider records the key as the fetch log's reason.
UNREACHABLE = {
    "encrypted_params": "the list's later pages are asked for with parameters the site's script "
                        "encrypts; only the rows of the static page were crawled",
}


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


def encrypted_group(text: str) -> Optional[str]:
    """The `<nextgroup>` dataproxy link when its columnid/unitid/webid are not plain numbers
    (blobs the site's script made), else None."""
    for group in _NEXTGROUP.findall(text):
        params = dict((k.lower(), v) for k, v in _GROUP_PARAM.findall(group))
        if params and any(v and not v.isdigit() for v in params.values()):
            m = re.search(r"""href=["']([^"']+)""", group)
            return html.unescape(m.group(1)) if m else group.strip()
    return None


def unit_spec(text: str) -> Optional[tuple[str, dict[str, str]]]:
    """(API URL, queryData) of a column drawn by the JPaaS page-build unit, or None. The
    queryData attribute is a JSON object written with single quotes."""
    for tag in _UNITBUILD.findall(text):
        attrs = {m.group(1).lower(): html.unescape(m.group(2) if m.group(2) is not None
                                                    else m.group(3)) for m in _ATTR.finditer(tag)}
        raw = attrs.get("querydata")
        if not raw:
            continue
        try:
            query = json.loads(raw.replace("'", '"'))
        except ValueError:
            continue
        if isinstance(query, dict) and query.get("pageId"):
            return attrs.get("url") or UNIT_API, {k: str(v) for k, v in query.items()}
    return None


def unit_answer(page: PageLike) -> Optional[dict[str, Any]]:
    """The JSON of a page-build unit answer, or None for any other page."""
    if UNIT_API not in urlparse(page.url).path:
        return None
    return json_object(page)


def unit_html(data: dict[str, Any]) -> str:
    inner = data.get("data")
    value = inner.get("html") if isinstance(inner, dict) else None
    return value if isinstance(value, str) else ""


class HanwebV1(PlatformAdapter):
    platform = "hanweb"
    version = 1

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return (DATAPROXY in url or UNIT_API in url or "<datastore>" in text or ".jpage(" in text
                or "unitbuild.js" in text or bool(_COL.search(url)) and "/module/" in text)

    def is_annual_column(self, page: PageLike) -> bool:
        # A unit answer is only ever asked for from a column page.
        return unit_answer(page) is not None or super().is_annual_column(page)

    def links(self, page: PageLike) -> list[Link]:
        data = unit_answer(page)
        if data is not None:
            rows = unit_html(data)
            return anchors(Selector(text=rows), page.url) if rows.strip() else []
        # The datastore sits in a <script>, so its rows are text to an HTML parser.
        rows = records(page.text)
        found = anchors(Selector(text="\n".join(rows)), page.url) if rows else []
        return found + super().links(page)

    def unreachable(self, page: PageLike) -> list[tuple[str, str]]:
        if DATAPROXY in page.url or unit_answer(page) is not None:
            return []
        group = encrypted_group(page.text)
        if group is None:
            return []
        total = jpage_options(page.text).get("totalRecord")
        shown = len(records(page.text))
        if total is not None and int(total) <= shown:
            return []  # the static page holds the whole list
        said = f"{total} announced, {shown} on the page" if total else f"{shown} on the page"
        return [("encrypted_params", f"{UNREACHABLE['encrypted_params']} ({said}): {group}")]

    def next_pages(self, page: PageLike) -> list[str]:
        if DATAPROXY in page.url:
            return []  # every later page was planned from the column page
        data = unit_answer(page)
        if data is not None:
            return self._next_unit_page(page, data)
        spec = unit_spec(page.text)
        if spec is not None:
            api, query = spec
            return [f"{urljoin(page.url, api)}?{urlencode(query)}"]
        if encrypted_group(page.text) is not None:
            return []  # plain ids would ask for another list, or for nothing (see unreachable)
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

    def _next_unit_page(self, page: PageLike, data: dict[str, Any]) -> list[str]:
        """The unit's next page while this one is full. Page 1 (asked with the page's own
        queryData) fixes the page size; later pages carry it in paramJson."""
        # Rows, not anchors: a row may link more than its title.
        got = unit_html(data).lower().count("<li") or len(self.links(page))
        if not got:
            return []
        parsed = urlparse(page.url)
        query = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
        try:
            param = json.loads(query.pop("paramJson", "") or "{}")
            current, size = int(param.get("pageNo") or 1), int(param.get("pageSize") or got)
        except (ValueError, TypeError, AttributeError):
            return []
        if got < size or current >= self.max_list_pages:
            return []
        paging = json.dumps({"pageNo": current + 1, "pageSize": size}, separators=(",", ":"))
        base = urlunparse(parsed._replace(query="", fragment=""))
        return [f"{base}?{urlencode({**query, 'paramJson': paging})}"]


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
