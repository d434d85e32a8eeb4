"""The platform adapter contract: what differs between portal platforms, and nothing else.

One adapter per platform (TRS WCM, Hanweb/jpaas, gkmlpt, VSB, generic), never one per county:
a county is a registry row (govreports/registry.csv) naming its platform and column URL.
The spider asks the portal's adapter where the list pages, report links, further pages and
attachments are, and does the fetching itself.

A subclass declares:
    platform   the registry value it serves ("trs", "hanweb", ...)
    version    an integer; when a platform changes its markup, keep the old class and add
               `<Platform>V2(<Platform>V1)` beside it (querido-diario style), then point
               ADAPTERS in spiders/platforms/__init__.py at the version to use

and overrides only the hooks that differ from the generic behaviour:
    detect(url, text) -> bool           classmethod: does this page look like the platform?
                                        (used when a column is given by hand, -a column=URL)
    start_urls(portal) -> [url]         list pages to fetch first; default: the column URL
    report_links(page, in_column) -> [Link]
                                        report pages linked from a list page; the title rule is
                                        govreports.links.is_report_title. A ReportLink may add
                                        what the list says about the report: `header` pairs
                                        (索引号, 文号, 发布机构, 成文日期, 发布日期 …, merged into
                                        the report's header after the page's own) and `files`
                                        (fetched as the report's attachments)
    next_pages(page) -> [url]           further pages of the same list, in reading order. The
                                        spider fetches them one at a time (later pages are
                                        remembered in the request), so a re-run stops at the
                                        first page holding only reports already stored
    column_links(page) -> [url]         the 年报 column, when the page is a 政务公开 page
    unreachable(page) -> [(reason, detail)]
                                        parts of the list the adapter sees but cannot ask for
                                        without running the site's script (Hanweb's encrypted
                                        dataproxy parameters); the spider records each in the
                                        fetch log as `blocked` with that reason. Default: none
    attachment_links(page) -> [Link]    files linked from a report page (pdf, doc, docx, ...)
    is_annual_column(page) -> bool      whether a list page is itself the 年报 column

and may set:
    continue_after_missing_page         a list page that fails (404, 5xx after retries): go on
                                        to the next one (True: TRS lists that 404 on index_1) or
                                        end the list there (False: gkmlpt's 404 beyond page 1)

`page` is anything with `.url`, `.text` and `.selector` (a parsel Selector): a Scrapy
TextResponse, or `Page` below in tests. Its `.url` is the URL as requested, fragment included
(gkmlpt's `annualreport#<catid>` names the category there).
Hooks return plain URLs and Links, never Requests, so
they run without Scrapy; the spider turns them into requests and applies the host allow-list.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Optional, Protocol

from parsel import Selector

from govreports.links import (Link, anchors, attachment_in_viewer,
                              is_attachment_url, is_column_title, is_download_link,
                              is_next_page_text, is_report_title, may_link_attachments,
                              page_is_annual_column,
                              same_directory)


class PageLike(Protocol):
    url: str
    text: str
    selector: Selector


@dataclass
class Page:
    """A fetched page outside Scrapy (tests, tools): URL and decoded text."""
    url: str
    text: str = field(repr=False)

    @cached_property
    def selector(self) -> Selector:
        return Selector(text=self.text)


def json_object(page: PageLike) -> Optional[dict[str, Any]]:
    """A list API's answer as a JSON object, or None for a page that is not one."""
    try:
        data = json.loads(page.text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))


class PlatformAdapter:
    platform = "generic"
    version = 1
    # A list deeper than this is a loop or a search page, not a 年报 column.
    max_list_pages = 100
    # A report page with more files than this links a download centre, not its own files.
    max_attachments = 10
    continue_after_missing_page = True

    @classmethod
    def detect(cls, url: str, text: str) -> bool:
        return False

    def start_urls(self, portal) -> list[str]:
        return [portal.column_url]

    def links(self, page: PageLike) -> list[Link]:
        return anchors(page.selector, page.url)

    def is_annual_column(self, page: PageLike) -> bool:
        sel = page.selector
        return page_is_annual_column(sel.xpath("//title/text()").get(),
                                     sel.xpath('//meta[@name="ColumnName"]/@content').get())

    def report_links(self, page: PageLike, in_column: bool = False) -> list[Link]:
        seen: dict[str, Link] = {}
        for link in self.links(page):
            if link.url != page.url and is_report_title(link.title, in_column=in_column):
                seen.setdefault(link.url, link)
        return list(seen.values())

    def next_pages(self, page: PageLike) -> list[str]:
        """下一页 links, and page-number links that stay in the list's folder."""
        out = []
        for link in self.links(page):
            if link.url == page.url:
                continue
            if is_next_page_text(link.title):
                out.append(link.url)
            elif link.title.isdigit() and 1 <= int(link.title) <= self.max_list_pages \
                    and same_directory(link.url, page.url):
                out.append(link.url)
        return _unique(out)

    def unreachable(self, page: PageLike) -> list[tuple[str, str]]:
        return []

    def column_links(self, page: PageLike) -> list[str]:
        return _unique(link.url for link in self.links(page)
                       if link.url != page.url and is_column_title(link.title))

    def is_attachment(self, link: Link) -> bool:
        """A link to one of the report's files: by extension or a PDF viewer's file=, or a
        download script naming the file in its query or text (Hanweb, VSB)."""
        return is_attachment_url(link.url) or is_download_link(link.url, link.title)

    def attachment_links(self, page: PageLike) -> list[Link]:
        body = getattr(page, "body", None)  # a response's bytes spare decoding them
        if not may_link_attachments(body if isinstance(body, bytes) else page.text):
            return []
        seen: dict[str, Link] = {}
        for link in self.links(page):
            if not self.is_attachment(link):
                continue
            url = attachment_in_viewer(link.url) or link.url
            seen.setdefault(url, Link(url, link.title))
        return list(seen.values())[: self.max_attachments]
