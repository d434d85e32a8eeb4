"""Crawl monitoring: figures per portal, a summary at the end of every crawl, progress lines during
it, and the verdict a scheduler acts on.

CrawlSummary (an extension) counts per portal in the crawl stats, under govreports/summary/<code>/:

    found          report links queued for fetching (after the duplicate filter); `known`
                   adds those an incremental crawl skipped as already stored and those a
                   refresh=1 crawl found not modified, HTTP 304 (fetch log stats)
    responses      answers to the portal's list, report and attachment requests
    blocked        of those, anti-bot answers (govreports.antibot)
    fetched        report pages handed to the pipelines
    failed_checks  勾稽关系 checks that failed; reports_failing_checks: reports with one or more

and SqlPipeline counts govreports/stored_<new|changed|unchanged>/<code>. When the crawl closes it
logs the summary and writes it as JSON to GOVREPORTS_SUMMARY_FILE (default
data/crawl-summary.json). In distributed mode the figures are the whole crawl's, every worker's
together (govreports.distributed mirrors these stats into Redis), and `worker` has this process's.

The verdict (`evaluate`), written into the summary as `alerts` and `exit_code`:

    3  stored_nothing   no report was stored, not even as unchanged, and none was skipped as
                        already stored or answered 304 (an incremental crawl, govreports.incremental)
    4  block_rate_jump  blocked/responses rose by GOVREPORTS_BLOCK_RATE_JUMP or more over the
                        previous summary of the same scope (the file about to be replaced), both
                        with GOVREPORTS_BLOCK_RATE_MIN_RESPONSES responses or more
    6  not_finished     the crawl closed for another reason than "finished" (shutdown, a timeout)

The first of these that applies is the exit code. Scrapy exits 0 after any orderly close, so
`python -m govreports crawl` (govreports.jobs) runs the crawl and exits with the summary's code.

Progress (an extension) logs one line every GOVREPORTS_PROGRESS_INTERVAL seconds, beside
Scrapy's LOGSTATS_INTERVAL line: reports stored by outcome, blocked answers, requests queued.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union

from scrapy import signals
from scrapy.exceptions import NotConfigured

from govreports.antibot import blocked_reason

log = logging.getLogger(__name__)

# Our own namespace: govreports/portal/<code>/… belongs to the fetch log (govreports.fetchlog).
PORTAL_STAT = "govreports/summary/"
# Report links the incremental crawl skipped as already stored (govreports.incremental counts
# them in the fetch log's namespace), and those answered 304 Not Modified to a refresh=1 crawl's
# validators (spiders/annual_reports.py): a crawl that meets only those is healthy.
FETCHLOG_STAT, KNOWN, NOT_MODIFIED = "govreports/portal/", "skipped_known", "not_modified"
OUTCOMES = ("new", "changed", "unchanged")
COUNTED = ("found", "responses", "blocked", "fetched", "failed_checks", "reports_failing_checks")
METRICS = ("found", "known", "fetched", "new", "changed", "unchanged", "stored", "not_stored",
           "blocked", "responses", "block_rate", "failed_checks", "reports_failing_checks")
# A report without a registry row (-a column= without a code, -a url=) is counted under this key.
NO_PORTAL = "-"
# The callback that fetches a report page: requests to it are the reports found.
REPORT_CALLBACK = "parse_report"

EXIT_OK, EXIT_STORED_NOTHING, EXIT_BLOCK_RATE_JUMP, EXIT_NO_SUMMARY, EXIT_NOT_FINISHED = 0, 3, 4, 5, 6
ALERT_CODES = {"stored_nothing": EXIT_STORED_NOTHING, "block_rate_jump": EXIT_BLOCK_RATE_JUMP,
               "not_finished": EXIT_NOT_FINISHED}

_MISSING = object()


def _portal_of(request: Any) -> Any:
    """The portal code a request works for, None for a report outside the registry, or _MISSING
    for requests of no portal (robots.txt)."""
    kw = getattr(request, "cb_kwargs", None) or {}
    if "portal_code" in kw:
        return kw["portal_code"]
    item = kw.get("item")
    if item is not None and hasattr(item, "portal_code"):
        return item.portal_code
    return _MISSING


def _iso(ts: Optional[float] = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), timezone.utc) \
        .replace(microsecond=0).isoformat()


# --- figures --------------------------------------------------------------------------------

def portal_figures(stats: dict[str, Any], codes: list[str] = ()) -> dict[str, dict[str, Any]]:
    """Per-portal figures from crawl stats (a worker's or the crawl-wide mirror); every code in
    `codes` appears, with zeros if nothing was counted for it."""
    raw: dict[str, dict[str, int]] = {c: {} for c in codes}
    for key, value in stats.items():
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if key.startswith(PORTAL_STAT):
            code, _, metric = key[len(PORTAL_STAT):].rpartition("/")
            if code and metric in COUNTED:
                raw.setdefault(code, {})[metric] = value
        elif key.startswith(FETCHLOG_STAT) and key.rpartition("/")[2] in (KNOWN, NOT_MODIFIED):
            code = key[len(FETCHLOG_STAT):].rpartition("/")[0]
            if code and "/" not in code:
                counts = raw.setdefault(code, {})
                counts["known"] = counts.get("known", 0) + value
        elif key.startswith("govreports/stored_"):
            outcome, _, code = key[len("govreports/stored_"):].partition("/")
            if code and outcome in OUTCOMES:
                raw.setdefault(code, {})[outcome] = value
    return {code: _complete(counts) for code, counts in sorted(raw.items())}


def _complete(counts: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {m: int(counts.get(m, 0)) for m in COUNTED + OUTCOMES + ("known",)}
    out["stored"] = sum(out[o] for o in OUTCOMES)
    out["not_stored"] = max(0, out["fetched"] - out["stored"])
    out["block_rate"] = round(out["blocked"] / out["responses"], 4) if out["responses"] else None
    return {m: out[m] for m in METRICS}


def totals(portals: dict[str, dict[str, Any]]) -> dict[str, Any]:
    summed = {m: sum(p[m] for p in portals.values()) for m in COUNTED + OUTCOMES + ("known",)}
    out = _complete(summed)
    out["portals"] = len(portals)
    out["portals_without_reports"] = sum(1 for p in portals.values()
                                         if not p["found"] and not p["known"])
    return out


def scope_of(spider: Any) -> dict[str, Any]:
    """What the crawl covered, to tell whether the previous summary is comparable."""
    codes = sorted(getattr(spider, "portals", {}) or {})
    return {"portals": len(codes),
            "portals_sha1": hashlib.sha1(",".join(codes).encode()).hexdigest()[:16],
            "column": getattr(spider, "column", None),
            "url": getattr(spider, "single_url", None)}


# --- the verdict ----------------------------------------------------------------------------

def evaluate(current: dict[str, Any], previous: Optional[dict[str, Any]], finish_reason: str,
             *, jump: float = 0.10, min_responses: int = 20) -> list[dict[str, Any]]:
    """Alerts for a crawl's totals against the previous summary's (None: first crawl, or another
    scope). Each alert has `code`, `exit_code` and `message`."""
    alerts = []

    def alert(code: str, message: str) -> None:
        alerts.append({"code": code, "exit_code": ALERT_CODES[code], "message": message})

    # An incremental crawl that met only reports stored before (known) is healthy.
    if current["stored"] == 0 and not current.get("known"):
        alert("stored_nothing", f"no report stored ({current['found']} found, "
                                f"{current['fetched']} fetched, {current['blocked']} blocked)")
    rate, before = current.get("block_rate"), (previous or {}).get("block_rate")
    if rate is not None and before is not None \
            and current["responses"] >= min_responses \
            and (previous or {}).get("responses", 0) >= min_responses \
            and rate - before >= jump:
        alert("block_rate_jump", f"block rate {rate:.1%} ({current['blocked']} of "
                                 f"{current['responses']} answers), was {before:.1%} in the "
                                 f"previous crawl: rose by {rate - before:.1%} "
                                 f"(threshold {jump:.1%})")
    if finish_reason != "finished":
        alert("not_finished", f"the crawl closed with reason {finish_reason!r}")
    alerts.sort(key=lambda a: a["exit_code"])
    return alerts


def exit_code(alerts: list[dict[str, Any]]) -> int:
    return alerts[0]["exit_code"] if alerts else EXIT_OK


def read_summary(path: Union[str, Path]) -> Optional[dict[str, Any]]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    # A reader (the wrapper, a dashboard) never sees half a file.
    os.replace(tmp, path)


# --- extensions -----------------------------------------------------------------------------

class CrawlSummary:
    """Counts per portal during the crawl; writes and logs the summary at its end."""

    def __init__(self, crawler: Any, path: str) -> None:
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = Path(path)
        self.jump = s.getfloat("GOVREPORTS_BLOCK_RATE_JUMP", 0.10)
        self.min_responses = s.getint("GOVREPORTS_BLOCK_RATE_MIN_RESPONSES", 20)
        self.log_portals = s.getint("GOVREPORTS_SUMMARY_LOG_PORTALS", 50)
        self.run_id = s.get("GOVREPORTS_RUN_ID")
        self.started = time.time()
        for handler, signal in ((self.request_scheduled, signals.request_scheduled),
                                (self.request_dropped, signals.request_dropped),
                                (self.response_received, signals.response_received),
                                (self.item_scraped, signals.item_scraped),
                                (self.item_not_stored, signals.item_dropped),
                                (self.item_not_stored, signals.item_error),
                                (self.spider_closed, signals.spider_closed)):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "CrawlSummary":
        s = crawler.settings
        path = s.get("GOVREPORTS_SUMMARY_FILE")
        if not path or s.getbool("GOVREPORTS_SEED_ONLY"):
            raise NotConfigured
        return cls(crawler, path)

    def _inc(self, portal: Any, metric: str, n: int = 1) -> None:
        self.stats.inc_value(f"{PORTAL_STAT}{portal or NO_PORTAL}/{metric}", n)

    def request_scheduled(self, request: Any, spider: Any) -> None:
        if getattr(request.callback, "__name__", None) == REPORT_CALLBACK:
            self._inc(_portal_of(request), "found")

    def request_dropped(self, request: Any, spider: Any) -> None:
        # Scheduled, then refused by the duplicate filter: not a report found.
        if getattr(request.callback, "__name__", None) == REPORT_CALLBACK:
            self._inc(_portal_of(request), "found", -1)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        portal = _portal_of(request)
        if portal is _MISSING:
            return
        self._inc(portal, "responses")
        if blocked_reason(response.status, response.body):
            self._inc(portal, "blocked")

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        portal = getattr(item, "portal_code", None)
        self._inc(portal, "fetched")
        result = getattr(item, "result", None)
        failed = sum(1 for c in getattr(result, "checks", None) or () if c.status == "fail")
        if failed:
            self._inc(portal, "failed_checks", failed)
            self._inc(portal, "reports_failing_checks")

    def item_not_stored(self, item: Any, response: Any = None, spider: Any = None,
                        **kwargs: Any) -> None:
        self._inc(getattr(item, "portal_code", None), "fetched")

    # -- the end -----------------------------------------------------------------------------

    def spider_closed(self, spider: Any, reason: str) -> None:
        try:
            summary = self.build(spider, reason)
        except Exception:  # noqa: BLE001 - a monitoring failure must still be seen as one
            log.exception("could not build the crawl summary")
            return
        _write_json(self.path, summary)
        self.log(summary)

    def build(self, spider: Any, reason: str) -> dict[str, Any]:
        registry = getattr(spider, "portals", {}) or {}
        codes = list(registry)
        local = portal_figures(self.stats.get_stats(), codes)
        distributed = None
        figures = local
        from govreports.distributed import is_distributed
        if is_distributed(self.crawler.settings):
            from govreports.distributed import coordinator_for
            co = coordinator_for(self.crawler)
            distributed = {"worker": co.worker, "crawl": co.keys.base, "crawl_finished": False,
                           "ended_crawl": bool(self.stats.get_value(
                               "govreports/distributed/ended_crawl"))}
            try:
                co.flush()
                crawl_stats, distributed["crawl_finished"] = co.crawl_counts()
                figures = portal_figures(crawl_stats, codes)
            except Exception as exc:  # noqa: BLE001 - Redis gone: this worker's figures, said so
                log.error("crawl-wide counts unavailable (%s); the summary has this worker's", exc)
                distributed["crawl_counts_unavailable"] = True
        for code, fig in list(figures.items()):
            portal = registry.get(code)
            figures[code] = {"name": portal.name if portal is not None else None, **fig}
        scope = scope_of(spider)
        prev_file = read_summary(self.path)
        previous = None
        if prev_file is not None:
            same = prev_file.get("scope") == scope
            previous = {"finished_at": prev_file.get("finished_at"), "same_scope": same,
                        **{k: (prev_file.get("totals") or {}).get(k)
                           for k in ("stored", "blocked", "responses", "block_rate")}}
        total = totals(figures)
        alerts = evaluate(total, previous if previous and previous["same_scope"] else None,
                          reason, jump=self.jump, min_responses=self.min_responses)
        summary = {
            "run_id": self.run_id, "spider": spider.name, "scope": scope,
            "started_at": _iso(self.started), "finished_at": _iso(), "finish_reason": reason,
            "totals": total, "portals": figures, "previous": previous,
            "alerts": alerts, "exit_code": exit_code(alerts), "distributed": distributed,
        }
        if distributed is not None:
            summary["worker"] = totals(local)
        return summary

    def log(self, summary: dict[str, Any]) -> None:
        t = summary["totals"]
        log.info("crawl summary (%s): %d portal(s), %d report(s) found, %d fetched, stored %d "
                 "(new %d, changed %d, unchanged %d), %d not stored, %d blocked of %d answers, "
                 "%d report(s) failing checks -> %s", summary["finish_reason"], t["portals"],
                 t["found"], t["fetched"], t["stored"], t["new"], t["changed"], t["unchanged"],
                 t["not_stored"], t["blocked"], t["responses"], t["reports_failing_checks"],
                 self.path)
        # Portals with something to look at first; a national crawl has thousands of rows.
        ordered = sorted(summary["portals"].items(),
                         key=lambda kv: (-(kv[1]["blocked"] + kv[1]["not_stored"]
                                           + (kv[1]["found"] == 0)), kv[0]))
        for code, p in ordered[: self.log_portals]:
            log.info("  %s %s: found %d, new %d, changed %d, unchanged %d, not stored %d, "
                     "blocked %d, failing checks %d", code, p.get("name") or "", p["found"],
                     p["new"], p["changed"], p["unchanged"], p["not_stored"], p["blocked"],
                     p["reports_failing_checks"])
        if len(ordered) > self.log_portals:
            log.info("  … %d more portal(s) in %s", len(ordered) - self.log_portals, self.path)
        for a in summary["alerts"]:
            log.error("crawl alert %s (exit code %d): %s", a["code"], a["exit_code"], a["message"])


class Progress:
    """Logs a progress line every GOVREPORTS_PROGRESS_INTERVAL seconds (0 or unset: never)."""

    def __init__(self, crawler: Any, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: Any = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Progress":
        s = crawler.settings
        interval = s.getfloat("GOVREPORTS_PROGRESS_INTERVAL", 0)
        if interval <= 0 or s.getbool("GOVREPORTS_SEED_ONLY"):
            raise NotConfigured
        return cls(crawler, interval)

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log_progress)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def queued(self, s: dict[str, Any]) -> Optional[int]:
        from govreports.distributed import coordinator_for, is_distributed
        if is_distributed(self.crawler.settings):
            try:
                return coordinator_for(self.crawler).queued()
            except Exception:  # noqa: BLE001 - progress is best effort
                return None
        return int(s.get("scheduler/enqueued", 0)) - int(s.get("scheduler/dequeued", 0))

    def log_progress(self) -> None:
        s = self.crawler.stats.get_stats()
        elapsed = time.monotonic() - self.started
        pages = int(s.get("response_received_count", 0))
        stored = {o: int(s.get(f"govreports/stored_{o}", 0)) for o in OUTCOMES}
        blocked = sum(v for k, v in s.items() if k.startswith("govreports/blocked/")
                      and isinstance(v, int))
        queued = self.queued(s)
        log.info("progress after %d:%02d:%02d: %d page(s) (%.1f/min), %d report(s) fetched, "
                 "stored %d (new %d, changed %d, unchanged %d), %d blocked, %d dead-lettered, "
                 "%s queued", elapsed // 3600, elapsed % 3600 // 60, elapsed % 60, pages,
                 pages / elapsed * 60 if elapsed else 0, int(s.get("govreports/reports", 0)),
                 sum(stored.values()), stored["new"], stored["changed"], stored["unchanged"],
                 blocked, int(s.get("govreports/deadlettered", 0)),
                 "?" if queued is None else queued)
