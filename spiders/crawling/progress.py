"""The progress line extension (Progress, setting EXTENSIONS): one log line every
GOVREPORTS_PROGRESS_INTERVAL seconds, beside Scrapy's LOGSTATS_INTERVAL line: pages, reports
stored by outcome, blocked answers, dead-lettered items, requests queued (in distributed mode,
the shared queue's length).
"""
from __future__ import annotations

import logging
import time
from typing import Any, Optional

from scrapy import signals
from scrapy.exceptions import NotConfigured

from govreports.distributed import is_distributed
from govreports.monitor import OUTCOMES
from spiders.crawling.distributed import coordinator_for

log = logging.getLogger(__name__)


class Progress:
    """Logs a progress line every GOVREPORTS_PROGRESS_INTERVAL seconds (0 or unset: never)."""

    def __init__(self, crawler: Any, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: Any = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Progress":
        s = crawler.settings
        interval = s.getfloat("GOVREPORTS_PROGRESS_INTERVAL", 0)
        if interval <= 0 or s.getbool("GOVREPORTS_SEED_ONLY"):
            raise NotConfigured
        return cls(crawler, interval)

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log_progress)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def queued(self, s: dict[str, Any]) -> Optional[int]:
        if is_distributed(self.crawler.settings):
            try:
                return coordinator_for(self.crawler).queued()
            except Exception:  # noqa: BLE001 - progress is best effort
                return None
        return int(s.get("scheduler/enqueued", 0)) - int(s.get("scheduler/dequeued", 0))

    def log_progress(self) -> None:
        s = self.crawler.stats.get_stats()
        elapsed = time.monotonic() - self.started
        pages = int(s.get("response_received_count", 0))
        stored = {o: int(s.get(f"govreports/stored_{o}", 0)) for o in OUTCOMES}
        blocked = sum(v for k, v in s.items() if k.startswith("govreports/blocked/")
                      and isinstance(v, int))
        queued = self.queued(s)
        log.info("progress after %d:%02d:%02d: %d page(s) (%.1f/min), %d report(s) fetched, "
                 "stored %d (new %d, changed %d, unchanged %d), %d blocked, %d dead-lettered, "
                 "%s queued", elapsed // 3600, elapsed % 3600 // 60, elapsed % 60, pages,
                 pages / elapsed * 60 if elapsed else 0, int(s.get("govreports/reports", 0)),
                 sum(stored.values()), stored["new"], stored["changed"], stored["unchanged"],
                 blocked, int(s.get("govreports/deadlettered", 0)),
                 "?" if queued is None else queued)
