"""Seeding a distributed crawl once (DistributedStart, a spider middleware): the spider's start
requests go to the shared queue in Redis, by the first worker to get there, instead of to this
worker's engine (govreports.distributed.Coordinator.seed).
"""
from __future__ import annotations

import logging
from typing import Any, AsyncIterator

from scrapy import Request
from scrapy.exceptions import NotConfigured

from govreports.distributed import STAT, is_distributed
from spiders.crawling.distributed import coordinator_for, encode_request

log = logging.getLogger(__name__)


class DistributedStart:
    """Spider middleware: in distributed mode the spider's start requests go to the shared queue,
    once per crawl, instead of to this worker's engine (with GOVREPORTS_SEED_ONLY the worker only
    seeds: `python -m govreports seed`)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DistributedStart":
        if not is_distributed(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        requests: list[Request] = []
        async for obj in start:
            if isinstance(obj, Request):
                requests.append(obj)
            else:
                yield obj
        co = coordinator_for(self.crawler)
        spider = self.crawler.spider
        entries = [(-r.priority, encode_request(r, spider)) for r in requests]
        n = co.seed(entries)
        stats = self.crawler.stats
        stats.set_value(f"{STAT}seeded", n or 0)
        if n is not None:
            log.info("seeded the crawl %s with %d start request(s)", co.keys.base, n)
            return
        finished = co.server.get(co.keys.finished)
        if finished:
            log.info("the crawl %s finished at %s; nothing to do until GOVREPORTS_FINISHED_HOLD "
                     "has passed (or `python -m govreports seed --fresh`)", co.keys.base,
                     finished.decode())
        else:
            seeded = co.server.get(co.keys.seeded)
            log.info("joining the crawl %s, seeded before: %s", co.keys.base,
                     seeded.decode() if seeded else "?")
