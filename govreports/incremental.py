"""Incremental crawls: which report URLs the store already holds, asked once per list page.

A weekly crawl mostly meets reports it stored before. The spider asks `KnownReports.known()` for
the report links of each list page in one query, fetches only the others, and stops paging a
column at the first page whose reports are all known (lists are newest first). An https and an
http address of one page count as the same report, since a host's TLS may come and go
(govreports.fetching). `-a refresh=1` skips all of this and fetches everything again, which is
how a changed page or a late attachment is picked up.

When the database cannot be opened every report counts as unknown: the crawl then fetches
everything, as a first crawl would, and says so once in the log.
"""
from __future__ import annotations

import logging
from typing import Iterable

from govreports.store import LazyStore

log = logging.getLogger(__name__)


def _twin(url: str) -> str:
    if url.startswith("https://"):
        return "http://" + url[len("https://"):]
    if url.startswith("http://"):
        return "https://" + url[len("http://"):]
    return url


class KnownReports:
    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._store = LazyStore(db_url, "incremental crawl off", "every report is fetched")

    def known(self, urls: Iterable[str]) -> set[str]:
        """Those of `urls` (or their http/https twins) already stored as reports."""
        urls = list(urls)
        store = self._store.get()
        if store is None or not urls:
            return set()
        try:
            found = store.known_urls([u for url in urls for u in (url, _twin(url))])
        except Exception as exc:
            log.warning("incremental check failed (%s: %s); fetching these reports",
                        type(exc).__name__, exc)
            return set()
        return {u for u in urls if u in found or _twin(u) in found}

    def close(self) -> None:
        self._store.close()
