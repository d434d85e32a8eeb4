"""Crawl monitoring without Scrapy: figures per portal, the summary written at the end of every
crawl, and the verdict a scheduler acts on.

The crawl's extensions (spiders/crawling/summary.py: CrawlSummary, spiders/crawling/progress.py:
Progress) count per portal in the crawl stats, under govreports/summary/<code>/:

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
together (the workers mirror these stats into Redis: govreports.distributed), and `worker` has this process's.

The verdict (`evaluate`), written into the summary as `alerts` and `exit_code`:

    3  stored_nothing   no report was stored, not even as unchanged, and none was skipped as
                        already stored or answered 304 (an incremental crawl, govreports.incremental)
    4  block_rate_jump  blocked/responses rose by GOVREPORTS_BLOCK_RATE_JUMP or more over the
                        previous summary of the same scope (the file about to be replaced), both
                        with GOVREPORTS_BLOCK_RATE_MIN_RESPONSES responses or more
    6  not_finished     the crawl closed for another reason than "finished" (shutdown, a timeout)

The first of these that applies is the exit code. Scrapy exits 0 after any orderly close, so
`python -m govreports crawl` (govreports.jobs) runs the crawl and exits with the summary's code.

Progress logs one line every GOVREPORTS_PROGRESS_INTERVAL seconds, beside Scrapy's
LOGSTATS_INTERVAL line: reports stored by outcome, blocked answers, requests queued.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union

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

EXIT_OK, EXIT_STORED_NOTHING, EXIT_BLOCK_RATE_JUMP, EXIT_NO_SUMMARY, EXIT_NOT_FINISHED = 0, 3, 4, 5, 6
ALERT_CODES = {"stored_nothing": EXIT_STORED_NOTHING, "block_rate_jump": EXIT_BLOCK_RATE_JUMP,
               "not_finished": EXIT_NOT_FINISHED}

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


def write_summary(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    # A reader (the wrapper, a dashboard) never sees half a file.
    os.replace(tmp, path)


def build_summary(figures: dict[str, dict[str, Any]], names: dict[str, Optional[str]],
                  scope: dict[str, Any], path: Path, reason: str, *, spider: str,
                  run_id: Optional[str], started: float, jump: float, min_responses: int,
                  distributed: Optional[dict[str, Any]] = None,
                  local: Optional[dict[str, dict[str, Any]]] = None) -> dict[str, Any]:
    """The summary of a crawl from its per-portal figures (portal_figures), the registry's
    portal names, its scope (scope_of) and the previous summary at `path` (compared only when
    of the same scope). With `distributed`, `local` are this worker's own figures."""
    figures = {code: {"name": names.get(code), **fig} for code, fig in figures.items()}
    prev_file = read_summary(path)
    previous = None
    if prev_file is not None:
        same = prev_file.get("scope") == scope
        previous = {"finished_at": prev_file.get("finished_at"), "same_scope": same,
                    **{k: (prev_file.get("totals") or {}).get(k)
                       for k in ("stored", "blocked", "responses", "block_rate")}}
    total = totals(figures)
    alerts = evaluate(total, previous if previous and previous["same_scope"] else None,
                      reason, jump=jump, min_responses=min_responses)
    summary = {
        "run_id": run_id, "spider": spider, "scope": scope,
        "started_at": _iso(started), "finished_at": _iso(), "finish_reason": reason,
        "totals": total, "portals": figures, "previous": previous,
        "alerts": alerts, "exit_code": exit_code(alerts), "distributed": distributed,
    }
    if distributed is not None:
        summary["worker"] = totals(local or {})
    return summary
