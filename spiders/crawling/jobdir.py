"""A JOBDIR that survives any crash: the request queue and the duplicate filter in one SQLite file.

Scrapy's own JOBDIR keeps the queue in queuelib files that are only consistent after an orderly
close (a SIGKILL leaves them torn, and `active.json`, which names the queues to reopen, is only
written on close), and the fingerprints of every request ever queued in `requests.seen`. After a
crash the queued requests are lost while their fingerprints stay, so they are never asked for
again. Committing each push and pop (queuelib's SQLite queues) is not enough either: a request
taken by the engine and not yet done when the process dies is gone from the queue, and its
fingerprint still says "done".

JournalScheduler (JOBDIR/requests.sqlite, kept by govreports.requestjournal, used whenever
JOBDIR is set and the crawl is not distributed; JobdirAddon installs it) keeps one invariant
through any crash, power loss included: every fingerprint in `seen` belongs to a request that is
still in `queue` or whose work is done.

- A request is queued and its fingerprint recorded in one transaction.
- Taking a request leaves its row in place. The row goes only when Scrapy's engine is done with
  the request (its callbacks ran, the requests they made are queued, their items went through
  the pipelines and were stored), which the scheduler learns from the engine's in-progress set
  (spiders.crawling.engine.EngineView) the next time the engine asks for a request.
- On opening, every row is queued again: what a crashed run had taken and not finished is done
  once more (the store keeps one row for a page fetched twice). A run that stops in an orderly
  way (Ctrl-C, CLOSESPIDER_*) also leaves its unfinished rows for the next one.
- Commits are ordered, so a power loss that rolls back the last commits (WAL, synchronous=NORMAL)
  never keeps a finished request without the requests it made.
- A crawl that closes `finished` with nothing queued forgets its fingerprints, so the next run
  with the same JOBDIR starts afresh rather than filtering everything as seen.

Requests are stored as Scrapy's disk queues store them (Request.to_dict, pickled: callbacks by
name); one that does not pickle is kept in memory for this run only, as Scrapy does. Order is
Scrapy's: higher priority first; within a priority, requests made by callbacks last-in-first-out,
then start requests in the order the spider gave them.
"""
from __future__ import annotations

import heapq
import logging
import pickle
from pathlib import Path
from typing import Any, Optional

from scrapy.core.scheduler import BaseScheduler
from scrapy.http import Request
from scrapy.utils.job import job_dir
from scrapy.utils.request import request_from_dict

from govreports.requestjournal import FILENAME, RequestJournal
from spiders.crawling.engine import EngineView

log = logging.getLogger(__name__)


def _order(row_id: int, priority: int, start: bool) -> tuple[int, int, int]:
    return (-priority, int(start), row_id if start else -row_id)


class JournalScheduler(BaseScheduler):
    def __init__(self, crawler: Any, path: Path) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = path
        self.debug = crawler.settings.getbool("DUPEFILTER_DEBUG")
        self.db: Optional[RequestJournal] = None
        self.seen: set[bytes] = set()
        # Queued rows not handed out in this run: (order key, row id).
        self._heap: list[tuple[tuple[int, int, int], int]] = []
        # Requests that do not pickle, for this run only: (order key, request).
        self._memory: list[tuple[tuple[int, int, int], int, Request]] = []
        self._memory_seq = 0
        # Requests handed to the engine whose rows wait for the engine to be done with them.
        self._taken: dict[Request, int] = {}
        self._engine: Any = None
        self._logged_dupe = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> "JournalScheduler":
        jobdir = job_dir(crawler.settings)
        if not jobdir:
            raise ValueError("JournalScheduler needs JOBDIR")
        return cls(crawler, Path(jobdir) / FILENAME)

    # --- lifecycle ---------------------------------------------------------------------------

    def open(self, spider: Any) -> None:
        self.spider = spider
        self._engine = EngineView(self.crawler.engine)
        self.db = RequestJournal(self.path)
        self.seen = self.db.seen()
        self._heap = [(_order(i, p, s), i) for i, p, s in self.db.queued()]
        heapq.heapify(self._heap)
        if self._heap:
            log.info("Resuming crawl from %s (%d requests scheduled, those a stopped run had "
                     "taken and not finished included)", self.path, len(self._heap))
            self.stats.set_value("govreports/jobdir/resumed", len(self._heap))

    def close(self, reason: str) -> None:
        if self.db is None:
            return
        if reason == "finished":
            # Nothing is in flight after a finished crawl: everything taken is done.
            self._ack(list(self._taken.values()))
            self._taken.clear()
            if not self.db.left():
                self.db.forget_seen()
                log.info("crawl finished: %s cleared, the next run with this JOBDIR starts "
                         "afresh", self.path)
        else:
            # The engine drops what it still held on an orderly stop, so only what it was seen
            # to finish is done; the rest is taken up again by the next run.
            self._settle()
        self.db.close()
        self.db = None

    # --- the Scheduler API -------------------------------------------------------------------

    def has_pending_requests(self) -> bool:
        return bool(self._heap or self._memory)

    def __len__(self) -> int:
        return len(self._heap) + len(self._memory)

    def enqueue_request(self, request: Request) -> bool:
        fp = None
        if not request.dont_filter:
            fp = self.crawler.request_fingerprinter.fingerprint(request)
            if fp in self.seen:
                self._log_dupe(request)
                return False
        start = bool(request.meta.get("is_start_request", False))
        try:
            data = pickle.dumps(request.to_dict(spider=self.spider), protocol=4)
        except (pickle.PicklingError, AttributeError, TypeError, ValueError) as exc:
            self._unserializable(request, exc)
            self._memory_seq += 1
            heapq.heappush(self._memory, (_order(self._memory_seq, request.priority, start),
                                          self._memory_seq, request))
            if fp is not None:
                self.seen.add(fp)
            self.stats.inc_value("scheduler/enqueued/memory")
            self.stats.inc_value("scheduler/enqueued")
            return True
        assert self.db is not None
        row_id = self.db.add(request.priority, start, data, fp)
        if fp is not None:
            self.seen.add(fp)
        heapq.heappush(self._heap, (_order(row_id, request.priority, start), row_id))
        self.stats.inc_value("scheduler/enqueued/disk")
        self.stats.inc_value("scheduler/enqueued")
        return True

    def next_request(self) -> Optional[Request]:
        self._settle()
        if self._memory and (not self._heap or self._memory[0][0] <= self._heap[0][0]):
            request = heapq.heappop(self._memory)[2]
            self.stats.inc_value("scheduler/dequeued/memory")
            self.stats.inc_value("scheduler/dequeued")
            return request
        while self._heap:
            _, row_id = heapq.heappop(self._heap)
            assert self.db is not None
            data = self.db.data(row_id)
            if data is None:
                continue
            try:
                request = request_from_dict(pickle.loads(data), spider=self.spider)
            except Exception:  # noqa: BLE001 - a request this code cannot rebuild is dropped
                log.exception("dropping queued request %d of %s: it cannot be rebuilt (made by "
                              "other code?)", row_id, self.path)
                self.stats.inc_value("govreports/jobdir/undecodable")
                self._ack([row_id])
                continue
            self._taken[request] = row_id
            self.stats.inc_value("scheduler/dequeued/disk")
            self.stats.inc_value("scheduler/dequeued")
            return request
        return None

    # --- helpers -----------------------------------------------------------------------------

    def _settle(self) -> None:
        """Delete the rows of taken requests the engine is done with."""
        if not self._taken:
            return
        active = self._engine.in_progress() if self._engine is not None else None
        if active is None:
            # Without the engine's view nothing is known to be done; the rows stay, and at
            # worst a resumed run does those requests again.
            self.stats.set_value("govreports/jobdir/engine_view_missing", True)
            return
        done = [r for r in self._taken if r not in active]
        if done:
            self._ack([self._taken.pop(r) for r in done])

    def _ack(self, row_ids: list[int]) -> None:
        if not row_ids or self.db is None:
            return
        self.db.ack(row_ids)

    def _log_dupe(self, request: Request) -> None:
        self.stats.inc_value("dupefilter/filtered")
        if self.debug or not self._logged_dupe:
            log.debug("Filtered duplicate request: %s%s", request,
                      "" if self.debug else " - no more duplicates will be shown "
                      "(see DUPEFILTER_DEBUG to show all duplicates)")
            self._logged_dupe = True

    def _unserializable(self, request: Request, exc: BaseException) -> None:
        if not self.stats.get_value("scheduler/unserializable"):
            log.warning("Unable to serialize request: %s - reason: %s - kept in memory, lost if "
                        "this run stops (stats: scheduler/unserializable)", request, exc)
        self.stats.inc_value("scheduler/unserializable")


class JobdirAddon:
    """Scrapy add-on (ADDONS in govreports.settings, after DistributedAddon): with JOBDIR set,
    the crawl uses JournalScheduler, unless a scheduler was chosen already (distributed mode,
    or SCHEDULER given by the operator)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "JobdirAddon":
        return cls()

    def update_settings(self, settings: Any) -> None:
        if not settings.get("JOBDIR") or settings.getpriority("SCHEDULER") > 0:
            return
        settings.set("SCHEDULER", "spiders.crawling.jobdir.JournalScheduler", priority="addon")
