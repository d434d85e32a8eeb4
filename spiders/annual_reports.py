"""The `annual_reports` spider: registry portals → 年报 list pages → report pages (+ attachments).

    scrapy crawl annual_reports                       every portal of the registry
    scrapy crawl annual_reports -a province=福建省     one province (name or 2-digit prefix)
    scrapy crawl annual_reports -a code=350128        one county
    scrapy crawl annual_reports -a registry=FILE      another registry file
    scrapy crawl annual_reports -a column=URL         one 年报 column (or 政务公开 page) by hand;
                                                      platform detected (-a platform= to force),
                                                      -a code= adds the county's registry row
    scrapy crawl annual_reports -a url=URL            exactly one report page (http(s) or file://)

The spider is thin: where lists, reports, pagers and attachments are is the platform adapter's
business (spiders/platforms), which links are reports and which hosts may be followed is
govreports.links, and what an anti-bot answer looks like is govreports.antibot. A report is
yielded once, as a ReportPage, after its attachments were fetched by chained requests.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import unquote, urlparse

import scrapy
from scrapy.http import Request, Response, TextResponse

from govreports.antibot import REASONS, blocked_reason
from govreports.items import Attachment, ReportPage, kept_headers, utc_now
from govreports.links import DEFAULT_ALLOWED_HOSTS, HostPolicy, Link, host_of, parse_host_list
from govreports.registry import PLATFORMS, Portal, RegistryError, load_registry
from spiders.platforms import PlatformAdapter, adapter_for, detect

AUTO = "auto"
# A 政务公开 page leads to the 年报 column in one or two clicks; more is wandering off.
MAX_COLUMN_HOPS = 2
STAT = "govreports/"


class AnnualReportsSpider(scrapy.Spider):
    name = "annual_reports"
    # Anti-bot answers must reach the callbacks to be recorded with their reason.
    handle_httpstatus_list = [412, 521]

    def __init__(self, province: Optional[str] = None, code: Optional[str] = None,
                 registry: Optional[str] = None, column: Optional[str] = None,
                 url: Optional[str] = None, platform: Optional[str] = None, **kwargs: Any):
        super().__init__(**kwargs)
        if url and (column or province or code or registry):
            raise ValueError("-a url= fetches one page; it does not combine with "
                             "column/province/code/registry")
        if platform and platform not in PLATFORMS:
            raise ValueError(f"-a platform={platform}: unknown (known: {', '.join(PLATFORMS)})")
        self.single_url = url
        self.portals: dict[str, Portal] = {}
        self.column = column
        self.forced_platform = platform
        if url and urlparse(url).scheme not in ("http", "https", "file"):
            raise ValueError(f"-a url={url}: need an http(s):// or file:// URL")
        if column and urlparse(column).scheme not in ("http", "https"):
            raise ValueError(f"-a column={column}: need an http(s):// URL")
        if not url and (code or not column):
            # With -a column, -a code only names the county the column belongs to.
            try:
                for portal in load_registry(registry, province=province, code=code):
                    self.portals[portal.code] = portal
            except RegistryError as exc:
                raise ValueError(str(exc)) from exc
        self.list_pages: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        patterns = parse_host_list(crawler.settings.get("GOVREPORTS_ALLOWED_HOSTS")) \
            or list(DEFAULT_ALLOWED_HOSTS)
        extra = [h for p in spider.portals.values() for h in p.hosts]
        if spider.column:
            # A column given by hand is the operator's choice of host.
            extra.append(host_of(spider.column))
        spider.hosts = HostPolicy(patterns).extended(extra)
        # Offsite filtering by Scrapy too, so a redirect to a mirror host is dropped.
        spider.allowed_domains = spider.hosts.domains()
        return spider

    # --- start ------------------------------------------------------------------------------

    async def start(self):
        for request in self._start_requests():
            yield request

    def _start_requests(self) -> Iterator[Request]:
        if self.single_url:
            yield Request(self.single_url, callback=self.parse_report, dont_filter=True,
                          cb_kwargs=dict(portal_code=None, platform=AUTO, list_url=None,
                                         title_hint=None))
            return
        if self.column:
            code = next(iter(self.portals), None)
            yield self._list_request(self.column, code, self.forced_platform or AUTO,
                                     in_column=False, hops=0, dont_filter=True)
            return
        for portal in self.portals.values():
            adapter, exact = adapter_for(portal.platform)
            if not exact:
                self.crawler.stats.inc_value(f"{STAT}adapter_fallback/{portal.platform}")
                self.logger.info("%s %s: no %s adapter yet, crawling with the generic one",
                                 portal.code, portal.name, portal.platform)
            for url in adapter.start_urls(portal):
                yield self._list_request(url, portal.code, portal.platform, in_column=False,
                                         hops=0, dont_filter=True)

    def _list_request(self, url: str, code: Optional[str], platform: str, in_column: bool,
                      hops: int, dont_filter: bool = False) -> Request:
        return Request(url, callback=self.parse_list, dont_filter=dont_filter,
                       cb_kwargs=dict(portal_code=code, platform=platform,
                                      in_column=in_column, hops=hops))

    # --- list pages ------------------------------------------------------------------------

    def _adapter(self, platform: str, response: TextResponse) -> PlatformAdapter:
        if platform == AUTO:
            return detect(response.url, response.text)
        return adapter_for(platform)[0]

    def parse_list(self, response: Response, portal_code: Optional[str], platform: str,
                   in_column: bool, hops: int) -> Iterator[Request]:
        if self._blocked(response) or not self._is_text(response):
            return
        stats = self.crawler.stats
        stats.inc_value(f"{STAT}list_pages")
        key = portal_code or "column"
        self.list_pages[key] = self.list_pages.get(key, 0) + 1
        adapter = self._adapter(platform, response)
        if platform == AUTO:
            stats.inc_value(f"{STAT}detected/{adapter.platform}")
        in_column = in_column or adapter.is_annual_column(response)

        for link in adapter.report_links(response, in_column=in_column):
            if self._follow(link.url, "report"):
                stats.inc_value(f"{STAT}report_links")
                yield Request(link.url, callback=self.parse_report, priority=5,
                              cb_kwargs=dict(portal_code=portal_code, platform=platform,
                                             list_url=response.url, title_hint=link.title))

        if self.list_pages[key] < adapter.max_list_pages:
            for url in adapter.next_pages(response):
                if self._follow(url, "list page"):
                    yield self._list_request(url, portal_code, platform, in_column, hops)
        if hops < MAX_COLUMN_HOPS and not in_column:
            for url in adapter.column_links(response):
                if self._follow(url, "column"):
                    yield self._list_request(url, portal_code, platform, True, hops + 1)

    # --- report pages and attachments ------------------------------------------------------

    def parse_report(self, response: Response, portal_code: Optional[str], platform: str,
                     list_url: Optional[str], title_hint: Optional[str]) -> Iterator[Any]:
        if self._blocked(response):
            return
        path = _local_path(response.url)
        item = ReportPage(url=response.url, body=response.body,
                          headers=kept_headers(response.headers), status=response.status,
                          fetched_at=utc_now(), path=path, portal_code=portal_code,
                          list_url=list_url, title_hint=title_hint or None)
        pending: list[Link] = []
        # A saved page's relative attachment links point nowhere useful: only live pages.
        if self._is_text(response, quiet=True) and path is None:
            adapter = self._adapter(platform, response)
            pending = [a for a in adapter.attachment_links(response)
                       if a.url != response.url and self._follow(a.url, "attachment")]
        yield from self._next_attachment(item, pending)

    def _next_attachment(self, item: ReportPage, pending: list[Link]) -> Iterator[Any]:
        if not pending:
            self.crawler.stats.inc_value(f"{STAT}reports")
            yield item
            return
        link, rest = pending[0], pending[1:]
        # dont_filter: a file shared by two reports must reach both, or the chain would stall
        # in the duplicate filter and the report never be yielded.
        yield Request(link.url, callback=self.parse_attachment, errback=self.attachment_failed,
                      dont_filter=True, priority=10,
                      cb_kwargs=dict(item=item, pending=rest, name=link.title or None))

    def parse_attachment(self, response: Response, item: ReportPage, pending: list[Link],
                         name: Optional[str]) -> Iterator[Any]:
        if not self.hosts.allows(response.url):
            self._offsite(response.url, "attachment redirect")
        elif not self._blocked(response):
            item.attachments.append(Attachment(
                url=response.url, body=response.body, headers=kept_headers(response.headers),
                status=response.status, fetched_at=utc_now(), name=name))
            self.crawler.stats.inc_value(f"{STAT}attachments")
        yield from self._next_attachment(item, pending)

    def attachment_failed(self, failure) -> Iterator[Any]:
        request = failure.request
        self.crawler.stats.inc_value(f"{STAT}attachment_failed")
        self.logger.warning("attachment %s of %s not fetched: %s", request.url,
                            request.cb_kwargs["item"].url, failure.getErrorMessage())
        yield from self._next_attachment(request.cb_kwargs["item"], request.cb_kwargs["pending"])

    # --- helpers ----------------------------------------------------------------------------

    def _follow(self, url: str, what: str) -> bool:
        if self.hosts.allows(url):
            return True
        self._offsite(url, what)
        return False

    def _offsite(self, url: str, what: str) -> None:
        self.crawler.stats.inc_value(f"{STAT}offsite")
        self.logger.info("not following %s on host %s (not in the allow-list): %s", what,
                         host_of(url) or "-", url)

    def _blocked(self, response: Response) -> bool:
        reason = blocked_reason(response.status, response.body)
        if reason is None:
            return False
        self.crawler.stats.inc_value(f"{STAT}blocked/{reason}")
        self.logger.warning("anti-bot answer, not stored and not retried: %s (HTTP %d) at %s",
                            REASONS[reason], response.status, response.url)
        return True

    def _is_text(self, response: Response, quiet: bool = False) -> bool:
        if isinstance(response, TextResponse):
            return True
        if not quiet:
            self.logger.info("list page %s is not text (%s); skipped", response.url,
                             response.headers.get("Content-Type", b"").decode("latin-1"))
        return False

    def closed(self, reason: str) -> None:
        # Callers that run the crawl in a subprocess (demo, tests) read the stats from here.
        out = self.crawler.settings.get("GOVREPORTS_STATS_FILE")
        if out:
            stats = dict(self.crawler.stats.get_stats(), finish_reason=reason)
            Path(out).write_text(json.dumps(stats, default=str, ensure_ascii=False, indent=1),
                                 encoding="utf-8")


def _local_path(url: str) -> Optional[str]:
    """The file behind a file:// URL (a saved page given with -a url=), as the CLI records it."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    return unquote(parsed.path)
