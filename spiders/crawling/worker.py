"""A distributed worker's life in the crawl (DistributedWorker, an extension): its heartbeat,
recovery of dead workers' requests, and closing only when the whole crawl is done
(govreports.distributed describes the protocol; Coordinator does the Redis side).
"""
from __future__ import annotations

import logging
import time
from typing import Any, Optional

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured

from govreports.distributed import STAT, is_distributed
from spiders.crawling.distributed import coordinator_for
from spiders.crawling.engine import EngineView

log = logging.getLogger(__name__)


class DistributedWorker:
    """Extension: the worker's heartbeat, recovery of dead workers' requests, and closing when the
    whole crawl is done (see the module docstring)."""

    def __init__(self, crawler: Any) -> None:
        s = crawler.settings
        self.crawler = crawler
        self.co = coordinator_for(crawler)
        self.max_idle = s.getfloat("GOVREPORTS_MAX_IDLE", 30)
        self.interval = s.getfloat("GOVREPORTS_POLL_INTERVAL", 1.0)
        self.quiet_since: Optional[float] = None
        self.redis_down_since: Optional[float] = None
        self.loop: Any = None
        self.ended_crawl = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DistributedWorker":
        s = crawler.settings
        if not is_distributed(s) or s.getbool("GOVREPORTS_SEED_ONLY"):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def _settle(self) -> None:
        scheduler = getattr(self.co, "scheduler", None)
        if scheduler is not None:
            scheduler.settle()

    def tick(self) -> None:
        try:
            self.co.heartbeat()
            self._settle()
            self.co.flush()
            recovered = self.co.recover_dead()
        except RedisError as exc:
            # Once per outage, not once per tick; the loop must go on for the heartbeat.
            if self.redis_down_since is None:
                self.redis_down_since = time.monotonic()
                log.warning("worker %s: Redis unavailable (%s); retrying", self.co.worker, exc)
            return
        if self.redis_down_since is not None:
            log.info("worker %s: Redis is back", self.co.worker)
            self.redis_down_since = None
        if recovered:
            self._recovered(recovered)
        EngineView(self.crawler.engine).wake()

    def _recovered(self, n: int) -> None:
        self.crawler.stats.inc_value(f"{STAT}recovered", n)
        log.warning("worker %s: %d request(s) of dead worker(s) queued again", self.co.worker, n)

    def spider_idle(self, spider: Any) -> None:
        try:
            self._settle()
            recovered = self.co.recover_dead()
            quiet = not recovered and self.co.quiet()
        except RedisError as exc:
            # Idle and cut off from the crawl: wait a while, then close with a reason the
            # summary flags (not_finished), rather than "finished".
            now = time.monotonic()
            self.redis_down_since = self.redis_down_since or now
            if now - self.redis_down_since < max(self.max_idle, self.co.worker_timeout):
                raise DontCloseSpider from exc
            log.error("worker %s: Redis unavailable for %.0f s (%s); closing", self.co.worker,
                      now - self.redis_down_since, exc)
            raise CloseSpider("redis_unavailable") from exc
        if recovered:
            self._recovered(recovered)
        if not quiet:
            self.quiet_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.quiet_since is None:
            self.quiet_since = now
        if now - self.quiet_since < self.max_idle:
            raise DontCloseSpider
        if self.co.finish():
            self.ended_crawl = True
            self.crawler.stats.set_value(f"{STAT}ended_crawl", True)
            log.info("crawl %s finished: queue empty and nothing in flight on any worker for "
                     "%.0f s", self.co.keys.base, self.max_idle)
        else:
            log.info("worker %s closing: nothing to do for %.0f s", self.co.worker, self.max_idle)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        try:
            back = self.co.deregister()
        except Exception:  # noqa: BLE001 - the heartbeat expires and others recover the rest
            log.exception("worker %s: could not leave the crawl cleanly", self.co.worker)
            return
        if back:
            log.warning("worker %s: %d unfinished request(s) queued again on closing",
                        self.co.worker, back)
