"""The crawl summary extension (CrawlSummary, setting EXTENSIONS): counts per portal from Scrapy's
signals during the crawl, then writes and logs the summary and its verdict when the spider
closes. The figures, the summary file and the verdict are govreports.monitor's; in distributed
mode the crawl-wide counts come from Redis (govreports.distributed).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from govreports.antibot import blocked_reason
from govreports.distributed import is_distributed
from govreports.monitor import (PORTAL_STAT, build_summary, portal_figures, scope_of,
                                write_summary)
from spiders.crawling.distributed import coordinator_for

log = logging.getLogger(__name__)

# A report without a registry row (-a column= without a code, -a url=) is counted under this key.
NO_PORTAL = "-"
# The callback that fetches a report page: requests to it are the reports found.
REPORT_CALLBACK = "parse_report"

_MISSING = object()


def _portal_of(request: Any) -> Any:
    """The portal code a request works for, None for a report outside the registry, or _MISSING
    for requests of no portal (robots.txt)."""
    kw = getattr(request, "cb_kwargs", None) or {}
    if "portal_code" in kw:
        return kw["portal_code"]
    item = kw.get("item")
    if item is not None and hasattr(item, "portal_code"):
        return item.portal_code
    return _MISSING


class CrawlSummary:
    """Counts per portal during the crawl; writes and logs the summary at its end."""

    def __init__(self, crawler: Any, path: str) -> None:
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = Path(path)
        self.jump = s.getfloat("GOVREPORTS_BLOCK_RATE_JUMP", 0.10)
        self.min_responses = s.getint("GOVREPORTS_BLOCK_RATE_MIN_RESPONSES", 20)
        self.log_portals = s.getint("GOVREPORTS_SUMMARY_LOG_PORTALS", 50)
        self.run_id = s.get("GOVREPORTS_RUN_ID")
        self.started = time.time()
        for handler, signal in ((self.request_scheduled, signals.request_scheduled),
                                (self.request_dropped, signals.request_dropped),
                                (self.response_received, signals.response_received),
                                (self.item_scraped, signals.item_scraped),
                                (self.item_not_stored, signals.item_dropped),
                                (self.item_not_stored, signals.item_error),
                                (self.spider_closed, signals.spider_closed)):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "CrawlSummary":
        s = crawler.settings
        path = s.get("GOVREPORTS_SUMMARY_FILE")
        if not path or s.getbool("GOVREPORTS_SEED_ONLY"):
            raise NotConfigured
        return cls(crawler, path)

    def _inc(self, portal: Any, metric: str, n: int = 1) -> None:
        self.stats.inc_value(f"{PORTAL_STAT}{portal or NO_PORTAL}/{metric}", n)

    def request_scheduled(self, request: Any, spider: Any) -> None:
        if getattr(request.callback, "__name__", None) == REPORT_CALLBACK:
            self._inc(_portal_of(request), "found")

    def request_dropped(self, request: Any, spider: Any) -> None:
        # Scheduled, then refused by the duplicate filter: not a report found.
        if getattr(request.callback, "__name__", None) == REPORT_CALLBACK:
            self._inc(_portal_of(request), "found", -1)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        portal = _portal_of(request)
        if portal is _MISSING:
            return
        self._inc(portal, "responses")
        if blocked_reason(response.status, response.body):
            self._inc(portal, "blocked")

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        portal = getattr(item, "portal_code", None)
        self._inc(portal, "fetched")
        result = getattr(item, "result", None)
        failed = sum(1 for c in getattr(result, "checks", None) or () if c.status == "fail")
        if failed:
            self._inc(portal, "failed_checks", failed)
            self._inc(portal, "reports_failing_checks")

    def item_not_stored(self, item: Any, response: Any = None, spider: Any = None,
                        **kwargs: Any) -> None:
        self._inc(getattr(item, "portal_code", None), "fetched")

    # -- the end -----------------------------------------------------------------------------

    def spider_closed(self, spider: Any, reason: str) -> None:
        try:
            summary = self.build(spider, reason)
        except Exception:  # noqa: BLE001 - a monitoring failure must still be seen as one
            log.exception("could not build the crawl summary")
            return
        write_summary(self.path, summary)
        self.log(summary)

    def build(self, spider: Any, reason: str) -> dict[str, Any]:
        registry = getattr(spider, "portals", {}) or {}
        codes = list(registry)
        local = portal_figures(self.stats.get_stats(), codes)
        distributed = None
        figures = local
        if is_distributed(self.crawler.settings):
            co = coordinator_for(self.crawler)
            distributed = {"worker": co.worker, "crawl": co.keys.base, "crawl_finished": False,
                           "ended_crawl": bool(self.stats.get_value(
                               "govreports/distributed/ended_crawl"))}
            try:
                co.flush()
                crawl_stats, distributed["crawl_finished"] = co.crawl_counts()
                figures = portal_figures(crawl_stats, codes)
            except Exception as exc:  # noqa: BLE001 - Redis gone: this worker's figures, said so
                log.error("crawl-wide counts unavailable (%s); the summary has this worker's", exc)
                distributed["crawl_counts_unavailable"] = True
        names = {code: portal.name for code, portal in registry.items() if portal is not None}
        return build_summary(figures, names, scope_of(spider), self.path, reason,
                             spider=spider.name, run_id=self.run_id, started=self.started,
                             jump=self.jump, min_responses=self.min_responses,
                             distributed=distributed, local=local)

    def log(self, summary: dict[str, Any]) -> None:
        t = summary["totals"]
        log.info("crawl summary (%s): %d portal(s), %d report(s) found, %d fetched, stored %d "
                 "(new %d, changed %d, unchanged %d), %d not stored, %d blocked of %d answers, "
                 "%d report(s) failing checks -> %s", summary["finish_reason"], t["portals"],
                 t["found"], t["fetched"], t["stored"], t["new"], t["changed"], t["unchanged"],
                 t["not_stored"], t["blocked"], t["responses"], t["reports_failing_checks"],
                 self.path)
        # Portals with something to look at first; a national crawl has thousands of rows.
        ordered = sorted(summary["portals"].items(),
                         key=lambda kv: (-(kv[1]["blocked"] + kv[1]["not_stored"]
                                           + (kv[1]["found"] == 0)), kv[0]))
        for code, p in ordered[: self.log_portals]:
            log.info("  %s %s: found %d, new %d, changed %d, unchanged %d, not stored %d, "
                     "blocked %d, failing checks %d", code, p.get("name") or "", p["found"],
                     p["new"], p["changed"], p["unchanged"], p["not_stored"], p["blocked"],
                     p["reports_failing_checks"])
        if len(ordered) > self.log_portals:
            log.info("  … %d more portal(s) in %s", len(ordered) - self.log_portals, self.path)
        for a in summary["alerts"]:
            log.error("crawl alert %s (exit code %d): %s", a["code"], a["exit_code"], a["message"])
