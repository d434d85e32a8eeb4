"""The fetch log in the crawl: `report_fetch` and the FetchLog extension (setting EXTENSIONS).

Whatever meets a fetch that gave no report calls `report_fetch(crawler, request, outcome,
reason, …)`, which sends the `fetch_problem` signal; FetchLog turns it into a `fetch_log` row,
per-portal stats and a closing line per portal (what those are: govreports.fetchlog). The portal
and role come from the request's meta (META_PORTAL, META_ROLE), which the spider sets on every
request. When the database cannot be opened the rows are lost with a warning, the stats and the
log line are not.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Optional

from scrapy import signals
from scrapy.http import Request

from govreports.config import database_url
from govreports.fetchlog import portal_stat, portal_summary
from govreports.store import LazyStore

log = logging.getLogger(__name__)

fetch_problem = object()
META_PORTAL = "govreports_portal"
META_ROLE = "govreports_role"


def report_fetch(crawler: Any, request: Optional[Request], outcome: str, reason: str, *,
                 url: Optional[str] = None, status: Optional[int] = None,
                 size: Optional[int] = None, detail: Optional[str] = None) -> None:
    """Record a fetch that gave no report (see the module docstring)."""
    meta = request.meta if request is not None else {}
    crawler.signals.send_catch_log(
        fetch_problem, url=url or (request.url if request is not None else ""),
        outcome=outcome, reason=reason, portal_code=meta.get(META_PORTAL),
        role=meta.get(META_ROLE), status=status, size=size, detail=detail)


class FetchLog:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_url = database_url(crawler.settings)
        self._store = LazyStore(self.db_url, "fetch log",
                                "blocked and failed fetches are counted in the stats only")
        self.portals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    @classmethod
    def from_crawler(cls, crawler: Any) -> "FetchLog":
        ext = cls(crawler)
        crawler.signals.connect(ext.record, signal=fetch_problem)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def record(self, url: str, outcome: str, reason: str, portal_code: Optional[str] = None,
               role: Optional[str] = None, status: Optional[int] = None,
               size: Optional[int] = None, detail: Optional[str] = None) -> None:
        self.stats.inc_value(portal_stat(portal_code, outcome))
        self.stats.inc_value(portal_stat(portal_code, outcome, reason))
        self.portals[portal_code or "-"][outcome] += 1
        store = self._store.get()
        if store is None:
            return
        try:
            store.log_fetch(url, outcome, reason, portal_code=portal_code, role=role,
                            status=status, size=size, detail=(detail or "")[:2000] or None)
        except Exception as exc:  # the crawl goes on; the stats still count it
            log.warning("fetch_log row for %s not written: %s: %s", url, type(exc).__name__, exc)

    def summary(self) -> list[str]:
        """One line per portal: what was crawled and what was not."""
        return portal_summary(self.stats.get_stats(), self.portals)

    def spider_closed(self, spider: Any, reason: str) -> None:
        lines = self.summary()
        if lines:
            log.info("crawl summary per portal (%s):\n  %s", reason, "\n  ".join(lines))
        self._store.close()
