"""The scheduler of a distributed crawl (DistributedScheduler, installed by DistributedAddon):
scrapy-redis's queue and duplicate filter, with requests kept in the worker's in-flight hash until
the engine is done with them (govreports.distributed.Coordinator.take / ack).
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from govreports.distributed import STAT, Coordinator
from spiders.crawling.distributed import coordinator_for
from spiders.crawling.engine import EngineView

log = logging.getLogger(__name__)


class FingerprintDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis-set duplicate filter with Scrapy's request fingerprinter, so both
    modes agree on what a duplicate is (REQUEST_FINGERPRINTER_* settings apply)."""

    def __init__(self, server: Any, key: str, fingerprinter: Any, debug: bool = False) -> None:
        super().__init__(server, key, debug=debug)
        self.fingerprinter = fingerprinter

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop keeps the request in the worker's in-flight hash
    until the scheduler acknowledges it (Coordinator.take / ack)."""

    def __init__(self, server: Any, spider: Any, key: str, coordinator: Coordinator,
                 stats: Any = None) -> None:
        super().__init__(server, spider, key)
        self.co = coordinator
        self.stats = stats

    def pop(self, timeout: int = 0) -> Optional[Request]:  # the plain API: take and forget
        got = self.take()
        if got is None:
            return None
        request, token = got
        self.co.ack([token])
        return request

    def take(self) -> Optional[tuple[Request, str]]:
        while True:
            got = self.co.take()
            if got is None:
                return None
            token, data = got
            try:
                return self._decode_request(data), token
            except Exception:  # noqa: BLE001 - a request this code cannot rebuild is dropped
                log.exception("dropping a queued request that cannot be decoded (made by other "
                              "code?); token %s", token)
                if self.stats is not None:
                    self.stats.inc_value(f"{STAT}undecodable")
                self.co.ack([token])


class DistributedScheduler(Scheduler):
    """scrapy-redis's scheduler with the reliable queue, Scrapy's fingerprints, no flush on close
    (SCHEDULER_PERSIST always: DistributedWorker ends a crawl) and no deprecated stats calls."""

    def __init__(self, crawler: Any, coordinator: Coordinator, dupefilter: FingerprintDupeFilter):
        super().__init__(server=coordinator.server, persist=True, flush_on_start=False,
                         queue_key=coordinator.keys.queue, dupefilter=dupefilter,
                         dupefilter_key=coordinator.keys.dupefilter, idle_before_close=0)
        self.crawler = crawler
        self.co = coordinator
        self.stats = crawler.stats
        # Requests handed to the engine and not yet acknowledged: request -> token.
        self._taken: dict[Request, str] = {}
        self._engine: Optional[EngineView] = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DistributedScheduler":
        co = coordinator_for(crawler)
        co.server.ping()
        df = FingerprintDupeFilter(co.server, co.keys.dupefilter, crawler.request_fingerprinter,
                                   debug=crawler.settings.getbool("DUPEFILTER_DEBUG"))
        return cls(crawler, co, df)

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.queue = ReliableQueue(self.server, spider, self.queue_key, self.co, self.stats)
        self._engine = EngineView(self.crawler.engine)
        self.co.scheduler = self
        back = self.co.register()
        self.stats.set_value(f"{STAT}worker", self.co.worker)
        if back:
            self.stats.inc_value(f"{STAT}recovered", back)
            log.info("worker %s: %d request(s) its previous run left in flight are queued again",
                     self.co.worker, back)
        n = len(self.queue)
        log.info("worker %s joined the crawl at %s (%d request(s) queued)", self.co.worker,
                 self.co.keys.base, n)

    def close(self, reason: str) -> None:
        # The engine has drained its slot before closing the scheduler: everything taken is done.
        self.settle(all_done=True)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Optional[Request]:
        self.settle()
        got = self.queue.take()
        if got is None:
            return None
        request, token = got
        self._taken[request] = token
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def settle(self, all_done: bool = False) -> None:
        """Acknowledge the taken requests the engine is done with."""
        if not self._taken:
            return
        active = None if all_done or self._engine is None else self._engine.in_progress()
        if all_done:
            done = list(self._taken)
        elif active is None:
            self.stats.set_value(f"{STAT}engine_view_missing", True)
            engine = self.crawler.engine
            # Without the engine's view, only an idle engine says its requests are done.
            done = list(self._taken) if engine is not None and _engine_idle(engine) else []
        else:
            done = [r for r in self._taken if r not in active]
        if done:
            self.co.ack([self._taken.pop(r) for r in done])


def _engine_idle(engine: Any) -> bool:
    try:
        return bool(engine.spider_is_idle())
    except Exception:  # noqa: BLE001 - no slot yet or any more
        return False
