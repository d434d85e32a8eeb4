"""Distributed mode: several `scrapy crawl annual_reports` workers, on one machine or many, share
one crawl through Redis and store into one PostgreSQL database.

Off by default (one process, Scrapy's own scheduler, SQLite). Turned on for a crawl by the setting
`-s GOVREPORTS_DISTRIBUTED=1` or the spider argument `-a distributed=1` (DistributedAddon reads
both), with `REDIS_URL` naming the Redis server and GOVREPORTS_DATABASE_URL a shared database
server. Every worker of a crawl is started with the same arguments.

The queue and the duplicate filter are scrapy-redis's (PriorityQueue encoding, a set of request
fingerprints made by Scrapy's own fingerprinter). What scrapy-redis leaves open is done by this
module's Coordinator (plain Redis, no Scrapy) and its Scrapy side in spiders/crawling
(distributed: DistributedAddon and the crawler's Coordinator; redis_scheduler:
DistributedScheduler; seeding: DistributedStart; worker: DistributedWorker; hostleases):

* Seeding once. The registry's start requests go to the shared queue, not to a worker's engine:
  the first worker to get there pushes all of them and sets `seeded` in one Redis transaction
  (DistributedStart), or the operator does it with `python -m govreports seed`. A worker that
  finds the crawl seeded joins it.
* Nothing lost when a worker dies. Taking a request moves it, in one Lua call, from the queue into
  the worker's `inflight:<id>` hash; it leaves the hash only when Scrapy's engine is done with it
  (callbacks run, the requests they made queued, their items through the pipelines and stored).
  Each worker refreshes `alive:<id>` every GOVREPORTS_POLL_INTERVAL seconds with a lifetime of
  GOVREPORTS_WORKER_TIMEOUT; a worker whose key has expired is dead, and any other worker puts its
  in-flight requests back in the queue. A request is thus done at least once; the store makes a
  repeat harmless (the same content at the same URL is "unchanged", no new row).
* Closing when the crawl is done. scrapy-redis workers either close as soon as their own queue
  looks empty (while another worker is about to queue more) or never. Here a worker closes when
  the queue is empty and no worker has a request in flight, checked atomically, and has stayed so
  for GOVREPORTS_MAX_IDLE seconds. The worker that sees it first marks the crawl `finished` and
  clears its queue, duplicate filter and seed, so the next scheduled run starts afresh; workers
  starting within GOVREPORTS_FINISHED_HOLD seconds after that find nothing to do.
* Politeness for the crawl as a whole. CONCURRENT_REQUESTS_PER_DOMAIN holds for all workers
  together: a request waits for one of its host's leases in Redis (govreports.hostleases).
* Resuming. The queue, the duplicate filter and the seed stay in Redis when workers stop (killed,
  Ctrl-C, a reboot): started again with the same arguments, workers take up the same crawl, with
  no request done twice (except those in flight on a killed worker) and none lost.

Redis keys, under "<GOVREPORTS_REDIS_PREFIX>:<spider name>:" (a test gives each run its own
prefix or Redis database):

    requests        sorted set  the shared queue
    dupefilter      set         fingerprints of the requests queued so far
    seeded          string      who seeded the crawl, when, how many requests
    workers         set         worker ids that may hold in-flight requests
    alive:<id>      string      a worker's heartbeat, expiring after GOVREPORTS_WORKER_TIMEOUT
    inflight:<id>   hash        requests a worker has taken and not finished ("score\\n" + request)
    token           counter     ids of taken requests
    counts          hash        crawl-wide counts for the summary (govreports.monitor)
    finished        string      when the crawl finished; expires after GOVREPORTS_FINISHED_HOLD
    finished-counts hash        the counts of that crawl, kept as long
    host:<host>     sorted set  leases on a host's requests in flight (govreports.hostleases)

The Lua scripts compute key names, so the keys of one crawl must live on one Redis server (no
Redis Cluster).
"""
from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

STAT = "govreports/distributed/"
# Crawl stats mirrored into the crawl-wide `counts` hash, so the summary of a distributed crawl
# covers every worker (govreports.monitor reads them back).
MIRRORED_STATS = ("govreports/summary/", "govreports/portal/", "govreports/stored_",
                  "govreports/deadlettered",
                  "govreports/reports", "govreports/blocked/")
_TRUE = {"1", "true", "yes", "on"}


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in _TRUE if value is not None else False


def is_distributed(settings: Any) -> bool:
    return settings.getbool("GOVREPORTS_DISTRIBUTED")


def utc_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# --- Redis side: one crawl's keys and what may be done to them ------------------------------

# Take the first request of the queue into a worker's in-flight hash; {token, request} or nil.
# The worker joins `workers` in the same step: a worker presumed dead and dropped from the set
# must not hold requests the finish check cannot see.
_TAKE = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local token = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[2], token, r[2] .. '\\n' .. r[1])
redis.call('SADD', KEYS[4], ARGV[1])
return {token, r[1]}
"""

# Put the in-flight requests of dead workers (ARGV[3] == '1': of worker ARGV[2] itself) back in
# the queue; returns how many.
_REQUEUE = """
local function requeue(w)
  local h = ARGV[1] .. 'inflight:' .. w
  local entries = redis.call('HGETALL', h)
  local n = 0
  for i = 2, #entries, 2 do
    local v = entries[i]
    local nl = string.find(v, '\\n', 1, true)
    redis.call('ZADD', KEYS[1], tonumber(string.sub(v, 1, nl - 1)), string.sub(v, nl + 1))
    n = n + 1
  end
  redis.call('DEL', h)
  redis.call('SREM', KEYS[2], w)
  return n
end
if ARGV[3] == '1' then return requeue(ARGV[2]) end
local total = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if w ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. 'alive:' .. w) == 0 then
    total = total + requeue(w)
  end
end
return total
"""

# 1 when the queue is empty and no worker holds a request, else 0.
_QUIET = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('HLEN', ARGV[1] .. 'inflight:' .. w) > 0 then return 0 end
end
return 1
"""

# End the crawl if it is quiet and was seeded: keep its counts and a `finished` mark for the hold,
# clear queue, duplicate filter, seed and token counter. 1 if this call ended it.
_FINISH = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('HLEN', ARGV[1] .. 'inflight:' .. w) > 0 then return 0 end
end
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
local hold = tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[5]) == 1 then
  redis.call('RENAME', KEYS[5], KEYS[6])
  redis.call('EXPIRE', KEYS[6], hold)
else
  redis.call('DEL', KEYS[6])
end
redis.call('SET', KEYS[4], ARGV[2], 'EX', hold)
redis.call('DEL', KEYS[1], KEYS[7], KEYS[3], KEYS[8])
return 1
"""


class Keys:
    """The Redis key names of one crawl (prefix + spider name)."""

    def __init__(self, prefix: str, spider: str) -> None:
        self.base = f"{prefix}:{spider}:"
        self.queue = self.base + "requests"
        self.dupefilter = self.base + "dupefilter"
        self.seeded = self.base + "seeded"
        self.workers = self.base + "workers"
        self.token = self.base + "token"
        self.counts = self.base + "counts"
        self.finished = self.base + "finished"
        self.finished_counts = self.base + "finished-counts"

    def alive(self, worker: str) -> str:
        return f"{self.base}alive:{worker}"

    def inflight(self, worker: str) -> str:
        return f"{self.base}inflight:{worker}"

    def crawl_state(self) -> list[str]:
        """Every key of the crawl but the per-worker ones."""
        return [self.queue, self.dupefilter, self.seeded, self.workers, self.token, self.counts,
                self.finished, self.finished_counts]


class WorkerIdInUse(RuntimeError):
    """Another live process runs under this worker id."""


class Coordinator:
    """One worker's view of a distributed crawl in Redis: its heartbeat, taking and finishing
    requests, recovering dead workers' requests, seeding, and telling when the crawl is over.

    Plain Redis calls, no Scrapy: the scheduler, the extension and the CLI share it.
    """

    def __init__(self, server: Any, prefix: str, spider: str, worker: Optional[str] = None,
                 worker_timeout: float = 120, finished_hold: float = 6 * 3600) -> None:
        self.server = server
        self.keys = Keys(prefix, spider)
        self.worker = worker or default_worker_id()
        self.worker_timeout = max(1, int(round(worker_timeout)))
        self.finished_hold = max(1, int(finished_hold))
        self._take = server.register_script(_TAKE)
        self._requeue = server.register_script(_REQUEUE)
        self._quiet = server.register_script(_QUIET)
        self._finish = server.register_script(_FINISH)
        # Set by the worker's scheduler, which the extension settles through.
        self.scheduler: Any = None
        # Stats to mirror into `counts`, and what was sent so far.
        self.stats: Any = None
        self._sent: dict[str, int] = {}

    # -- this worker ----------------------------------------------------------------------

    def register(self, wait: Optional[float] = None) -> int:
        """Join the crawl: claim the worker id and put back what a previous life of this id left
        in flight. Waits up to `wait` (default: the worker timeout) for a heartbeat left by a
        killed process of the same id to expire. Returns how many requests were put back."""
        info = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "since": utc_iso()})
        deadline = time.monotonic() + (self.worker_timeout + 1 if wait is None else wait)
        while not self.server.set(self.keys.alive(self.worker), info, nx=True,
                                  ex=self.worker_timeout):
            if time.monotonic() >= deadline:
                raise WorkerIdInUse(f"worker id {self.worker!r} is alive in another process "
                                    f"({self.server.get(self.keys.alive(self.worker))!r}); "
                                    f"give each worker its own GOVREPORTS_WORKER_ID")
            time.sleep(0.5)
        back = self._requeue(keys=[self.keys.queue, self.keys.workers],
                             args=[self.keys.base, self.worker, "1"])
        self.server.sadd(self.keys.workers, self.worker)
        return int(back)

    def heartbeat(self) -> None:
        # SADD again: a worker presumed dead (heartbeat late) and recovered by others comes back.
        with self.server.pipeline() as pipe:
            pipe.set(self.keys.alive(self.worker), json.dumps({"pid": os.getpid(), "at": utc_iso()}),
                     ex=self.worker_timeout)
            pipe.sadd(self.keys.workers, self.worker)
            pipe.execute()

    def deregister(self) -> int:
        """Leave the crawl; anything still in flight goes back to the queue first."""
        self.flush()
        back = self._requeue(keys=[self.keys.queue, self.keys.workers],
                             args=[self.keys.base, self.worker, "1"])
        self.server.delete(self.keys.alive(self.worker))
        return int(back)

    # -- requests -------------------------------------------------------------------------

    def take(self) -> Optional[tuple[str, bytes]]:
        """The queue's first request, now in this worker's in-flight hash: (token, data)."""
        got = self._take(keys=[self.keys.queue, self.keys.inflight(self.worker), self.keys.token,
                               self.keys.workers], args=[self.worker])
        if not got:
            return None
        token, data = got
        return token.decode() if isinstance(token, bytes) else str(token), data

    def ack(self, tokens: Iterable[str]) -> None:
        """Requests done: counts first, then out of the in-flight hash, in one transaction, so
        the crawl never looks finished with counts still unsent."""
        tokens = list(tokens)
        if not tokens:
            return
        with self.server.pipeline() as pipe:
            sent = self._queue_counts(pipe)
            pipe.hdel(self.keys.inflight(self.worker), *tokens)
            pipe.execute()
        self._sent.update(sent)

    def in_flight(self, worker: Optional[str] = None) -> int:
        return int(self.server.hlen(self.keys.inflight(worker or self.worker)))

    def recover_dead(self) -> int:
        """Put the in-flight requests of workers whose heartbeat expired back in the queue."""
        return int(self._requeue(keys=[self.keys.queue, self.keys.workers],
                                 args=[self.keys.base, self.worker, "0"]))

    def queued(self) -> int:
        return int(self.server.zcard(self.keys.queue))

    # -- the crawl ------------------------------------------------------------------------

    def quiet(self) -> bool:
        """The queue is empty and no worker holds a request (one atomic look)."""
        return bool(self._quiet(keys=[self.keys.queue, self.keys.workers], args=[self.keys.base]))

    def seed(self, entries: list[tuple[float, bytes]]) -> Optional[int]:
        """Queue the start requests ((score, encoded request) pairs) unless the crawl is seeded or
        finished within the hold; all of them and the `seeded` mark in one transaction, so two
        workers racing seed once and a worker killed while seeding seeds nothing. Returns how many
        were queued, or None when another seeding stands."""
        from redis.exceptions import WatchError
        k = self.keys
        with self.server.pipeline() as pipe:
            try:
                pipe.watch(k.seeded, k.finished)
                if pipe.exists(k.seeded) or pipe.exists(k.finished):
                    return None
                pipe.multi()
                for score, data in entries:
                    # ZADD through execute_command: redis-py's zadd wants a mapping of str keys.
                    pipe.execute_command("ZADD", k.queue, score, data)
                pipe.set(k.seeded, json.dumps({"by": self.worker, "at": utc_iso(),
                                               "requests": len(entries)}))
                pipe.delete(k.counts)
                pipe.execute()
                return len(entries)
            except WatchError:
                return None

    def finish(self) -> bool:
        """Mark the crawl finished if it is quiet and seeded (atomically); True if this call did."""
        self.flush()
        k = self.keys
        return bool(self._finish(
            keys=[k.queue, k.workers, k.seeded, k.finished, k.counts, k.finished_counts,
                  k.dupefilter, k.token],
            args=[k.base, utc_iso(), self.finished_hold]))

    def state(self) -> dict[str, Any]:
        """What `python -m govreports crawl-status` shows."""
        k = self.keys
        workers = {}
        for w in sorted(m.decode() if isinstance(m, bytes) else m
                        for m in self.server.smembers(k.workers)):
            workers[w] = {"alive": bool(self.server.exists(k.alive(w))),
                          "in_flight": self.in_flight(w)}
        seeded = self.server.get(k.seeded)
        finished = self.server.get(k.finished)
        # Requests in flight per host, for all workers (govreports.hostleases).
        hosts = {}
        for key in self.server.scan_iter(match=k.base + "host:*", count=500):
            key = key.decode() if isinstance(key, bytes) else key
            hosts[key[len(k.base) + len("host:"):]] = int(self.server.zcard(key))
        return {"prefix": k.base, "queued": self.queued(),
                "seen": int(self.server.scard(k.dupefilter)),
                "seeded": json.loads(seeded) if seeded else None,
                "finished_at": finished.decode() if finished else None,
                "workers": workers, "host_leases": dict(sorted(hosts.items()))}

    def clear(self) -> None:
        """Forget the crawl entirely (`seed --fresh`): its queue, seen set, marks and counts."""
        k = self.keys
        workers = [m.decode() if isinstance(m, bytes) else m for m in self.server.smembers(k.workers)]
        self.server.delete(*k.crawl_state(), *(k.inflight(w) for w in workers))

    def live_workers(self) -> list[str]:
        out = []
        for m in self.server.smembers(self.keys.workers):
            w = m.decode() if isinstance(m, bytes) else m
            if self.server.exists(self.keys.alive(w)):
                out.append(w)
        return sorted(out)

    # -- crawl-wide counts ------------------------------------------------------------------

    def _queue_counts(self, pipe: Any) -> dict[str, int]:
        """Queue the increments since the last send on `pipe`; returns the values to remember
        as sent once the pipe has gone through (not before: a failed send is sent again)."""
        if self.stats is None:
            return {}
        sent = {}
        for key, value in self.stats.get_stats().items():
            if isinstance(value, int) and not isinstance(value, bool) \
                    and key.startswith(MIRRORED_STATS):
                delta = value - self._sent.get(key, 0)
                if delta:
                    pipe.hincrby(self.keys.counts, key, delta)
                    sent[key] = value
        return sent

    def flush(self) -> None:
        with self.server.pipeline() as pipe:
            sent = self._queue_counts(pipe)
            if sent:
                pipe.execute()
        self._sent.update(sent)

    def crawl_counts(self) -> tuple[dict[str, int], bool]:
        """The crawl-wide counts, and whether they are those of a finished crawl."""
        raw = self.server.hgetall(self.keys.counts)
        finished = False
        if not raw and self.server.exists(self.keys.finished):
            raw = self.server.hgetall(self.keys.finished_counts)
            finished = True
        return ({(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()},
                finished)


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def check_shared_database(settings: Any) -> None:
    """Workers on several machines need one database server: refuse SQLite (a file on one
    machine) when the crawl stores at all."""
    from govreports.config import database_url
    pipelines = settings.getdict("ITEM_PIPELINES")
    if not any(str(p).endswith("SqlPipeline") for p in pipelines):
        return
    url = database_url(settings)
    if url.startswith("sqlite"):
        raise ValueError(f"distributed mode stores into one shared database server, but "
                         f"GOVREPORTS_DATABASE_URL is {url}; give a PostgreSQL URL "
                         f"(postgresql+psycopg://user@host/db)")
