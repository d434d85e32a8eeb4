"""Redirects the crawl may not follow, dropped and recorded (downloader middlewares).

OffsiteRedirectMiddleware (3xx, before RedirectMiddleware) and OffsiteMetaRefreshMiddleware
(<meta refresh>, after decompression, before MetaRefreshMiddleware): a redirect to a host the
crawl may not follow (spam mirrors of gov pages, portals.md §5) is dropped and recorded in the
fetch log. Scrapy's offsite filter would drop the redirected request silently when it is
scheduled, without calling the errback, and a report waiting for that attachment would never
be yielded; failing the request here calls its errback. A redirect back into its own chain is
dropped the same way, as `redirect_loop`.
"""
from __future__ import annotations

import logging
from typing import Any, Optional
from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.response import get_meta_refresh

from govreports.fetchpolicy import loops_back
from govreports.links import host_of
from spiders.crawling.fetchlog import report_fetch

log = logging.getLogger(__name__)


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
        if loops_back(chain, target):
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
