"""https -> http for hosts whose TLS fails (HttpFallbackMiddleware, a downloader middleware).

When an https fetch fails before any answer (handshake refused or cut, port closed: Shenzhen
gkmlpt, shandong.gov.cn, http-only districts, portals.md §6), the same address is fetched over
http, and every later https request to that host goes straight to http. The fallback is recorded
once per host and portal (the first failure may be robots.txt, which belongs to no portal). Runs
before the retry middleware, so a broken TLS host costs one failed handshake, not RETRY_TIMES of
them. The URL rewrite itself is govreports.fetchpolicy's.
"""
from __future__ import annotations

import logging
from typing import Any, Optional
from urllib.parse import urlsplit

from scrapy.exceptions import DownloadConnectionRefusedError, DownloadFailedError
from scrapy.http import Request
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.web._newclient import ResponseNeverReceived

from govreports.fetchpolicy import https_host, to_http
from spiders.crawling.fetchlog import META_PORTAL, report_fetch

log = logging.getLogger(__name__)
META_FALLBACK_FROM = "govreports_https_url"


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
        netloc = https_host(request.url)
        if netloc not in self.http_only:
            return None
        return self._fall_back(request, netloc)

    def process_exception(self, request: Request, exception: Exception) -> Optional[Request]:
        if (not self.enabled or urlsplit(request.url).scheme != "https"
                or not tls_failed(exception)):
            return None
        netloc = https_host(request.url)
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
        return request.replace(url=to_http(request.url), meta=meta, dont_filter=True)
