"""The per-host limit for all workers of a distributed crawl (HostLeaseMiddleware, a downloader
middleware that DistributedAddon puts last before the download): a request waits for one of its
host's leases in Redis (govreports.hostleases.HostLeases) and gives it back with its answer.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from govreports.distributed import Keys
from govreports.hostleases import DEFAULT_LEASE_SECONDS, HostLeases

log = logging.getLogger(__name__)

META = "govreports_host_lease"
STAT = "govreports/distributed/host_lease_waits"
# Checks while waiting: from 50 ms, doubling, to 1 s.
FIRST_WAIT, LONGEST_WAIT = 0.05, 1.0


class HostLeaseMiddleware:
    """Downloader middleware, last before the download (DistributedAddon turns it on)."""

    def __init__(self, leases: HostLeases, stats: Any) -> None:
        self.leases, self.stats = leases, stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> "HostLeaseMiddleware":
        from scrapy_redis import connection
        s = crawler.settings
        keys = Keys(s.get("GOVREPORTS_REDIS_PREFIX") or "govreports", crawler.spidercls.name)
        leases = HostLeases(connection.get_redis_from_settings(s), keys,
                            s.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 1),
                            s.getfloat("GOVREPORTS_HOST_LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
                            worker=s.get("GOVREPORTS_WORKER_ID") or None)
        return cls(leases, crawler.stats)

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).netloc.lower()
        wait = FIRST_WAIT
        while (token := self.leases.take(host)) is None:
            self.stats.inc_value(STAT)
            await sleep(wait)
            wait = min(LONGEST_WAIT, wait * 2)
        request.meta[META] = (host, token)

    def process_response(self, request: Request, response: Response) -> Response:
        self._give_back(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._give_back(request)

    def _give_back(self, request: Request) -> None:
        held = request.meta.pop(META, None)
        if held is not None:
            try:
                self.leases.give_back(*held)
            except Exception as exc:  # noqa: BLE001 - Redis gone: the lease lapses on its own
                log.warning("host lease %s of %s not given back (%s); it lapses on its own",
                            held[1], held[0], exc)
