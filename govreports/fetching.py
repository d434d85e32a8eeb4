"""Downloader middlewares for fetching county portals right (settings DOWNLOADER_MIDDLEWARES).

- OffsiteRedirectMiddleware (3xx, before RedirectMiddleware) and OffsiteMetaRefreshMiddleware
  (<meta refresh>, after decompression, before MetaRefreshMiddleware): a redirect to a host the
  crawl may not follow (spam mirrors of gov pages, portals.md §5) is dropped and recorded in the
  fetch log. Scrapy's offsite filter would drop the redirected request silently when it is
  scheduled, without calling the errback, and a report waiting for that attachment would never
  be yielded; failing the request here calls its errback.
- HttpFallbackMiddleware: when an https fetch fails before any answer (handshake refused or cut,
  port closed: Shenzhen gkmlpt, shandong.gov.cn, http-only districts, portals.md §6), the same
  address is fetched over http, and every later https request to that host goes straight to
  http. The fallback is recorded once per host and portal (the first failure may be robots.txt,
  which belongs to no portal). Runs before the retry middleware, so a broken TLS host costs one
  failed handshake, not RETRY_TIMES of them.
- LatinCharsetMiddleware (after decompression): a page whose header says ISO-8859-1 (a server's
  default: Tomcat, Apache error pages) over UTF-8 or GBK bytes is read with the encoding
  govreports.encoding.decode finds (the <meta>, else the bytes), as the parser reads it, so the
  spider's links and titles are not mojibake.
- BackoffRetryMiddleware: Scrapy's RetryMiddleware (RETRY_TIMES, RETRY_HTTP_CODES, timeouts and
  connection errors) with each retry held back: RETRY_BACKOFF_BASE * 2**(n-1) seconds before the
  n-th retry, at most RETRY_BACKOFF_MAX. Only that request waits; the rest of the crawl goes on.

Anti-bot answers are not handled here: the spider classifies them (govreports.antibot), because
what a stub means depends on what was asked for.
"""
from __future__ import annotations

import logging
from typing import Any, Optional
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DownloadConnectionRefusedError, DownloadFailedError, IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import get_meta_refresh
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.web._newclient import ResponseNeverReceived

from govreports.encoding import decode, declared_western
from govreports.fetchlog import META_PORTAL, report_fetch
from govreports.links import host_of

log = logging.getLogger(__name__)
META_FALLBACK_FROM = "govreports_https_url"


class OffsiteRedirect(IgnoreRequest):
    """A redirect left the allowed hosts; already recorded, so errbacks need not record it."""


class RedirectLoop(OffsiteRedirect):
    """A redirect back to an address of its own chain; already recorded, like OffsiteRedirect."""


def _allowed(crawler: Any, url: str) -> bool:
    hosts = getattr(crawler.spider, "hosts", None)
    return hosts is None or hosts.allows(url)


class OffsiteRedirectMiddleware:
    """A 3xx whose Location leaves the allowed hosts (priority above RedirectMiddleware's 600)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.meta_refresh_maxdelay = crawler.settings.getint("METAREFRESH_MAXDELAY", 100)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "OffsiteRedirectMiddleware":
        return cls(crawler)

    def target(self, request: Request, response: Response) -> Optional[str]:
        if response.status not in (301, 302, 303, 307, 308) or request.meta.get("dont_redirect"):
            return None
        location = response.headers.get("Location")
        return urljoin(request.url, location.decode("latin-1")) if location else None

    def process_response(self, request: Request, response: Response) -> Response:
        target = self.target(request, response)
        if not target:
            return response
        chain = [*(request.meta.get("redirect_urls") or ()), request.url]
        if urldefrag(target)[0] in {urldefrag(url)[0] for url in chain}:
            # Back to an address of its own chain: Scrapy's duplicate filter would drop that
            # request without calling the errback, and the page would be lost without a record.
            self.crawler.stats.inc_value("govreports/redirect_loop")
            log.warning("redirect loop %s dropped", " -> ".join([*chain, target]))
            report_fetch(self.crawler, request, "failed", "redirect_loop", url=chain[0],
                         status=response.status, detail=" -> ".join([*chain, target])[:2000])
            raise RedirectLoop(f"redirect from {request.url} back to {target}")
        if _allowed(self.crawler, target):
            return response
        origin = chain[0]
        self.crawler.stats.inc_value("govreports/offsite_redirect")
        log.info("redirect from %s to %s (host %s not allowed) dropped", origin, target,
                 host_of(target) or "-")
        report_fetch(self.crawler, request, "offsite", "offsite_redirect", url=origin,
                     status=response.status, detail=target)
        raise OffsiteRedirect(f"redirect to {target} leaves the allowed hosts")


class OffsiteMetaRefreshMiddleware(OffsiteRedirectMiddleware):
    """A <meta http-equiv=refresh> to a host not allowed (priority between HttpCompression's
    590 and MetaRefreshMiddleware's 580, so the body is already decompressed)."""

    def target(self, request: Request, response: Response) -> Optional[str]:
        if request.meta.get("dont_redirect") or not isinstance(response, HtmlResponse):
            return None
        interval, url = get_meta_refresh(response)
        if not url or interval is None or interval >= self.meta_refresh_maxdelay:
            return None
        return url


def _to_http(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc[:-4] if parts.netloc.endswith(":443") else parts.netloc
    return urlunsplit(("http", netloc, parts.path, parts.query, parts.fragment))


def _https_host(url: str) -> str:
    """host[:port] of an https URL, the default port left out (it is the same host)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host if parts.port in (None, 443) else f"{host}:{parts.port}"


def tls_failed(exception: BaseException) -> bool:
    """True when nothing came back over https: refused, or cut before any response."""
    if isinstance(exception, (DownloadConnectionRefusedError, TxConnectionRefusedError,
                              ResponseNeverReceived)):
        return True
    return isinstance(exception, DownloadFailedError) and isinstance(
        exception.__cause__, (ResponseNeverReceived, TxConnectionRefusedError))


class HttpFallbackMiddleware:
    """After the retry middleware in the exception chain order (priority above 550)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        # host[:port] -> why its https failed
        self.http_only: dict[str, str] = {}
        self.recorded: set[tuple[str, Optional[str]]] = set()
        self.enabled = crawler.settings.getbool("GOVREPORTS_HTTP_FALLBACK", True)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "HttpFallbackMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> Optional[Request]:
        if not self.enabled or urlsplit(request.url).scheme != "https":
            return None
        netloc = _https_host(request.url)
        if netloc not in self.http_only:
            return None
        return self._fall_back(request, netloc)

    def process_exception(self, request: Request, exception: Exception) -> Optional[Request]:
        if (not self.enabled or urlsplit(request.url).scheme != "https"
                or not tls_failed(exception)):
            return None
        netloc = _https_host(request.url)
        if netloc not in self.http_only:
            self.http_only[netloc] = f"{type(exception).__name__}: {exception}"[:500]
            log.warning("https to %s failed (%s); fetching it over http from now on", netloc,
                        exception)
        return self._fall_back(request, netloc)

    def _fall_back(self, request: Request, netloc: str) -> Request:
        self.crawler.stats.inc_value("govreports/http_fallback")
        key = (netloc, request.meta.get(META_PORTAL))
        if key not in self.recorded:
            self.recorded.add(key)
            report_fetch(self.crawler, request, "fallback", "tls_failed",
                         detail=self.http_only[netloc])
        return self._over_http(request)

    @staticmethod
    def _over_http(request: Request) -> Request:
        meta = dict(request.meta)
        meta.setdefault(META_FALLBACK_FROM, request.url)
        return request.replace(url=_to_http(request.url), meta=meta, dont_filter=True)


class LatinCharsetMiddleware:
    """Scrapy reads a page by its HTTP charset first; for ISO-8859-1 over non-ASCII bytes the
    parser's decode does not (govreports.encoding), and the spider must read as it does."""

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if not declared_western(content_type, response.body):
            return response
        _, encoding = decode(response.body, content_type)
        return response.replace(encoding=encoding)


class BackoffRetryMiddleware(RetryMiddleware):
    """Replaces Scrapy's RetryMiddleware at the same priority (550)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def delay(self, retry_times: int) -> float:
        """Seconds to wait before the retry_times-th retry (1, 2, …)."""
        return min(self.cap, self.base * 2 ** max(0, retry_times - 1))

    async def _wait(self, result: Any) -> Any:
        if isinstance(result, Request) and self.base > 0:
            seconds = self.delay(result.meta.get("retry_times", 1))
            self.crawler.stats.inc_value("govreports/retry_backoff_seconds", seconds)
            await sleep(seconds)
        return result

    async def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        return await self._wait(super().process_response(request, response))

    async def process_exception(self, request: Request, exception: Exception) -> Any:  # type: ignore[override]
        return await self._wait(super().process_exception(request, exception))
