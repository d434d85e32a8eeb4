"""The fetch log's records: which fetches gave no report and why, as `fetch_log` rows and as
per-portal crawl stats, and what the incremental crawl reads back from them.

The crawl writes the log through the FetchLog extension and `report_fetch`
(spiders/crawling/fetchlog.py): anything in the crawl that meets a fetch giving no report (the
spider on an anti-bot answer or a failure, or on a list page whose later pages the platform
hides behind its own script, as `blocked` with the adapter's reason such as `encrypted_params`;
the downloader middlewares on an off-site redirect or a TLS fallback) records

- a `fetch_log` row (govreports.store.FetchLogRow: url, portal_code, role, outcome, reason,
  status, size, detail), written at once so a crawl that dies still leaves its record;
- crawl stats per portal: `govreports/portal/<code>/<outcome>` and
  `govreports/portal/<code>/<outcome>/<reason>` (code `-` when the request had no portal);
- at the close, one log line per portal with its reports, list pages, skipped known reports and
  these counts (`portal_summary`).

The log is read back by the incremental crawl (govreports.incremental): `settled_urls` are report
URLs whose last fetch ended for good (an anti-bot answer, robots.txt, 403/404/410, an off-site
or looping redirect), which a list page's "anything new?" test counts as known while the record
is recent; `broken_since` tells which portals had a list page fail or a fetch fail for a while
only (5xx, timeouts: worth another try), whose list walks therefore did not finish.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from govreports.store import FetchLogRow, Store

STAT = "govreports/portal/"
OUTCOMES = ("blocked", "offsite", "failed", "fallback")
# Failures another try would meet again: refused by robots.txt or the server, gone, a redirect
# that goes nowhere allowed (reasons as the spider's _record_failure and the redirect middleware
# of spiders/crawling/redirects.py write them).
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


def portal_stat(code: Optional[str], *parts: str) -> str:
    return STAT + "/".join((code or "-", *parts))


def portal_summary(stats: dict[str, Any], codes: Iterable[str]) -> list[str]:
    """One line per portal: what was crawled and what was not. `codes` are the portals met
    so far; those with stats only (counted by someone else) are added."""
    codes = set(codes)
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
