"""Politeness across the workers of a distributed crawl: at most CONCURRENT_REQUESTS_PER_DOMAIN
requests in flight on a host for the whole crawl, not for each worker.

Scrapy holds each process to its own per-host limit; N workers would put N times that on every
portal. In distributed mode (govreports.distributed) HostLeaseMiddleware
(spiders/crawling/hostleases.py) makes a request wait for one of its host's leases (HostLeases,
here) before it goes out and gives it back when the answer (or the error) comes. The leases of
a host are a Redis sorted set, `<prefix>:<spider>:host:<host[:port]>`, of tokens scored by when
they lapse (the Redis server's clock, so the workers' clocks need not agree). A worker that dies holding some loses them once its heartbeat has expired
(GOVREPORTS_WORKER_TIMEOUT), as it loses its requests in flight, and in any case after
GOVREPORTS_HOST_LEASE_SECONDS.

The wait happens before the request reaches Scrapy's per-host slot, whose delay and AutoThrottle
then apply as always. Requests answered before that (robots.txt refusals, a cache) take no lease.
"""
from __future__ import annotations

import itertools
from typing import Any, Optional

from govreports.distributed import Keys, default_worker_id

# Until when a lease counts: a request waits in its slot (delay, AutoThrottle) and downloads
# (DOWNLOAD_TIMEOUT) while it holds one.
DEFAULT_LEASE_SECONDS = 300.0

# KEYS[1] the host's set; ARGV: token ("<worker>:<n>"), leases allowed, lease milliseconds, the
# prefix of the workers' heartbeat keys. 1 if taken. When all are held, those of workers whose
# heartbeat has expired (dead: govreports.distributed) are taken back first.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  for _, held in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local worker = string.match(held, '^(.*):%d+$')
    if worker and redis.call('EXISTS', ARGV[4] .. worker) == 0 then
      redis.call('ZREM', KEYS[1], held)
    end
  end
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


class HostLeases:
    """The leases of a crawl's hosts in Redis; no Scrapy (the tests drive it directly)."""

    def __init__(self, server: Any, keys: Keys, limit: int, seconds: float = DEFAULT_LEASE_SECONDS,
                 worker: Optional[str] = None) -> None:
        self.server, self.keys = server, keys
        self.limit = max(1, int(limit))
        self.ms = max(1000, int(seconds * 1000))
        self.worker = worker or default_worker_id()
        self._acquire = server.register_script(_ACQUIRE)
        self._tokens = itertools.count(1)

    def key(self, host: str) -> str:
        return f"{self.keys.base}host:{host}"

    def take(self, host: str) -> Optional[str]:
        """A lease on `host` (its token), or None while the crawl holds all of them."""
        token = f"{self.worker}:{next(self._tokens)}"
        taken = self._acquire(keys=[self.key(host)], args=[token, self.limit, self.ms, self.keys.alive("")])
        return token if taken else None

    def give_back(self, host: str, token: str) -> None:
        self.server.zrem(self.key(host), token)

    def held(self, host: str) -> int:
        return int(self.server.zcard(self.key(host)))
