"""Parse pipelines: each runs one step of govreports.parse on a ReportPage, in order.

They hold no parsing logic of their own, so the crawl, the CLI and the tests share one code path.

ParsePoolPipeline (GOVREPORTS_PARSE_PROCESSES: "auto" uses the cores beyond the first; 0 turns it
off) runs the same parse_page in worker processes instead, ahead of the steps, which then find
the item parsed and pass it on: parsing is most of a report's CPU, and in the crawl's own thread
it holds up the downloads and the store.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Optional

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, reactor

from govreports import packing, parse

log = logging.getLogger(__name__)


def _parsed_elsewhere(item) -> bool:
    # ParsePoolPipeline leaves a whole result and no document (it stays in the worker).
    return item.result is not None and item.document is None


class DocumentPipeline:
    def process_item(self, item, spider=None):
        if not _parsed_elsewhere(item):
            item.document, item.result = parse.start(item)
        return item


class HeaderPipeline:
    def process_item(self, item, spider=None):
        if not _parsed_elsewhere(item):
            parse.extract_header(item.document, item.result, title_hint=item.title_hint,
                                 portal_code=item.portal_code)
        return item


class TablesPipeline:
    def process_item(self, item, spider=None):
        if not _parsed_elsewhere(item):
            parse.extract_tables(item.document, item.result)
        return item


class ChecksPipeline:
    def process_item(self, item, spider=None):
        if not _parsed_elsewhere(item):
            parse.run_checks(item.result)
        return item


def usable_cores() -> int:
    """The cores this process may run on (its affinity on Linux; all of them elsewhere)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def parse_processes(value: Any) -> int:
    """The GOVREPORTS_PARSE_PROCESSES setting as a number of workers."""
    if str(value).strip().lower() == "auto":
        # The crawl's own thread keeps one core; the cores this process may use, not the machine's.
        return max(0, min(4, usable_cores() - 1))
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        raise ValueError(f"GOVREPORTS_PARSE_PROCESSES must be a number or 'auto', not {value!r}") from None


def _parse_in_worker(page):
    # The store's hashing and compressing too: CPU the crawl's own process is short of.
    result = parse.parse_page(page)
    return result, packing.pack(page, result.source.sha256)


class ParsePoolPipeline:
    """parse_page of each item in one of GOVREPORTS_PARSE_PROCESSES worker processes (spawned,
    so no reactor state is forked). A worker that dies (killed, out of memory) costs no item: the
    pool is replaced and that item parsed here; an exception of the parser itself fails the item
    as it would in the crawl's thread."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.pool: Optional[ProcessPoolExecutor] = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ParsePoolPipeline":
        processes = parse_processes(crawler.settings.get("GOVREPORTS_PARSE_PROCESSES", 0))
        if processes <= 0:
            raise NotConfigured
        return cls(processes)

    def open_spider(self, spider=None) -> None:
        self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"))

    def close_spider(self, spider=None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=False)
            self.pool = None

    async def process_item(self, item, spider=None):
        outcome = self._submit(item)
        if isinstance(outcome, defer.Deferred):
            return await maybe_deferred_to_future(outcome)
        return outcome

    def _submit(self, item):
        d: defer.Deferred = defer.Deferred()
        try:
            future = self.pool.submit(_parse_in_worker, item)
        except BrokenProcessPool:
            self._replace_pool()
            return self._here(item)

        def done(f) -> None:
            # Runs in the pool's thread: hand the outcome to the reactor's thread.
            reactor.callFromThread(self._settle, d, item, f)

        future.add_done_callback(done)
        return d

    def _settle(self, d: defer.Deferred, item, future) -> None:
        try:
            item.result, item.packed = future.result()
        except BrokenProcessPool as exc:
            log.warning("parse worker died (%s); %s parsed in the crawl's process", exc, item.url)
            self._replace_pool()
            try:
                d.callback(self._here(item))
            except Exception as exc2:  # noqa: BLE001 - the item fails as it would have here
                d.errback(exc2)
            return
        except Exception as exc:  # noqa: BLE001 - the parser's own exception, as in-process
            d.errback(exc)
            return
        item.document = None
        d.callback(item)

    def _here(self, item):
        item.result = parse.parse_page(item)
        item.document = None
        return item

    def _replace_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=False)
        self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"))
