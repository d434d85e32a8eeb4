"""The offline demo: crawl the simulated portal with the real spider, store, export, summarise.

`python -m govreports demo` (or `make demo`) calls `run()`. It starts govreports.mockportal on
127.0.0.1, runs `scrapy crawl annual_reports -a column=…` in a subprocess with the real
pipelines (robots.txt obeyed; only the politeness delays are off, for this local server), then
writes the CSVs with govreports.export and prints what happened.

The portal always listens on the same port, because the store identifies a report by its URL:
a second run on another port would store the same reports again under new URLs.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

from sqlalchemy.engine import make_url

from govreports.mockportal import MockPortal

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = f"sqlite:///{ROOT / 'data' / 'demo.sqlite'}"
# Below the Linux ephemeral range (32768+), so no client socket holds it by chance.
DEMO_PORT = 28341
DEMO_SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO",
                 "LOG_FILE_APPEND": "False",
                 # The simulated portal is on 127.0.0.1, which the project settings do not allow.
                 "GOVREPORTS_ALLOWED_HOSTS": "*.gov.cn,127.0.0.1"}


class DemoError(RuntimeError):
    pass


def absolute_db_url(db_url: str) -> str:
    """A relative SQLite path made absolute against the caller's folder: the crawl runs in the
    project folder, and both must open the same file."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite":
        return db_url
    if not url.database or url.database == ":memory:":
        raise DemoError("an in-memory SQLite database cannot be shared with the crawl process; "
                        "give a file, e.g. sqlite:///data/demo.sqlite")
    if url.database.startswith("file:") or os.path.isabs(url.database):
        return db_url
    return url.set(database=os.path.abspath(url.database)).render_as_string(hide_password=False)


def crawl(column_url: str, db_url: str, log_file: Path, stats_file: Path) -> dict[str, Any]:
    """Run the real spider on one column into db_url; return its crawl stats."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports", "-a", f"column={column_url}"]
    settings = dict(DEMO_SETTINGS, GOVREPORTS_DATABASE_URL=db_url, LOG_FILE=str(log_file),
                    GOVREPORTS_STATS_FILE=str(stats_file),
                    # Beside the stats, not data/crawl-summary.json: the next real crawl compares
                    # itself with that one.
                    GOVREPORTS_SUMMARY_FILE=str(stats_file.with_name("crawl-summary.json")))
    for k, v in settings.items():
        cmd += ["-s", f"{k}={v}"]
    # The environment variable outranks the setting (govreports.config), so it is set too: a
    # GOVREPORTS_DATABASE_URL in the user's shell must not send the demo into their database.
    env = dict(os.environ, GOVREPORTS_DATABASE_URL=db_url)
    stats_file.unlink(missing_ok=True)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not stats_file.exists():
        tail = (proc.stderr or "")[-3000:] or (log_file.read_text(encoding="utf-8")[-3000:]
                                                if log_file.exists() else "")
        raise DemoError(f"the crawl failed (exit {proc.returncode}); log: {log_file}\n{tail}")
    return json.loads(stats_file.read_text(encoding="utf-8"))


def _csv_totals(reports_csv: Path) -> dict[str, int]:
    totals = {"reports": 0, "warnings": 0, "failed_checks": 0, "cells": 0}
    with reports_csv.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            totals["reports"] += 1
            totals["cells"] += int(row.get("n_cells") or 0)
            totals["warnings"] += int(row.get("n_warnings") or 0)
            totals["failed_checks"] += int(row.get("n_checks_failed") or 0)
    return totals


def summarise(stats: dict[str, Any], totals: dict[str, int], counts: dict[str, int]) -> dict[str, Any]:
    def stat(key: str) -> int:
        return int(stats.get(key) or 0)

    blocked = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("govreports/blocked/")}
    return {
        "reports_crawled": stat("govreports/reports"),
        "attachments": stat("govreports/attachments"),
        "new": stat("govreports/stored_new"),
        "changed": stat("govreports/stored_changed"),
        "unchanged": stat("govreports/stored_unchanged"),
        # Reports stored by an earlier run and not fetched again (govreports.incremental).
        "skipped_known": stat("govreports/skipped_known"),
        "dropped": stat("item_dropped_count"),
        "blocked": blocked,
        "offsite_links": stat("govreports/offsite"),
        "robots_forbidden": stat("robotstxt/forbidden"),
        "errors": stat("log_count/ERROR"),
        "reports_stored": totals["reports"],
        "versions_stored": counts.get("report_versions", 0),
        "cells": totals["cells"],
        "warnings": totals["warnings"],
        "failed_checks": totals["failed_checks"],
    }


def run(out_dir: str = "out/demo", db_url: Optional[str] = None, port: int = DEMO_PORT,
        quiet: bool = False) -> dict[str, Any]:
    """Crawl the simulated portal into db_url (default data/demo.sqlite), export CSVs into
    out_dir, print a short summary and return it as a dict."""
    from govreports.export import export_csv
    from govreports.store import Store

    db_url = absolute_db_url(db_url or DEFAULT_DB)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    try:
        portal = MockPortal(port=port).start()
    except OSError as exc:
        raise DemoError(f"cannot serve the simulated portal on 127.0.0.1:{port} ({exc}); the "
                        f"port is part of every stored URL, so free it rather than change it") from exc
    try:
        stats = crawl(portal.column_url, db_url, out / "crawl.log", out / "crawl-stats.json")
    finally:
        portal.stop()
    paths = {k: str(v) for k, v in export_csv(db_url, out).items()}
    with Store(db_url) as store:
        counts = store.counts()
    summary = summarise(stats, _csv_totals(Path(paths["reports"])), counts)
    summary.update(column_url=portal.column_url, db_url=db_url, csv=paths,
                   log=str(out / "crawl.log"))
    if not quiet:
        print(format_summary(summary))
    return summary


def format_summary(s: dict[str, Any]) -> str:
    blocked = ", ".join(f"{n} {k}" for k, n in s["blocked"].items()) or "none"
    lines = [
        f"govreports demo: crawled the simulated portal {s['column_url']}",
        f"  crawl    {s['reports_crawled']} report pages ({s['attachments']} attachment), "
        f"anti-bot answers recorded: {blocked}; off-list links not followed: "
        f"{s['offsite_links']}; forbidden by robots.txt: {s['robots_forbidden']}",
        f"  stored   {s['new']} new, {s['changed']} changed, {s['unchanged']} unchanged this run"
        + (f", {s['dropped']} dropped" if s["dropped"] else "")
        + (f"; {s['skipped_known']} stored before, not fetched again" if s["skipped_known"] else "")
        + f"; {s['reports_stored']} reports in {s['db_url']}",
        f"  parsed   {s['cells']} cells, {s['warnings']} warnings, {s['failed_checks']} failed checks",
    ]
    if s["errors"]:
        lines.append(f"  errors   {s['errors']} logged, see {s['log']}")
    lines += [f"  csv      {name}: {path}" for name, path in s["csv"].items()]
    lines.append(f"  log      {s['log']}")
    return "\n".join(lines)
