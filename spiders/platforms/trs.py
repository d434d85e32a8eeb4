"""TRS WCM adapter (Fujian, Guizhou, Chongqing, Hubei, Beijing … portals.md §2).

A TRS list is `index.html`, `index_1.html`, `index_2.html` …; the page count is only announced
in a script call, `createPageHTML(<total>, <current>, "index", "html")` (newer templates put a
container id first and a record count last), since the pager itself is drawn by JavaScript.
Detail pages are t-date URLs (`/YYYYMM/tYYYYMMDD_<id>.htm`). A list that 404s on index_1 loses
only that page: the later pages are still requested.

Fujian's 集约化 sites (Pingtan's 年报 column among them) draw their lists with the `list2.trsapi`
script instead ("动静结合"): page 1 is static HTML, and the page says how the rest is asked for:

    SiteInfo = { … searchId: 200210, … }               the site's search channel
    listModel({ quickMode: "动静结合", maxStaticIndex: 1,
                listArgs: { channelid: SiteInfo.searchId, classsql: "" || "chnlid=1813",
                            sortfield: "-docorderpri,-docreltime" },
                pagebar: { prepage: 10, recordCount: '20', … } })

The later pages come from the site's search service, `/fjdzapp/search`, with those listArgs plus
`page` and `prepage`; page N of the search is page N of the list (same channel filter, same
sort). Its answer is JSON, `{"pageCount": N, "data": [{"doctitle", "chnldocurl", "docpuburl",
"docreltime", "pubdate", "idxid", "fileno", "puborg", …}]}` (field names as public crawlers of
pingtan.gov.cn and other Fujian sites read them); each row's 索引号 / 文号 / 发布机构 / 发布日期
go with its link, since a Fujian report page has no header table. The older was5 search
(`/was5/web/search?…&templet=docs.jsp`) answers `{"docs": [{"title", "url", "chnldocurl",
"time"}]}` in a JavaScript-ish JSON (single-quoted values, raw line breaks), read here as well.

Assumed, not verified against a live site (the list2.trsapi script itself was not available to
read): public crawlers POST these parameters as a form to /fjdzapp/search, and this adapter asks
with GET and the same parameters in the query, because the spider's list requests are GETs; the
service reading both alike (as JSP servlets do) is an assumption. A site that refuses the GET
fails that list page, which the fetch log records like any failed page. Also assumed: the search
endpoint is /fjdzapp/search on the column's own host (it is on every Fujian site seen), and
page N of the search holds the rows of page N of the list (same filter, same sort, same size).
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import PurePosixPath
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

from govreports.links import Link, ReportLink, is_report_title, normalize_title
from spiders.platforms.base import PageLike, PlatformAdapter, _unique

_CREATE_PAGE = re.compile(
    r"""createPageHTML\s*\(\s*(?:['"][^'"]*['"]\s*,\s*)?(\d+)\s*,\s*(\d+)"""
    r"""(?:\s*,\s*['"]([\w-]+)['"]\s*,\s*['"](\w+)['"])?""")
_T_DATE_LINK = re.compile(r"""href=["'][^"']*/t\d{8}_\d+\.s?html?""")

# --- Fujian list2.trsapi ----------------------------------------------------------------------
SEARCH_PATH = "/fjdzapp/search"
_SEARCH_PATHS = (SEARCH_PATH, "/was5/web/search")
_LIST_MODEL = re.compile(r"listModel\s*\(\s*\{")
_LIST_ARGS = re.compile(r"listArgs\s*:\s*\{(.*?)\}", re.S)
_TERM = r"""(?:"[^"]*"|'[^']*'|[\w.]+)"""
_ARG = re.compile(rf"""(\w+)\s*:\s*({_TERM}(?:\s*\|\|\s*{_TERM})*)""")
_LITERAL = re.compile(r""""([^"]*)"|'([^']*)'|([\w.]+)""")
_SEARCH_ID = re.compile(r"""\bsearchId\s*:\s*['"]?(\d+)""")
_NUMBER_OPT = re.compile(r"""\b(prepage|recordCount)\s*:\s*['"]?(\d+)""")
_CHNL_META = re.compile(r"""<meta\s+name=["']ChnlId["']\s+content=["'](\d+)""", re.I)
# A value in the was5 answer written with single quotes ('###pypy###'), which JSON does not allow.
_SINGLE_QUOTED = re.compile(r""":\s*'([^'\\]*)'""")
# (row key, header label); the labels are those a report page's header table would show.
_ROW_HEADER = (("idxid", "索引号"), ("fileno", "文号"), ("puborg", "发布机构"))


def page_count(text: str) -> Optional[tuple[int, int, str, str]]:
    """(total, current, name, ext) from the createPageHTML call, or None."""
    m = _CREATE_PAGE.search(text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), m.group(3) or "index", m.group(4) or "html"


def _value(expr: str, text: str) -> Optional[str]:
    """A listArgs value: the first non-empty literal of `"" || "chnlid=1813"`, with the one
    variable these pages use (SiteInfo.searchId) looked up on the page."""
    for m in _LITERAL.finditer(expr):
        quoted = m.group(1) if m.group(1) is not None else m.group(2)
        if quoted is not None:
            if quoted:
                return quoted
            continue
        word = m.group(3)
        if word.isdigit():
            return word
        if word.endswith("searchId"):
            found = _SEARCH_ID.search(text)
            if found:
                return found.group(1)
    return None


def list2_options(text: str) -> Optional[dict[str, Any]]:
    """What a list2.trsapi column page says about its later pages: `args` (the search
    parameters: channelid, classsql, sortfield …), `prepage` and `recordCount` (None when not
    given). None when the page is no such list (report pages load list2.trsapi too, without a
    listModel call)."""
    if "list2.trsapi" not in text:
        return None
    model = _LIST_MODEL.search(text)
    if not model:
        return None
    body = _LIST_ARGS.search(text, model.end())
    if not body:
        return None
    args = {}
    for name, expr in _ARG.findall(body.group(1)):
        value = _value(expr, text)
        if value:
            args[name] = value
    if "classsql" not in args:
        # The column's own channel id, which every Fujian list page carries in a <meta>.
        chnl = _CHNL_META.search(text)
        if chnl:
            args["classsql"] = f"chnlid={chnl.group(1)}"
    if not args.get("channelid"):
        return None
    numbers = {k: int(v) for k, v in _NUMBER_OPT.findall(text[model.start():])}
    return {"args": args, "prepage": numbers.get("prepage") or 10,
            "recordCount": numbers.get("recordCount")}


def search_url(base_url: str, args: dict[str, str], page: int, prepage: int,
               path: str = SEARCH_PATH) -> str:
    return urljoin(base_url, path) + "?" + urlencode({**args, "page": page, "prepage": prepage})


def search_answer(page: PageLike) -> Optional[dict[str, Any]]:
    """The JSON of a search-channel answer (fjdzapp or was5), or None for any other page."""
    if urlparse(page.url).path not in _SEARCH_PATHS:
        return None
    text = page.text.strip()
    for attempt in (text, _SINGLE_QUOTED.sub(lambda m: ": " + json.dumps(m.group(1)), text)):
        try:
            data = json.loads(attempt, strict=False)
        except ValueError:
            continue
        return data if isinstance(data, dict) else None
    return None


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = data.get("data")
    if not isinstance(rows, list):
        rows = data.get("docs")
    return [r for r in rows or () if isinstance(r, dict)]


def _day(value: Any) -> Optional[str]:
    """A row's date as YYYY-MM-DD: strings keep their date part, timestamps (s or ms) are
    read in China time."""
    if value in (None, "", 0):
        return None
    text = str(value).strip()
    if text.isdigit():
        seconds = float(text) / (1000 if float(text) > 1e11 else 1)
        return datetime.fromtimestamp(seconds, timezone(timedelta(hours=8))).date().isoformat()
    m = re.match(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})", text)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else text


def row_header(row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs = [(label, str(row[key]).strip()) for key, label in _ROW_HEADER
             if str(row.get(key) or "").strip()]
    published = _day(row.get("pubdate")) or _day(row.get("docreltime")) or _day(row.get("time"))
    if published:
        pairs.append(("发布日期", published))
    return tuple(pairs)


def _strip_tags(text: str) -> str:
    # was5 titles can carry the search's <font color=red> highlighting.
    return re.sub(r"<[^>]+>", "", text)


class TrsV1(PlatformAdapter):
    platform = "trs"
    version = 1

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return ("createPageHTML" in text or "TRS_Editor" in text
                or len(_T_DATE_LINK.findall(text)) >= 2 or list2_options(text) is not None)

    def start_urls(self, portal) -> list[str]:
        url = portal.column_url
        path = urlparse(url).path
        # index_N.html resolves against the column's folder, so a folder URL needs its slash.
        if not path.endswith("/") and not PurePosixPath(path).suffix:
            url = url.replace(path, path + "/", 1) if path else url + "/"
        return [url]

    def is_annual_column(self, page: PageLike) -> bool:
        # A search answer is only ever asked for from a column's page 1.
        return search_answer(page) is not None or super().is_annual_column(page)

    def report_links(self, page: PageLike, in_column: bool = False) -> list[Link]:
        data = search_answer(page)
        if data is None:
            return super().report_links(page, in_column=in_column)
        out: dict[str, ReportLink] = {}
        for row in _rows(data):
            # The list template links `chnldocurl` (the document in this column).
            href = row.get("chnldocurl") or row.get("docpuburl") or row.get("url")
            title = normalize_title(_strip_tags(str(row.get("doctitle") or row.get("title") or "")))
            if not href or not is_report_title(title, in_column=True):
                continue
            url = urljoin(page.url, str(href))
            out.setdefault(url, ReportLink(url, title, header=row_header(row)))
        return list(out.values())

    def next_pages(self, page: PageLike) -> list[str]:
        data = search_answer(page)
        if data is not None:
            return self._later_search_pages(page, data)
        options = list2_options(page.text)
        if options is not None:
            return self._search_pages(page.url, options)
        found = page_count(page.text)
        if found is None:
            return super().next_pages(page)
        total, _current, name, ext = found
        total = min(total, self.max_list_pages)
        return _unique(urljoin(page.url, f"{name}_{n}.{ext}") for n in range(1, total))

    def _search_pages(self, url: str, options: dict[str, Any]) -> list[str]:
        """Search pages 2 … last. Page 2 on, even where `maxStaticIndex` says more pages are
        static: the search serves the same rows, and static pages beyond the first are not
        linked from page 1. Without a record count only page 2 is planned; its answer's
        pageCount names the rest."""
        per, first = options["prepage"], 2
        count = options["recordCount"]
        last = math.ceil(count / per) if count is not None else first
        last = min(last, self.max_list_pages)
        return [search_url(url, options["args"], n, per) for n in range(first, last + 1)]

    def _later_search_pages(self, page: PageLike, data: dict[str, Any]) -> list[str]:
        query = {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}
        try:
            current = int(query.pop("page", "1"))
            per = int(query.pop("prepage", "10"))
            total = int(data.get("pageCount") or 0)
        except ValueError:
            return []
        if not _rows(data):
            return []
        last = min(total, self.max_list_pages)
        path = urlparse(page.url).path
        return [search_url(page.url, query, n, per, path) for n in range(current + 1, last + 1)]
