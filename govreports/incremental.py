"""Incremental crawls: which report URLs need no fetch, and when a list may stop early.

A weekly crawl mostly meets reports it stored before. The spider asks `KnownReports.known()` for
the report links of each list page in one query and fetches only the others. Known are reports
already stored (an https and an http address of one page count as the same report, since a
host's TLS may come and go: spiders/crawling/httpfallback.py) and report URLs whose fetch
recently failed for good (fetch log: anti-bot answer, robots.txt, 403/404,
govreports.fetchlog.is_permanent) within GOVREPORTS_FAILED_KNOWN_DAYS: asking again would only
meet the same refusal, and such a link on page 1 must not make every run page through the whole
column.

Lists are newest first, so a page of known reports means the rest are known too, but only if
the previous walk of that list reached its end. Each list (keyed by the URL of its first page)
has a column_walks row: `begin_walk` records the start of a walk, and `finish` marks the walks
of a crawl that closed normally as finished, except those of portals whose list pages failed or
whose fetches failed for a while only since the walk began (those are walked again). A list
whose latest walk did not finish (the crawl was killed, stopped, or met failures) is walked in
full, which is cheap: stored report pages are still skipped.

`-a refresh=1` asks again for every report, also those stored, and still records the walks; for
the stored ones cheaply, with an HTTP conditional request: `validators()` gives, in one query
per list page, the If-None-Match / If-Modified-Since headers made from the ETag / Last-Modified
the current version's page was served with (raw_pages.headers). A 304 answer yields no item and
no parse: `touch()` moves the report's last_seen on. A server that ignores validators answers
200 as before and the store tells new, changed and unchanged content apart by the bytes. A page
that answers 304 has its attachments not fetched again, so an attachment replaced under the same
URL behind an unchanged page is only seen with `-a refresh=full`: every report fetched again in
full, without validators.

When the database cannot be opened every report counts as unknown and every list is walked in
full: the crawl then fetches everything, as a first crawl would, and says so once in the log.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from govreports.fetchlog import broken_since, settled_urls
from govreports.store import LazyStore

log = logging.getLogger(__name__)


def _twin(url: str) -> str:
    if url.startswith("https://"):
        return "http://" + url[len("https://"):]
    if url.startswith("http://"):
        return "https://" + url[len("http://"):]
    return url


def _now() -> datetime:
    return datetime.now(timezone.utc)


class KnownReports:
    def __init__(self, db_url: str, *, refresh: bool = False,
                 failed_known_days: float = 30.0) -> None:
        self.db_url = db_url
        self.refresh = refresh
        self.failed_known = timedelta(days=failed_known_days) if failed_known_days > 0 else None
        self._store = LazyStore(db_url, "incremental crawl off", "every report is fetched")
        # List URL -> (portal, when its walk began, whether the walk before it had finished),
        # for the lists this process walked.
        self._walks: dict[str, tuple[Optional[str], datetime, bool]] = {}
        # Those of the last known() answer that were known from the fetch log only.
        self.last_failed: set[str] = set()

    def known(self, urls: Iterable[str]) -> set[str]:
        """Those of `urls` (or their http/https twins) that need no fetch: stored as reports, or
        recently refused for good (see the module docstring)."""
        urls = list(urls)
        self.last_failed = set()
        store = self._store.get()
        if self.refresh or store is None or not urls:
            return set()
        both = [u for url in urls for u in (url, _twin(url))]
        try:
            found = store.known_urls(both)
            failed = (settled_urls(store, both, _now() - self.failed_known)
                      if self.failed_known else set())
        except Exception as exc:
            log.warning("incremental check failed (%s: %s); fetching these reports",
                        type(exc).__name__, exc)
            return set()
        stored = {u for u in urls if u in found or _twin(u) in found}
        self.last_failed = {u for u in urls if u not in stored
                            and (u in failed or _twin(u) in failed)}
        return stored | self.last_failed

    def validators(self, urls: Iterable[str]) -> dict[str, dict[str, str]]:
        """Request headers for a conditional re-fetch of those of `urls` (or their http/https
        twins) stored with an ETag or a Last-Modified, in one query: {url: {header: value}}.
        Empty when the store cannot answer: the reports are then fetched unconditionally."""
        urls = list(urls)
        store = self._store.get()
        if store is None or not urls:
            return {}
        try:
            stored = store.validators([u for url in urls for u in (url, _twin(url))])
        except Exception as exc:
            log.warning("stored validators not read (%s: %s); fetching these reports in full",
                        type(exc).__name__, exc)
            return {}
        out: dict[str, dict[str, str]] = {}
        for url in urls:
            kept = stored.get(url) or stored.get(_twin(url))
            if not kept:
                continue
            headers = {}
            if kept.get("etag"):
                headers["If-None-Match"] = kept["etag"]
            if kept.get("last-modified"):
                headers["If-Modified-Since"] = kept["last-modified"]
            out[url] = headers
        return out

    def touch(self, url: str, when: Optional[datetime] = None) -> bool:
        """The stored report at `url` (or its http/https twin) answered 304 Not Modified: its
        last_seen moves to `when` (now). False when that could not be recorded."""
        store = self._store.get()
        if store is None:
            return False
        try:
            store.touch([url, _twin(url)], when or _now())
        except Exception as exc:
            log.warning("last_seen of %s not updated (%s: %s)", url, type(exc).__name__, exc)
            return False
        return True

    def begin_walk(self, list_url: str, portal_code: Optional[str]) -> bool:
        """A page of the list whose first page is `list_url` is being read: True if the walk
        before this one finished, so a page of known reports may end this one. The first call
        per list records the start of its walk."""
        if list_url in self._walks:
            return self._walks[list_url][2]
        store = self._store.get()
        if store is None:
            return False
        now = _now()
        try:
            previous = store.walks([list_url]).get(list_url)
            store.start_walk(list_url, portal_code, now)
        except Exception as exc:
            log.warning("walk of %s not recorded (%s: %s); walking it in full", list_url,
                        type(exc).__name__, exc)
            self._walks[list_url] = (portal_code, now, False)
            return False
        finished = previous is not None and previous.finished_at is not None
        # An unfinished walk keeps its start: failures since then count against this walk too.
        began = previous.started_at if previous is not None and not finished else now
        self._walks[list_url] = (portal_code, began, finished)
        return finished

    def finish(self, reason: str) -> list[str]:
        """At the crawl's close: the walks of a crawl that closed normally are finished, except
        those of portals with list pages or passing failures since the walk began. Returns the
        list URLs marked finished."""
        store = self._store.get()
        if reason != "finished" or store is None or not self._walks:
            return []
        try:
            broken = broken_since(store, min(began for _, began, _ in self._walks.values()))
            done = [url for url, (code, began, _) in self._walks.items()
                    if code not in broken or broken[code] < began]
            store.finish_walks(done, _now())
        except Exception as exc:
            log.warning("list walks not recorded as finished (%s: %s); they are walked in full "
                        "next time", type(exc).__name__, exc)
            return []
        if len(done) < len(self._walks):
            log.info("%d of %d list walk(s) met failures and are walked in full next time",
                     len(self._walks) - len(done), len(self._walks))
        return done

    def close(self) -> None:
        self._store.close()
