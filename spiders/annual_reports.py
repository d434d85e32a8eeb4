"""The `annual_reports` spider: registry portals → 年报 list pages → report pages (+ attachments).

    scrapy crawl annual_reports                       every portal of the registry
    scrapy crawl annual_reports -a province=福建省     one province (name or 2-digit prefix)
    scrapy crawl annual_reports -a code=350128        one county
    scrapy crawl annual_reports -a registry=FILE      another registry file
    scrapy crawl annual_reports -a column=URL         one 年报 column (or 政务公开 page) by hand;
                                                      platform detected (-a platform= to force),
                                                      -a code= adds the county's registry row
    scrapy crawl annual_reports -a url=URL            exactly one report page (http(s) or file://)
    … -a refresh=1                                    ask again for reports already stored,
                                                      with If-None-Match / If-Modified-Since
    … -a refresh=full                                 fetch reports already stored again in
                                                      full (attachments too), no validators

The spider is thin: where lists, reports, pagers and attachments are is the platform adapter's
business (spiders/platforms), which links are reports and which hosts may be followed is
govreports.links, and what an anti-bot answer looks like is govreports.antibot. A report is
yielded once, as a ReportPage, after its attachments were fetched by chained requests.

A list's pages are fetched one after another: each list request carries the pages still ahead
(`ahead`) and those already seen (`seen`), so a crawl run resumed from a JOBDIR goes on where it
stopped (spiders/crawling/jobdir.py), and an incremental run (govreports.incremental) skips reports
already stored and stops a column at the first page that holds only those, if the previous walk
of that column reached its end. `-a refresh=1` asks for stored reports again with HTTP
conditional requests: a 304 answer is counted (govreports/not_modified) and moves the report's
last_seen, nothing else; `-a refresh=full` fetches them again unconditionally, the only way to
see an attachment replaced under the same URL behind an unchanged page. Anti-bot answers,
failures after retries and off-site redirects are recorded per URL in the fetch log
(govreports.fetchlog, spiders/crawling/fetchlog.py), never stored as reports. Callbacks are
spider methods and cb_kwargs plain data, so every request pickles.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import unquote, urlparse

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from govreports.antibot import BLOCKING_STATUSES, REASONS, blocked_reason
from govreports.config import database_url
from govreports.fetchlog import portal_stat
from govreports.incremental import KnownReports
from govreports.items import Attachment, ReportPage, kept_headers, utc_now, with_listing_header
from govreports.links import (DEFAULT_ALLOWED_HOSTS, HostPolicy, Link, ReportLink, host_of,
                              parse_host_list)
from govreports.registry import PLATFORMS, Portal, RegistryError, load_registry
from spiders.crawling.fetchlog import META_PORTAL, META_ROLE, report_fetch
from spiders.crawling.redirects import OffsiteRedirect
from spiders.platforms import PlatformAdapter, adapter_for, detect

AUTO = "auto"
# A 政务公开 page leads to the 年报 column in one or two clicks; more is wandering off.
MAX_COLUMN_HOPS = 2
STAT = "govreports/"


def _flag(value: Any) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def _refresh_mode(value: Any) -> Optional[str]:
    """None (incremental), "conditional" (-a refresh=1) or "full" (-a refresh=full)."""
    text = str(value or "").strip().lower()
    if text == "full":
        return "full"
    if _flag(text):
        return "conditional"
    if text in ("", "0", "false", "no", "off"):
        return None
    raise ValueError(f"-a refresh={value}: use 1 (conditional requests) or full")


def _meta(portal_code: Optional[str], role: str) -> dict[str, Any]:
    return {META_PORTAL: portal_code, META_ROLE: role}


class AnnualReportsSpider(scrapy.Spider):
    name = "annual_reports"
    # Anti-bot answers must reach the callbacks to be recorded with their reason.
    handle_httpstatus_list = list(BLOCKING_STATUSES)

    def __init__(self, province: Optional[str] = None, code: Optional[str] = None,
                 registry: Optional[str] = None, column: Optional[str] = None,
                 url: Optional[str] = None, platform: Optional[str] = None,
                 refresh: Optional[str] = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.refresh_mode = _refresh_mode(refresh)
        self.refresh = self.refresh_mode is not None
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
        # Report URLs skipped as stored, so one listed on two pages is counted once.
        self.skipped: set[str] = set()

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
        # A refresh fetches every report (refresh=1: conditionally) but still records its list
        # walks (which it finishes).
        incremental = (crawler.settings.getbool("GOVREPORTS_INCREMENTAL", True)
                       and not spider.single_url)
        spider.known = KnownReports(
            database_url(crawler.settings), refresh=spider.refresh,
            failed_known_days=crawler.settings.getfloat("GOVREPORTS_FAILED_KNOWN_DAYS", 30.0),
        ) if incremental else None
        return spider

    # --- start ------------------------------------------------------------------------------

    async def start(self):
        for request in self._start_requests():
            yield request

    def _start_requests(self) -> Iterator[Request]:
        if self.single_url:
            yield Request(self.single_url, callback=self.parse_report, dont_filter=True,
                          errback=self.report_failed, meta=_meta(None, "report"),
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
                      hops: int, dont_filter: bool = False, ahead: Optional[list[str]] = None,
                      seen: Optional[list[str]] = None) -> Request:
        return Request(url, callback=self.parse_list, errback=self.list_failed,
                       dont_filter=dont_filter, meta=_meta(code, "list"),
                       cb_kwargs=dict(portal_code=code, platform=platform, in_column=in_column,
                                      hops=hops, ahead=list(ahead or ()), seen=list(seen or ())))

    # --- list pages ------------------------------------------------------------------------

    def _adapter(self, platform: str, response: TextResponse) -> PlatformAdapter:
        if platform == AUTO:
            return detect(response.url, response.text)
        return adapter_for(platform, response.url, response.text)[0]

    def parse_list(self, response: Response, portal_code: Optional[str], platform: str,
                   in_column: bool, hops: int, ahead: Optional[list[str]] = None,
                   seen: Optional[list[str]] = None) -> Iterator[Request]:
        ahead, seen = list(ahead or ()), [*(seen or ()), response.url]
        # A WAF answers every page of a list alike: the rest of this list is not asked for.
        if self._blocked(response, portal_code) or not self._is_text(response):
            return
        stats = self.crawler.stats
        stats.inc_value(f"{STAT}list_pages")
        stats.inc_value(portal_stat(portal_code, "list_pages"))
        page = _as_requested(response)
        adapter = self._adapter(platform, page)
        if platform == AUTO:
            stats.inc_value(f"{STAT}detected/{adapter.platform}")
            if adapter.platform != "generic":
                # The rest of this column is that platform's (its API pages detect nothing).
                platform = adapter.platform
        in_column = in_column or adapter.is_annual_column(page)

        links = [link for link in adapter.report_links(page, in_column=in_column)
                 if self._follow(link.url, "report")]
        known = self.known.known(link.url for link in links) if self.known else set()
        # A refresh=1 re-fetch of stored reports is conditional: one query for the whole page.
        validators = (self.known.validators(link.url for link in links)
                      if self.known and self.refresh_mode == "conditional" else {})
        refused = self.known.last_failed if self.known else set()
        for link in links:
            if link.url in known:
                if link.url not in self.skipped:
                    self.skipped.add(link.url)
                    # Stored before, or refused for good lately (the fetch log).
                    what = "skipped_refused" if link.url in refused else "skipped_known"
                    stats.inc_value(f"{STAT}{what}")
                    stats.inc_value(portal_stat(portal_code, what))
                continue
            stats.inc_value(f"{STAT}report_links")
            yield self._report_request(link, portal_code, platform, response.url,
                                       validators.get(link.url))

        for url in adapter.next_pages(page):
            if url not in seen and url not in ahead and self._follow(url, "list page"):
                ahead.append(url)
        for reason, detail in adapter.unreachable(page):
            # A list the crawl can only partly read is recorded, not taken for complete.
            self.logger.warning("%s: %s at %s", portal_code or "column", detail, response.url)
            report_fetch(self.crawler, response.request, "blocked", reason, url=response.url,
                         detail=detail)
        # Lists are newest first: a page of reports all known means the rest are too, once a
        # walk of this list (keyed by its first page) has reached its end before.
        walked = self.known.begin_walk(seen[0], portal_code) if self.known else False
        if links and len(known) == len(links) and walked:
            if ahead:
                stats.inc_value(f"{STAT}paging_stopped")
                self.logger.info("%s: every report on %s is known; %d further list page(s) "
                                 "not fetched", portal_code or "column", response.url, len(ahead))
        else:
            yield from self._next_list_page(portal_code, platform, in_column, hops, ahead, seen,
                                            adapter.max_list_pages)
        if hops < MAX_COLUMN_HOPS and not in_column:
            for url in adapter.column_links(page):
                if self._follow(url, "column"):
                    yield self._list_request(url, portal_code, platform, True, hops + 1)

    def _next_list_page(self, portal_code: Optional[str], platform: str, in_column: bool,
                        hops: int, ahead: list[str], seen: list[str],
                        max_pages: int) -> Iterator[Request]:
        ahead = [url for url in ahead if url not in seen]
        if ahead and len(seen) < max_pages:
            yield self._list_request(ahead[0], portal_code, platform, in_column, hops,
                                     ahead=ahead[1:], seen=seen)

    def list_failed(self, failure) -> Iterator[Request]:
        """A list page that failed after its retries: recorded, and the list goes on to its next
        page unless the platform says a missing page ends it."""
        request = failure.request
        kw = request.cb_kwargs
        self._record_failure(failure)
        adapter = PlatformAdapter() if kw["platform"] == AUTO else adapter_for(kw["platform"])[0]
        if adapter.continue_after_missing_page:
            yield from self._next_list_page(kw["portal_code"], kw["platform"], kw["in_column"],
                                            kw["hops"], list(kw.get("ahead") or ()),
                                            [*(kw.get("seen") or ()), request.url],
                                            adapter.max_list_pages)

    # --- report pages and attachments ------------------------------------------------------

    def _report_request(self, link: Link, portal_code: Optional[str], platform: str,
                        list_url: str, validators: Optional[dict[str, str]] = None) -> Request:
        extra = link if isinstance(link, ReportLink) else ReportLink(link.url, link.title)
        meta = _meta(portal_code, "report")
        if validators:
            # Only a conditional request may meet 304, and it must reach parse_report; the
            # anti-bot statuses stay allowed, since the meta key replaces the spider's list.
            meta["handle_httpstatus_list"] = [*self.handle_httpstatus_list, 304]
        return Request(link.url, callback=self.parse_report, errback=self.report_failed,
                       priority=5, meta=meta, headers=validators or None,
                       cb_kwargs=dict(portal_code=portal_code, platform=platform,
                                      list_url=list_url, title_hint=link.title,
                                      listing=[list(p) for p in extra.header],
                                      files=[[f.url, f.title] for f in extra.files]))

    def parse_report(self, response: Response, portal_code: Optional[str], platform: str,
                     list_url: Optional[str], title_hint: Optional[str],
                     listing: Optional[list[list[str]]] = None,
                     files: Optional[list[list[str]]] = None) -> Iterator[Any]:
        if response.status == 304:
            self._not_modified(response, portal_code)
            return
        if self._blocked(response, portal_code):
            return
        path = _local_path(response.url)
        headers = with_listing_header(kept_headers(response.headers), listing)
        item = ReportPage(url=response.url, body=response.body, headers=headers,
                          status=response.status, fetched_at=utc_now(), path=path,
                          portal_code=portal_code, list_url=list_url,
                          title_hint=title_hint or None)
        pending: dict[str, Link] = {}
        # A saved page's relative attachment links point nowhere useful: only live pages.
        if self._is_text(response, quiet=True) and path is None:
            adapter = self._adapter(platform, response)
            for a in adapter.attachment_links(response):
                pending.setdefault(a.url, a)
        # Files the list named (gkmlpt's attachment[]), whether or not the page links them.
        for url, name in files or ():
            pending.setdefault(url, Link(url, name))
        todo = [a for a in pending.values()
                if a.url != response.url and self._follow(a.url, "attachment")]
        yield from self._next_attachment(item, todo)

    def _not_modified(self, response: Response, portal_code: Optional[str]) -> None:
        """A stored report answered 304 to its validators: no item, no parse; it was seen."""
        self.crawler.stats.inc_value(f"{STAT}not_modified")
        self.crawler.stats.inc_value(portal_stat(portal_code, "not_modified"))
        if self.known is not None:
            self.known.touch(response.url)

    def report_failed(self, failure) -> None:
        self._record_failure(failure)

    def _next_attachment(self, item: ReportPage, pending: list[Link]) -> Iterator[Any]:
        if not pending:
            self.crawler.stats.inc_value(f"{STAT}reports")
            self.crawler.stats.inc_value(portal_stat(item.portal_code, "reports"))
            yield item
            return
        link, rest = pending[0], pending[1:]
        # dont_filter: a file shared by two reports must reach both, or the chain would stall
        # in the duplicate filter and the report never be yielded.
        yield Request(link.url, callback=self.parse_attachment, errback=self.attachment_failed,
                      dont_filter=True, priority=10, meta=_meta(item.portal_code, "attachment"),
                      cb_kwargs=dict(item=item, pending=rest, name=link.title or None))

    def parse_attachment(self, response: Response, item: ReportPage, pending: list[Link],
                         name: Optional[str]) -> Iterator[Any]:
        if not self.hosts.allows(response.url):
            self._offsite(response.url, "attachment redirect")
        elif not self._blocked(response, item.portal_code):
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
        self._record_failure(failure)
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

    def _blocked(self, response: Response, portal_code: Optional[str] = None) -> bool:
        reason = blocked_reason(response.status, response.body)
        if reason is None:
            return False
        self.crawler.stats.inc_value(f"{STAT}blocked/{reason}")
        self.logger.warning("anti-bot answer, not stored and not retried: %s (HTTP %d) at %s",
                            REASONS[reason], response.status, response.url)
        request = response.request
        if request is not None and META_PORTAL not in request.meta:
            request = request.replace(meta={**request.meta, **_meta(portal_code, "report")})
        report_fetch(self.crawler, request, "blocked", reason, url=response.url,
                     status=response.status, size=len(response.body))
        return True

    def _record_failure(self, failure) -> None:
        """A request that ended in an error after its retries, in the fetch log."""
        exc, request = failure.value, failure.request
        if isinstance(exc, OffsiteRedirect):
            return  # recorded where it was dropped (spiders.crawling.redirects)
        if isinstance(exc, HttpError):
            status = exc.response.status
            report_fetch(self.crawler, request, "failed", f"http_{status}", status=status,
                         size=len(exc.response.body))
        elif isinstance(exc, IgnoreRequest):
            reason = "robots_txt" if "robots.txt" in str(exc) else "ignored"
            report_fetch(self.crawler, request, "failed", reason, detail=str(exc))
        else:
            report_fetch(self.crawler, request, "failed", type(exc).__name__,
                         detail=failure.getErrorMessage())

    def _is_text(self, response: Response, quiet: bool = False) -> bool:
        if isinstance(response, TextResponse):
            return True
        if not quiet:
            self.logger.info("list page %s is not text (%s); skipped", response.url,
                             response.headers.get("Content-Type", b"").decode("latin-1"))
        return False

    def closed(self, reason: str) -> None:
        if self.known is not None:
            self.known.finish(reason)
            self.known.close()
        # Callers that run the crawl in a subprocess (demo, tests) read the stats from here.
        out = self.crawler.settings.get("GOVREPORTS_STATS_FILE")
        if out:
            stats = dict(self.crawler.stats.get_stats(), finish_reason=reason)
            Path(out).write_text(json.dumps(stats, default=str, ensure_ascii=False, indent=1),
                                 encoding="utf-8")


def _as_requested(response: Response) -> Response:
    """The response under the URL as requested, fragment included: Scrapy drops the fragment,
    and gkmlpt's `annualreport#<catid>` names the category there."""
    request = response.request
    if request is not None and "#" in request.url and request.url.split("#")[0] == response.url:
        return response.replace(url=request.url)
    return response


def _local_path(url: str) -> Optional[str]:
    """The file behind a file:// URL (a saved page given with -a url=), as the CLI records it."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    return unquote(parsed.path)
