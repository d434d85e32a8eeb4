"""Distributed mode's wiring in Scrapy (govreports.distributed has the protocol and its Redis
side): the Coordinator of a crawler, built from Scrapy settings, how a request is put in the
shared queue, and DistributedAddon, which switches a crawl to distributed mode.
"""
from __future__ import annotations

import weakref
from typing import Any

from scrapy import Request
from scrapy.settings import Settings
from scrapy_redis import connection, picklecompat

from govreports.distributed import Coordinator, check_shared_database, is_distributed, truthy


def coordinator_from_settings(settings: Any, spider_name: str) -> Coordinator:
    """The Coordinator of a crawl, connected to Redis as scrapy-redis connects (REDIS_URL,
    REDIS_PARAMS, …)."""
    return Coordinator(connection.get_redis_from_settings(settings),
                       settings.get("GOVREPORTS_REDIS_PREFIX") or "govreports", spider_name,
                       worker=settings.get("GOVREPORTS_WORKER_ID") or None,
                       worker_timeout=settings.getfloat("GOVREPORTS_WORKER_TIMEOUT", 120),
                       finished_hold=settings.getfloat("GOVREPORTS_FINISHED_HOLD", 6 * 3600))


def coordinator_from_project(overrides: list[tuple[str, str]], spider_name: str) -> Coordinator:
    """The Coordinator `python -m govreports seed` and `crawl-status` use: the project's settings
    with `-s NAME=VALUE` overrides, read as a worker started with them would read them."""
    s = Settings()
    s.setmodule("govreports.settings", priority="project")
    for k, v in overrides:
        s.set(k, v, priority="cmdline")
    return coordinator_from_settings(s, spider_name)


# One coordinator per crawler, shared by the scheduler, the start middleware and the extension.
_COORDINATORS: "weakref.WeakKeyDictionary[Any, Coordinator]" = weakref.WeakKeyDictionary()


def coordinator_for(crawler: Any) -> Coordinator:
    co = _COORDINATORS.get(crawler)
    if co is None:
        name = crawler.spidercls.name
        co = _COORDINATORS[crawler] = coordinator_from_settings(crawler.settings, name)
        co.stats = crawler.stats
    return co


def encode_request(request: Request, spider: Any) -> bytes:
    """As scrapy-redis's queues encode a request (callbacks by name, pickled)."""
    return picklecompat.dumps(request.to_dict(spider=spider))


class DistributedAddon:
    """Scrapy add-on (ADDONS in govreports.settings): switches a crawl to distributed mode when
    GOVREPORTS_DISTRIBUTED is set or the spider was given `-a distributed=1`. Runs after the
    spider is made, before the scheduler and extensions are, so a spider argument can decide."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DistributedAddon":
        return cls(crawler)

    def update_settings(self, settings: Any) -> None:
        arg = getattr(self.crawler.spider, "distributed", None)
        if arg is not None:
            settings.set("GOVREPORTS_DISTRIBUTED", truthy(arg), priority="spider")
        if not is_distributed(settings):
            return
        if settings.getbool("GOVREPORTS_SEED_ONLY"):
            return  # Scrapy's own scheduler: a seeding run takes nothing from the queue
        check_shared_database(settings)
        settings.set("SCHEDULER", "spiders.crawling.redis_scheduler.DistributedScheduler",
                     priority="addon")
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
        # The per-host limit for the whole crawl, not for each worker (govreports.hostleases):
        # last before the download, first to see its answer.
        from spiders.crawling.hostleases import HostLeaseMiddleware
        settings.setdefault_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", HostLeaseMiddleware, 950)
