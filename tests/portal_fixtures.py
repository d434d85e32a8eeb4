"""Shared test helpers for crawls: the simulated portal as a fixture, running the real spider in a
subprocess, and a collecting pipeline that records what the spider yielded.

The crawl runs as `python -m scrapy crawl annual_reports …` in the project folder, as a user
would run it (a Twisted reactor cannot be restarted inside one pytest process, and a subprocess
also proves the command line works). Delays are switched off for speed; robots.txt stays obeyed.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

from govreports.mockportal import MockPortal

ROOT = Path(__file__).resolve().parents[1]
# Loopback is allowed here, not in the project settings (a production crawl never needs it).
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "RETRY_ENABLED": "False",
        "LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": "False",
        "GOVREPORTS_ALLOWED_HOSTS": "*.gov.cn,127.0.0.1",
        # Parse in the crawl's process: a worker pool per test crawl would cost a spawn each;
        # test_parse_fast_paths runs the pool (the default) against this path.
        "GOVREPORTS_PARSE_PROCESSES": "0"}


@pytest.fixture(scope="module")
def mock_portal():
    with MockPortal() as portal:
        yield portal


@dataclass
class CrawlRun:
    returncode: int
    log: str
    stats: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)

    def stat(self, key: str) -> int:
        return int(self.stats.get(key) or 0)


def run_crawl(tmp_path: Path, args: dict[str, str], settings: Optional[dict[str, str]] = None,
              collect: bool = False, db_url: Optional[str] = None, timeout: float = 120,
              name: str = "crawl") -> CrawlRun:
    """Run `scrapy crawl annual_reports` with `-a k=v` args and `-s` settings; return the exit
    code, the log, the crawl stats and (with collect=True, real pipelines off) the items."""
    stats_file = tmp_path / f"{name}-stats.json"
    items_file = tmp_path / f"{name}-items.jsonl"
    # The summary goes beside the stats, never over data/crawl-summary.json of a real crawl.
    s = {**FAST, "GOVREPORTS_STATS_FILE": str(stats_file),
         "GOVREPORTS_SUMMARY_FILE": str(tmp_path / f"{name}-summary.json"), **(settings or {})}
    if collect:
        s["ITEM_PIPELINES"] = json.dumps({"tests.portal_fixtures.CollectPipeline": 100})
        s["COLLECT_ITEMS_FILE"] = str(items_file)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports"]
    for k, v in args.items():
        cmd += ["-a", f"{k}={v}"]
    for k, v in s.items():
        cmd += ["-s", f"{k}={v}"]
    env = dict(os.environ)
    # The environment variable outranks the setting (govreports.config): always set it, so a
    # developer's own database is never written by a test.
    env["GOVREPORTS_DATABASE_URL"] = db_url or f"sqlite:///{tmp_path / 'unused.sqlite'}"
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    items = []
    if collect and items_file.exists():
        items = [json.loads(line) for line in items_file.read_text(encoding="utf-8").splitlines()]
    return CrawlRun(proc.returncode, proc.stdout + proc.stderr, stats, items)


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class CollectPipeline:
    """Writes one JSON line per yielded ReportPage: everything but the bodies, which are
    replaced by their SHA-256 so a test can compare them with the bytes served."""

    def __init__(self, path: str):
        self.path = path
        self.fh = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("COLLECT_ITEMS_FILE"))

    def open_spider(self, spider=None):
        self.fh = open(self.path, "w", encoding="utf-8")

    def close_spider(self, spider=None):
        self.fh.close()

    def process_item(self, item, spider=None):
        record = {
            "url": item.url, "status": item.status, "headers": item.headers,
            "sha256": _digest(item.body), "size": len(item.body), "path": item.path,
            "portal_code": item.portal_code, "list_url": item.list_url,
            "title_hint": item.title_hint, "fetched_at": item.fetched_at,
            "attachments": [{"url": a.url, "name": a.name, "status": a.status,
                             "headers": a.headers, "sha256": _digest(a.body),
                             "size": len(a.body)} for a in item.attachments],
        }
        self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return item
