"""Guangdong gkmlpt adapter (政府信息公开目录管理平台, every Guangdong site; portals.md §2).

The platform's pages are drawn from JSON. `/<unit>/gkmlpt/index` carries `window._CONFIG` with
the site id (`SID: '…'`) and the category tree (`TREE: [{"id": 2629, "name": "…年报",
"children": […]}, …]`); a category's articles come from
`/<unit>/gkmlpt/api/all/<catid>?page=N&sid=<SID>`, 100 per page, with the total in
`classify.post_count`. Pages 0 and 1 return the same batch, so paging starts at 1; some sites put
everything on page 1 and answer 404 beyond it, so no later page is asked for once a page held the
whole total, and a failed page ends the list.

The 年报 category is the one the registry's column URL names (`…/gkmlpt/annualreport#<catid>`),
else every top-most category whose name says 年报 / 年度报告. Each article object already holds
the header a report page shows, and the adapter hands it on with the link (ReportLink.header):
identifier → 索引号, document_number → 文号, publisher → 发布机构, date → 成文日期,
created_at (or display_publish_time) → 发布日期, classify_main_name → 分类; its `attachment[]`
({name, url, …}) become the report's files. Timestamps are read in China time (UTC+8).
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Optional
from urllib.parse import parse_qs, urljoin, urlparse

from govreports.links import Link, ReportLink, is_column_title, is_report_title, normalize_title
from spiders.platforms.base import PageLike, PlatformAdapter, json_object

_SID = re.compile(r"""\bSID\s*:\s*['"]([^'"]+)['"]""")
_TREE = re.compile(r"""\bTREE['"]?\s*:\s*(?=\[)""")
_API = re.compile(r"/gkmlpt/api/all/(\d+)")
CHINA = timezone(timedelta(hours=8))
# (article key, header label); the labels are those of a gkmlpt detail page's metadata table.
HEADER_FIELDS = (("identifier", "索引号"), ("document_number", "文号"), ("publisher", "发布机构"),
                 ("classify_main_name", "分类"))


def site_config(text: str) -> tuple[Optional[str], list[dict[str, Any]]]:
    """(SID, TREE) from a page's `window._CONFIG`; TREE is [] when absent or not JSON."""
    sid = _SID.search(text)
    tree: list[dict[str, Any]] = []
    m = _TREE.search(text)
    if m:
        try:
            tree, _ = json.JSONDecoder().raw_decode(text, m.end())
        except ValueError:
            tree = []
    return (sid.group(1) if sid else None), tree if isinstance(tree, list) else []


def _is_annual(name: str) -> bool:
    t = normalize_title(name)
    return is_column_title(t) or "年报" in t or "年度报告" in t


def annual_categories(tree: list[dict[str, Any]]) -> Iterator[int]:
    """Ids of the top-most categories named like a 年报 column (their lists include their
    children's articles, so the children are not listed again)."""
    for node in tree:
        if not isinstance(node, dict):
            continue
        if _is_annual(str(node.get("name") or "")) and node.get("id") is not None:
            yield int(node["id"])
        else:
            yield from annual_categories(node.get("children") or [])


def _day(value: Any) -> Optional[str]:
    """A date as text: Unix timestamps (s or ms) in China time, strings as given."""
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        seconds = float(value)
        if seconds > 1e11:
            seconds /= 1000
        return datetime.fromtimestamp(seconds, CHINA).date().isoformat()
    return str(value).strip() or None


def article_header(article: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs = [(label, str(article[key]).strip()) for key, label in HEADER_FIELDS
             if str(article.get(key) or "").strip()]
    written = _day(article.get("date"))
    if written:
        pairs.append(("成文日期", written))
    published = _day(article.get("created_at")) or _day(article.get("display_publish_time"))
    if published:
        pairs.append(("发布日期", published))
    return tuple(pairs)


def _api_data(page: PageLike) -> Optional[dict[str, Any]]:
    if not _API.search(urlparse(page.url).path):
        return None
    return json_object(page)


def _prefix(url: str) -> str:
    """scheme://host/<unit> of a gkmlpt URL (the unit part is empty on a site's own root)."""
    parsed = urlparse(url)
    path = parsed.path
    unit = path[: path.index("/gkmlpt/")] if "/gkmlpt/" in path else path.rstrip("/")
    return f"{parsed.scheme}://{parsed.netloc}{unit}"


class GkmlptV1(PlatformAdapter):
    platform = "gkmlpt"
    version = 1
    per_page = 100
    continue_after_missing_page = False

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return "/gkmlpt/" in url or ("window._CONFIG" in text and bool(_SID.search(text)))

    def start_urls(self, portal) -> list[str]:
        fragment = urlparse(portal.column_url).fragment
        start = _prefix(portal.column_url) + "/gkmlpt/index"
        return [start + (f"#{fragment}" if fragment.isdigit() else "")]

    def is_annual_column(self, page: PageLike) -> bool:
        return _api_data(page) is not None or super().is_annual_column(page)

    def column_links(self, page: PageLike) -> list[str]:
        sid, tree = site_config(page.text)
        if not sid:
            return super().column_links(page)
        fragment = urlparse(page.url).fragment
        ids = [int(fragment)] if fragment.isdigit() else list(dict.fromkeys(annual_categories(tree)))
        prefix = _prefix(page.url)
        return [f"{prefix}/gkmlpt/api/all/{catid}?page=1&sid={sid}" for catid in ids]

    def report_links(self, page: PageLike, in_column: bool = False) -> list[Any]:
        data = _api_data(page)
        if data is None:
            return super().report_links(page, in_column=in_column)
        out: dict[str, ReportLink] = {}
        for art in data.get("articles") or []:
            if not isinstance(art, dict) or not art.get("url"):
                continue
            title = normalize_title(str(art.get("title") or ""))
            if not is_report_title(title, in_column=True):
                continue
            url = urljoin(page.url, str(art["url"]))
            files = tuple(Link(urljoin(page.url, str(f["url"])), normalize_title(str(f.get("name") or "")))
                          for f in art.get("attachment") or [] if isinstance(f, dict) and f.get("url"))
            out.setdefault(url, ReportLink(url, title, header=article_header(art),
                                           files=files[: self.max_attachments]))
        return list(out.values())

    def next_pages(self, page: PageLike) -> list[str]:
        data = _api_data(page)
        if data is None:
            return []
        total = int((data.get("classify") or {}).get("post_count") or 0)
        got = len(data.get("articles") or [])
        query = parse_qs(urlparse(page.url).query)
        current = int((query.get("page") or ["1"])[0] or 1)
        if not got or got >= total or current * self.per_page >= total:
            return []
        last = min(math.ceil(total / self.per_page), self.max_list_pages)
        base = page.url.split("?", 1)[0]
        sid = (query.get("sid") or [""])[0]
        return [f"{base}?page={n}&sid={sid}" for n in range(current + 1, last + 1)]
