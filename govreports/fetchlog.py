"""The fetch log: every fetch that gave no report, with its reason, in the database and the stats.

Anything in the crawl that meets such a fetch (the spider on an anti-bot answer or a failure, or
on a list page whose later pages the platform hides behind its own script, as `blocked` with the
adapter's reason such as `encrypted_params`; the downloader middlewares of govreports.fetching on
an off-site redirect or a TLS fallback) calls
`report_fetch(crawler, request, outcome, reason, …)`. That sends the `fetch_problem` signal, which
the FetchLog extension (setting EXTENSIONS) turns into

- a `fetch_log` row (govreports.store.FetchLogRow: url, portal_code, role, outcome, reason,
  status, size, detail), written at once so a crawl that dies still leaves its record;
- crawl stats per portal: `govreports/portal/<code>/<outcome>` and
  `govreports/portal/<code>/<outcome>/<reason>` (code `-` when the request had no portal);
- at the close, one log line per portal with its reports, list pages, skipped known reports and
  these counts.

The portal and role come from the request's meta (META_PORTAL, META_ROLE), which the spider sets
on every request. When the database cannot be opened the rows are lost with a warning, the stats
and the log line are not.

The log is read back by the incremental crawl (govreports.incremental): `settled_urls` are report
URLs whose last fetch ended for good (an anti-bot answer, robots.txt, 403/404/410, an off-site
or looping redirect), which a list page's "anything new?" test counts as known while the record
is recent; `broken_since` tells which portals had a list page fail or a fetch fail for a while
only (5xx, timeouts: worth another try), whose list walks therefore did not finish.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Optional

from scrapy import signals
from scrapy.http import Request
from sqlalchemy import select

from govreports.config import database_url
from govreports.store import FetchLogRow, LazyStore, Store

log = logging.getLogger(__name__)

fetch_problem = object()
META_PORTAL = "govreports_portal"
META_ROLE = "govreports_role"
STAT = "govreports/portal/"
OUTCOMES = ("blocked", "offsite", "failed", "fallback")
# Failures another try would meet again: refused by robots.txt or the server, gone, a redirect
# that goes nowhere allowed (reasons as _record_failure and govreports.fetching write them).
PERMANENT_FAILURES = frozenset({"robots_txt", "http_400", "http_401", "http_403", "http_404",
                                "http_410", "http_451", "redirect_loop", "ignored"})


def is_permanent(outcome: str, reason: str) -> bool:
    """Would fetching again end the same way? Anti-bot answers and off-site redirects, yes (for
    a while: the caller bounds the age of the record); 5xx, timeouts, resets, no."""
    if outcome in ("blocked", "offsite"):
        return True
    return outcome == "failed" and reason in PERMANENT_FAILURES


def settled_urls(store: Store, urls: Iterable[str], since: datetime) -> set[str]:
    """Those of `urls` whose fetch as a report was recorded since `since` as failed for good
    (is_permanent)."""
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    with store.session() as s:
        for i in range(0, len(wanted), 500):
            rows = s.execute(select(FetchLogRow.url, FetchLogRow.outcome, FetchLogRow.reason).where(
                FetchLogRow.url.in_(wanted[i:i + 500]), FetchLogRow.role == "report",
                FetchLogRow.logged_at >= since))
            found.update(url for url, outcome, reason in rows if is_permanent(outcome, reason))
    return found


def broken_since(store: Store, since: datetime) -> dict[Optional[str], datetime]:
    """Portal code -> when it last had a list page blocked or failed, or a report or attachment
    fetch fail for a while only, since `since`: walks of its lists begun before then are not
    whole."""
    latest: dict[Optional[str], datetime] = {}
    with store.session() as s:
        rows = s.execute(select(FetchLogRow.portal_code, FetchLogRow.role, FetchLogRow.outcome,
                                FetchLogRow.reason, FetchLogRow.logged_at).where(
            FetchLogRow.logged_at >= since, FetchLogRow.outcome.in_(("blocked", "failed"))))
        for code, role, outcome, reason, at in rows:
            if role == "list" or (role in ("report", "attachment")
                                  and not is_permanent(outcome, reason)):
                if code not in latest or at > latest[code]:
                    latest[code] = at
    return latest


def report_fetch(crawler: Any, request: Optional[Request], outcome: str, reason: str, *,
                 url: Optional[str] = None, status: Optional[int] = None,
                 size: Optional[int] = None, detail: Optional[str] = None) -> None:
    """Record a fetch that gave no report (see the module docstring)."""
    meta = request.meta if request is not None else {}
    crawler.signals.send_catch_log(
        fetch_problem, url=url or (request.url if request is not None else ""),
        outcome=outcome, reason=reason, portal_code=meta.get(META_PORTAL),
        role=meta.get(META_ROLE), status=status, size=size, detail=detail)


def portal_stat(code: Optional[str], *parts: str) -> str:
    return STAT + "/".join((code or "-", *parts))


class FetchLog:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_url = database_url(crawler.settings)
        self._store = LazyStore(self.db_url, "fetch log",
                                "blocked and failed fetches are counted in the stats only")
        self.portals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    @classmethod
    def from_crawler(cls, crawler: Any) -> "FetchLog":
        ext = cls(crawler)
        crawler.signals.connect(ext.record, signal=fetch_problem)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def record(self, url: str, outcome: str, reason: str, portal_code: Optional[str] = None,
               role: Optional[str] = None, status: Optional[int] = None,
               size: Optional[int] = None, detail: Optional[str] = None) -> None:
        self.stats.inc_value(portal_stat(portal_code, outcome))
        self.stats.inc_value(portal_stat(portal_code, outcome, reason))
        self.portals[portal_code or "-"][outcome] += 1
        store = self._store.get()
        if store is None:
            return
        try:
            store.log_fetch(url, outcome, reason, portal_code=portal_code, role=role,
                            status=status, size=size, detail=(detail or "")[:2000] or None)
        except Exception as exc:  # the crawl goes on; the stats still count it
            log.warning("fetch_log row for %s not written: %s: %s", url, type(exc).__name__, exc)

    def summary(self) -> list[str]:
        """One line per portal: what was crawled and what was not."""
        stats = self.stats.get_stats()
        codes = set(self.portals)
        for key in stats:
            if key.startswith(STAT):
                codes.add(key[len(STAT):].split("/", 1)[0])
        lines = []
        for code in sorted(codes):
            def n(*parts: str) -> int:
                return int(stats.get(portal_stat(code, *parts)) or 0)
            reasons = {k.rsplit("/", 1)[1]: v for k, v in stats.items()
                       if k.startswith(portal_stat(code, "blocked") + "/")}
            blocked = ", ".join(f"{r} {v}" for r, v in sorted(reasons.items()))
            lines.append(
                f"{code}: {n('reports')} reports, {n('list_pages')} list pages, "
                f"{n('skipped_known')} already stored, {n('not_modified')} not modified (304), "
                f"{n('skipped_refused')} refused before; "
                f"blocked {n('blocked')}"
                + (f" ({blocked})" if blocked else "")
                + f", failed {n('failed')}, off-site redirects {n('offsite')}, "
                f"https->http {n('fallback')}")
        return lines

    def spider_closed(self, spider: Any, reason: str) -> None:
        lines = self.summary()
        if lines:
            log.info("crawl summary per portal (%s):\n  %s", reason, "\n  ".join(lines))
        self._store.close()
