"""SQL pipeline: the last step of the crawl, saving each parsed ReportPage through govreports.store.

Thin on purpose: the store decides what is new; this counts the outcomes in the crawl stats
(govreports/stored_new, govreports/stored_unchanged, govreports/stored_changed).

Storing never stops the crawl. When the database is unreachable or a save fails, the item goes
whole to the dead-letter file (setting GOVREPORTS_DEADLETTER; govreports.deadletter) and is
counted in govreports/deadlettered (and govreports/deadlettered/<error type>); replay it with
`python -m govreports replay FILE`. After a connection-level failure the database is left alone
for GOVREPORTS_DATABASE_RETRY_SECONDS (items go straight to the file meanwhile), so a dead server
costs one connect timeout per interval, not one per item.

Saves run in a thread of the pipeline's own, off the crawl's thread: compressing the raw page,
hashing it and waiting on the database (a lock, a network round trip, a sync) then hold up
neither the downloads nor the link finding. One batch at a time: the items that came while the
last batch was being saved go together, in one transaction (Store.save_many: a failing item is
left out alone), so a busy crawl pays one commit for several reports and a quiet one waits for
nothing. An item's process_item returns only once its batch is committed. Outside a crawl,
`save_item` saves one item in the caller's thread.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Optional

from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy.exc import InterfaceError, OperationalError
from twisted.internet import defer, reactor, threads
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from govreports import deadletter
from govreports.config import database_url
from govreports.store import CHANGED, NEW, UNCHANGED, Store, is_conflict

log = logging.getLogger(__name__)
DEADLETTERED = "govreports/deadlettered"
# Transactions the items were saved in (items stored / this = the mean batch).
BATCHES = "govreports/store_batches"
DEFAULT_RETRY_SECONDS = 30.0
# Errors that say the database (not this item) is the problem.
_UNAVAILABLE = (OperationalError, InterfaceError, OSError)
# Items saved in one transaction at most: a failed commit sends them all to the dead-letter file.
MAX_BATCH = 32
Saved = tuple[Optional[str], Optional[BaseException]]


class SqlPipeline:
    def __init__(self, url: str, stats: Any, deadletter_path: str = deadletter.DEFAULT_PATH,
                 retry_seconds: float = DEFAULT_RETRY_SECONDS) -> None:
        self.url = url
        self.stats = stats
        self.deadletter_path = deadletter_path
        self.retry_seconds = retry_seconds
        self.store: Store | None = None
        # While the database is known to be down: until when, and why.
        self._down_until = 0.0
        self._down_error: Optional[BaseException] = None
        # One thread: saves stay in order and never race for SQLite's write lock.
        self._thread: Optional[ThreadPool] = None
        # Items waiting for the batch being saved to finish, and whether one is.
        self._waiting: list[tuple[Any, defer.Deferred]] = []
        self._saving = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SqlPipeline":
        s = crawler.settings
        return cls(database_url(s), crawler.stats,
                   deadletter_path=s.get(deadletter.SETTING) or deadletter.DEFAULT_PATH,
                   retry_seconds=s.getfloat("GOVREPORTS_DATABASE_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))

    # Scrapy 2.19 no longer passes the spider to pipeline methods; requiring it is deprecated.
    def open_spider(self) -> None:
        for outcome in (NEW, UNCHANGED, CHANGED):
            # Zeros in the stats too, so a monitor can tell "nothing new" from "not stored".
            self.stats.set_value(f"govreports/stored_{outcome}", 0)
        self.stats.set_value(DEADLETTERED, 0)
        self._open()
        self._thread = ThreadPool(minthreads=1, maxthreads=1, name="govreports-store")
        self._thread.start()

    def close_spider(self) -> None:
        # Scrapy has waited for every item: the thread is idle.
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        if self.store is not None:
            self.store.close()
            self.store = None
        n = self.stats.get_value(DEADLETTERED, 0)
        if n:
            log.warning("%d item(s) could not be stored and wait in %s: "
                        "python -m govreports replay %s", n, self.deadletter_path, self.deadletter_path)

    async def process_item(self, item: Any) -> Any:
        if self._thread is None:
            return self.save_item(item)
        self._check(item)
        saved: defer.Deferred = defer.Deferred()
        self._waiting.append((item, saved))
        if not self._saving:
            self._next_batch()
        self._count(item, *await maybe_deferred_to_future(saved))
        return item

    def save_item(self, item: Any) -> Any:
        """Store one item in this thread (what process_item does in the store's thread)."""
        self._check(item)
        self._count(item, *self._save([item])[0])
        return item

    def _next_batch(self) -> None:
        batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        self._saving = True
        self.stats.inc_value(BATCHES)
        saving = threads.deferToThreadPool(reactor, self._thread, self._save, [i for i, _ in batch])

        def done(outcomes: Any) -> None:
            self._saving = False
            if self._waiting:
                self._next_batch()
            for n, (_, d) in enumerate(batch):
                # _save catches what a save raises; a failure here is a bug, which fails its items.
                d.errback(outcomes) if isinstance(outcomes, Failure) else d.callback(outcomes[n])

        saving.addBoth(done)

    @staticmethod
    def _check(item: Any) -> None:
        if item.result is None:
            # Storing the bytes without a parse would mark this content "unchanged" for good.
            raise DropItem(f"{item.url}: no parse result to store")

    def _save(self, items: list[Any]) -> list[Saved]:
        """For each item, (outcome, None) once stored; (None, why) once in the dead-letter file."""
        store = self._open()
        if store is None:
            outcomes: list[Any] = [self._down_error] * len(items)
        else:
            try:
                outcomes = store.save_many([(item, item.result) for item in items])
            except Exception as exc:  # the database failed, not an item: keep them, go on crawling
                if isinstance(exc, _UNAVAILABLE):
                    self._mark_down(exc)
                outcomes = [exc] * len(items)
        saved: list[Saved] = []
        for item, outcome in zip(items, outcomes):
            if isinstance(outcome, str):
                saved.append((outcome, None))
                continue
            # this item failed alone, or the database with it and those after it
            if isinstance(outcome, _UNAVAILABLE) and not is_conflict(outcome) \
                    and outcome is not self._down_error:
                self._mark_down(outcome)
            self._dead_letter(item, outcome)
            saved.append((None, outcome))
        return saved

    def _count(self, item: Any, outcome: Optional[str], error: Optional[BaseException]) -> None:
        # In the crawl's thread: the stats are not shared with the store's thread.
        if outcome is None:
            self.stats.inc_value(DEADLETTERED)
            if error is not None:
                self.stats.inc_value(f"{DEADLETTERED}/{type(error).__name__}")
            return
        self.stats.inc_value(f"govreports/stored_{outcome}")
        # Per portal too, for the crawl summary (govreports.monitor).
        self.stats.inc_value(f"govreports/stored_{outcome}/{item.portal_code or '-'}")

    def _open(self) -> Optional[Store]:
        if self.store is not None and not self._down_error:
            return self.store
        if time.monotonic() < self._down_until:
            return None
        if self.store is None:
            try:
                self.store = Store(self.url)
            except Exception as exc:  # unreachable, refused, a schema it cannot migrate ...
                self._mark_down(exc)
                return None
        self._down_error = None
        return self.store

    def _mark_down(self, exc: BaseException) -> None:
        if self._down_error is None:
            log.error("database %s unavailable (%s: %s); items go to %s, next try in %.0f s",
                      deadletter.safe_url(self.url), type(exc).__name__, exc, self.deadletter_path,
                      self.retry_seconds)
        self._down_error = exc
        self._down_until = time.monotonic() + self.retry_seconds

    def _dead_letter(self, item: Any, error: Optional[BaseException]) -> None:
        # A failure to write this file is not caught: losing the page silently would be worse.
        deadletter.append(self.deadletter_path,
                          deadletter.record(item, item.result, error or "database unavailable", self.url))
        log.warning("dead-lettered %s (%s) to %s", item.url,
                    type(error).__name__ if error else "database unavailable", self.deadletter_path)
