"""Faults a national crawl meets, on a generated fleet of portals (tests.generated_portal), crawled
by the real spider through the real pipelines into a real database:

- a fleet whose pages fail at set rates (HTTP 500 once or always, timeouts, resets, truncated
  bodies, GBK declared UTF-8, 瑞数 412 challenges, bodies over DOWNLOAD_MAXSIZE, redirect loops,
  endless redirect chains, redirects off the allowed hosts): every report that could be fetched
  is stored exactly once and right, every fetch that failed is in the fetch log (fetch_log) with
  its reason, retries stay bounded, and the crawl ends normally;
- a crawl killed with SIGKILL halfway and resumed from its JOBDIR ends with the rows of a crawl
  that was never stopped (spiders/crawling/jobdir.py), and so does one killed without a JOBDIR and
  followed by a fresh run, which walks every list the killed run had begun to its end
  (govreports.incremental);
- a database that goes away halfway (its role loses the right to log in and its connections are
  cut) loses nothing: the items wait in the dead-letter file, and `python -m govreports replay`
  stores them, after which the database holds what an undisturbed crawl stores.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.generated_portal import FAULTS, GeneratedPortal, Plan
from tests.portal_fixtures import FAST, ROOT, run_crawl

# Short enough to keep the test quick, long enough for a real page on a busy machine.
DOWNLOAD_TIMEOUT = 2
MAXSIZE = 1_000_000
RETRY_TIMES = 2
SETTINGS = {"RETRY_ENABLED": "True", "RETRY_TIMES": str(RETRY_TIMES),
            "DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT), "DOWNLOAD_MAXSIZE": str(MAXSIZE),
            "RETRY_BACKOFF_BASE": "0", "GOVREPORTS_DATABASE_RETRY_SECONDS": "1",
            # Every portal of the fleet is on 127.0.0.1; a national crawl has a host each.
            "CONCURRENT_REQUESTS_PER_DOMAIN": "8"}
# What the fetch log must say of each fault (outcome, reasons accepted: the exception names
# differ between Scrapy releases, the meaning does not).
RECORDED = {
    "http_500": ("failed", {"http_500"}),
    "timeout": ("failed", {"DownloadTimeoutError", "TimeoutError", "TCPTimedOutError"}),
    "reset": ("failed", {"DownloadFailedError", "ConnectionLost", "ResponseNeverReceived",
                         "ConnectionResetError", "ResponseFailed", "ConnectionDone"}),
    "truncated": ("failed", {"ResponseDataLossError", "ResponseFailed", "_DataLoss"}),
    "too_large": ("failed", {"DownloadCancelledError", "CancelledError"}),
    "too_large_stream": ("failed", {"DownloadCancelledError", "CancelledError"}),
    "challenge": ("blocked", {"rs_ts"}),
    "redirect_loop": ("failed", {"redirect_loop"}),
    "redirect_chain": ("failed", {"ignored"}),
    "redirect_offsite": ("offsite", {"offsite_redirect"}),
}


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql, args).fetchall()


# --- a fleet of faulty pages ----------------------------------------------------------------

FAULTY = Plan(portals=6, reports=10, attachment_every=3, faults={k: 0.06 for k in FAULTS},
              attachment_faults={"http_500": 0.3, "too_large": 0.3}, hang=DOWNLOAD_TIMEOUT + 1.5,
              large=MAXSIZE + 500_000, seed=7)
EXPECTED = FAULTY.expected()


def test_the_plan_has_every_fault():
    # Otherwise the crawl below would prove nothing about the missing ones.
    assert set(FAULTS) <= {e["fault"] for e in EXPECTED.values()}
    assert {"http_500", "too_large"} <= {e["attachment_fault"] for e in EXPECTED.values()}


@pytest.fixture(scope="module")
def faulty_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    with GeneratedPortal(FAULTY) as portal:
        (tmp / "registry.csv").write_text(FAULTY.registry_csv(portal.base), encoding="utf-8")
        db = tmp / "crawl.sqlite"
        run = run_crawl(tmp, {"registry": str(tmp / "registry.csv")},
                        settings={**SETTINGS, "GOVREPORTS_DEADLETTER": str(tmp / "dl.jsonl")},
                        db_url=f"sqlite:///{db}", timeout=240)
        hits = portal.hits()
        return portal.base, run, db, hits


def _url(base: str, path: str) -> str:
    return base + path


def test_the_crawl_ends_normally(faulty_crawl):
    base, run, db, hits = faulty_crawl
    assert run.returncode == 0, run.log[-3000:]
    assert run.stats.get("finish_reason") == "finished"
    assert "Traceback" not in run.log and "Unhandled error" not in run.log, run.log[-5000:]
    assert run.stat("govreports/deadlettered") == 0


def test_every_reachable_report_is_stored_exactly_once(faulty_crawl):
    base, run, db, hits = faulty_crawl
    reachable = {_url(base, p) for p, e in EXPECTED.items() if e["outcome"] == "stored"}
    stored = [url for (url,) in _rows(db, "SELECT url FROM reports")]
    assert len(stored) == len(set(stored))
    assert set(stored) == reachable
    per_report = _rows(db, "SELECT r.url, COUNT(v.id) FROM reports r JOIN report_versions v "
                           "ON v.report_id = r.id GROUP BY r.url")
    assert {n for _, n in per_report} == {1}
    # A report kept, even where its attachment could not be fetched.
    assert any(e["attachment_fault"] for e in EXPECTED.values() if e["outcome"] == "stored")


def test_a_page_in_gbk_declared_utf8_is_stored_decoded(faulty_crawl):
    base, run, db, hits = faulty_crawl
    wrong = [(p, e) for p, e in EXPECTED.items() if e["fault"] == "wrong_charset"]
    assert wrong
    for path, e in wrong:
        ((encoding, text),) = _rows(
            db, "SELECT v.encoding, group_concat(s.text, '') FROM reports r JOIN report_versions v "
                "ON v.report_id = r.id JOIN sections s ON s.version_id = v.id WHERE r.url = ? "
                "GROUP BY v.id", _url(base, path))
        assert encoding == "gb18030"
        county = f"模拟{int(e['portal']) - 600000}县"
        assert county in text and "\ufffd" not in text


def test_a_page_that_failed_once_is_fetched_again(faulty_crawl):
    base, run, db, hits = faulty_crawl
    flaky = [p for p, e in EXPECTED.items() if e["fault"] == "flaky_500"]
    assert flaky and all(hits.get(p, 0) == 2 for p in flaky)


def test_every_failure_is_recorded_with_its_reason(faulty_crawl):
    base, run, db, hits = faulty_crawl
    seen: Counter = Counter()
    for path, e in EXPECTED.items():
        url = _url(base, path)
        rows = _rows(db, "SELECT outcome, reason, role, detail FROM fetch_log WHERE url = ? "
                         "OR url LIKE ?", url, url + "?%")
        report_rows = [r for r in rows if r[2] == "report"]
        if e["outcome"] == "stored":
            assert report_rows == [], (path, e["fault"], report_rows)
            continue
        outcome, reasons = RECORDED[e["fault"]]
        assert report_rows, f"{e['fault']} at {path}: no fetch_log row"
        assert {(r[0], r[1]) for r in report_rows} <= {(outcome, r) for r in reasons}, \
            (e["fault"], report_rows)
        seen[e["fault"]] += 1
    assert set(seen) == set(RECORDED)
    chains = _rows(db, "SELECT detail FROM fetch_log WHERE reason = 'ignored'")
    assert chains and all("max redirections" in d for (d,) in chains)


def test_attachment_failures_are_recorded_and_the_report_kept(faulty_crawl):
    base, run, db, hits = faulty_crawl
    for e in EXPECTED.values():
        if not e["attachment"] or e["outcome"] != "stored":
            continue
        att = _url(base, e["attachment"])
        rows = _rows(db, "SELECT outcome, reason FROM fetch_log WHERE url = ? AND role = 'attachment'", att)
        kept = _rows(db, "SELECT COUNT(*) FROM raw_pages WHERE url = ? AND role = 'attachment'", att)[0][0]
        if e["attachment_fault"] == "http_500":
            assert rows == [("failed", "http_500")] and kept == 0, (att, rows)
        elif e["attachment_fault"] == "too_large":
            assert len(rows) == 1 and rows[0][1] in RECORDED["too_large"][1] and kept == 0, (att, rows)
        else:
            assert rows == [] and kept == 1, att


def test_retries_and_redirects_are_bounded(faulty_crawl):
    base, run, db, hits = faulty_crawl
    for path, e in EXPECTED.items():
        if e["fault"] in ("http_500", "timeout", "truncated"):
            assert hits.get(path, 0) == RETRY_TIMES + 1, (e["fault"], path, hits.get(path))
        elif e["fault"] == "reset":
            # Twisted's connection pool sends a request again once by itself when a reused
            # connection dies before any answer: at most twice per Scrapy attempt.
            assert RETRY_TIMES + 1 <= hits.get(path, 0) <= 2 * (RETRY_TIMES + 1), (path, hits.get(path))
        elif e["fault"] in ("challenge", "too_large", "redirect_offsite"):
            assert hits.get(path, 0) == 1, (e["fault"], path, hits.get(path))
        elif e["fault"] == "redirect_loop":
            # The page and its second address (the server counts paths, not queries).
            assert hits.get(path, 0) == 2, (e["fault"], path, hits.get(path))
        elif e["fault"] == "redirect_chain":
            # The first address and the redirect chain: Scrapy follows at most 20 redirects.
            assert hits.get(path, 0) <= 21
    assert not any(k.startswith("/") and "127.0.0.2" in k for k in hits)


# --- kill -9 and resume -----------------------------------------------------------------------

STEADY = Plan(portals=8, reports=10, attachment_every=4, delay=0.15, seed=11)


SNAPSHOT_SQL = {
    "versions": "SELECT r.url, v.content_sha256, v.title, v.template, v.is_current FROM reports r "
                "JOIN report_versions v ON v.report_id = r.id",
    "raw": "SELECT r.url, p.role, p.url, p.sha256 FROM reports r JOIN report_versions v "
           "ON v.report_id = r.id JOIN raw_pages p ON p.version_id = v.id",
    "cells": "SELECT r.url, c.table_key, c.row_key, c.col_key, c.value_exact, c.raw FROM reports r "
             "JOIN report_versions v ON v.report_id = r.id JOIN cells c ON c.version_id = v.id",
    "checks": "SELECT r.url, c.check_key, c.status FROM reports r JOIN report_versions v "
              "ON v.report_id = r.id JOIN checks c ON c.version_id = v.id",
    "warnings": "SELECT r.url, w.code, w.location FROM reports r JOIN report_versions v "
                "ON v.report_id = r.id JOIN warnings w ON w.version_id = v.id",
}


def _crawl_cmd(registry: Path, settings: dict[str, str]) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports", "-a", f"registry={registry}"]
    for k, v in {**FAST, **SETTINGS, **settings}.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def _env(db_url: str) -> dict[str, str]:
    return {**os.environ, "GOVREPORTS_DATABASE_URL": db_url}


def snapshot(db: Path) -> dict[str, set]:
    """What a crawl stored, by URL: versions, raw bytes, cells, checks, warnings."""
    out = {}
    for name, sql in SNAPSHOT_SQL.items():
        rows = _rows(db, sql)
        assert len(rows) == len(set(rows)), f"{name}: a row stored twice"
        out[name] = set(rows)
    return out


def _relative(snap: dict[str, set], base: str) -> dict[str, set]:
    """The snapshot with the server's address taken out (each crawl has its own port)."""
    return {k: {tuple(x.replace(base, "") if isinstance(x, str) else x for x in row) for row in rows}
            for k, rows in snap.items()}


@pytest.fixture(scope="module")
def steady_portal():
    with GeneratedPortal(STEADY) as portal:
        yield portal


@pytest.fixture(scope="module")
def undisturbed(steady_portal, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("undisturbed")
    registry = tmp / "registry.csv"
    registry.write_text(STEADY.registry_csv(steady_portal.base), encoding="utf-8")
    db = tmp / "db.sqlite"
    run = run_crawl(tmp, {"registry": str(registry)}, settings=SETTINGS, db_url=f"sqlite:///{db}",
                    timeout=240)
    assert run.returncode == 0, run.log[-3000:]
    snap = snapshot(db)
    assert len({row[0] for row in snap["versions"]}) == STEADY.portals * STEADY.reports
    return _relative(snap, steady_portal.base)


def _wait_for(predicate, proc: subprocess.Popen, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"the crawl ended before {what}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no {what} within {timeout} s")
        time.sleep(0.05)


def _stored(db: Path) -> int:
    try:
        return _rows(db, "SELECT COUNT(*) FROM reports")[0][0]
    except sqlite3.Error:  # not created yet, or locked for a moment
        return 0


def _kill_halfway(registry: Path, db: Path, settings: dict[str, str], log_path: Path,
                  at: int = STEADY.portals * STEADY.reports // 4) -> None:
    """A crawl killed with SIGKILL once `at` reports are stored (a quarter of the fleet's)."""
    total = STEADY.portals * STEADY.reports
    with open(log_path, "w") as log:
        proc = subprocess.Popen(_crawl_cmd(registry, settings), cwd=ROOT, env=_env(f"sqlite:///{db}"),
                                stdout=log, stderr=subprocess.STDOUT)
        _wait_for(lambda: _stored(db) >= at, proc, 120, "report stored")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert _stored(db) < total, "the crawl was over before it was killed"


def test_kill_9_and_resume_from_jobdir_stores_what_an_undisturbed_crawl_stores(
        steady_portal, undisturbed, tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_text(STEADY.registry_csv(steady_portal.base), encoding="utf-8")
    db = tmp_path / "db.sqlite"
    settings = {"JOBDIR": str(tmp_path / "job"), "GOVREPORTS_SUMMARY_FILE": str(tmp_path / "s.json"),
                "GOVREPORTS_DEADLETTER": str(tmp_path / "dl.jsonl")}
    _kill_halfway(registry, db, settings, tmp_path / "killed.log")
    resumed = run_crawl(tmp_path, {"registry": str(registry)}, settings={**SETTINGS, **settings},
                        db_url=f"sqlite:///{db}", timeout=240, name="resumed")
    assert resumed.returncode == 0, resumed.log[-3000:]
    assert "Traceback" not in resumed.log and "exception was never retrieved" not in resumed.log
    assert _relative(snapshot(db), steady_portal.base) == undisturbed
    assert not (tmp_path / "dl.jsonl").exists()


def test_after_a_kill_without_jobdir_the_next_run_walks_every_list_again(
        steady_portal, undisturbed, tmp_path):
    # No JOBDIR: the next scheduled run starts afresh. Lists whose walk the killed run began
    # may have a first page of stored reports and unfetched ones further on; the next run must
    # page through them anyway, and only once they were walked to the end may a run stop early.
    registry = tmp_path / "registry.csv"
    registry.write_text(STEADY.registry_csv(steady_portal.base), encoding="utf-8")
    db = tmp_path / "db.sqlite"
    settings = {"GOVREPORTS_SUMMARY_FILE": str(tmp_path / "s.json"),
                "GOVREPORTS_DEADLETTER": str(tmp_path / "dl.jsonl")}
    # Killed once the reports of every first page may be stored (they come before later list
    # pages: higher priority), so some lists have a first page of stored reports only.
    _kill_halfway(registry, db, settings, tmp_path / "killed.log",
                  at=STEADY.portals * STEADY.per_page + 2)
    walks = _rows(db, "SELECT COUNT(*), COUNT(finished_at) FROM column_walks")[0]
    assert walks[0] > 0 and walks[1] == 0
    stored = {url.replace(steady_portal.base, "") for (url,) in _rows(db, "SELECT url FROM reports")}
    first_page_only = [i for i in range(STEADY.portals)
                       if all(STEADY.report_path(i, j) in stored for j in range(STEADY.per_page))
                       and not all(STEADY.report_path(i, j) in stored for j in range(STEADY.reports))]
    assert first_page_only, "no list was cut after a first page of stored reports"
    after = run_crawl(tmp_path, {"registry": str(registry)}, settings={**SETTINGS, **settings},
                      db_url=f"sqlite:///{db}", timeout=240, name="after")
    assert after.returncode == 0, after.log[-3000:]
    assert after.stat("govreports/list_pages") == STEADY.portals * STEADY.list_pages()
    assert _relative(snapshot(db), steady_portal.base) == undisturbed
    again = run_crawl(tmp_path, {"registry": str(registry)}, settings={**SETTINGS, **settings},
                      db_url=f"sqlite:///{db}", timeout=240, name="again")
    assert again.returncode == 0, again.log[-3000:]
    assert again.stat("govreports/list_pages") == again.stat("govreports/paging_stopped") == STEADY.portals
    assert again.stat("govreports/reports") == 0


def _journal(jobdir: Path, in_progress: set):
    """A JournalScheduler opened on `jobdir`, with an engine whose in-progress set is given."""
    from types import SimpleNamespace

    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from spiders.crawling.jobdir import JournalScheduler
    crawler = get_crawler(Spider, {"JOBDIR": str(jobdir)})
    crawler.engine = SimpleNamespace(_slot=SimpleNamespace(inprogress=in_progress, nextcall=None))
    crawler.spider = Spider("journal")
    scheduler = JournalScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def test_the_journal_keeps_taken_requests_until_the_engine_is_done_with_them(tmp_path):
    from scrapy import Request
    active: set = set()
    run = _journal(tmp_path, active)
    for path, priority in (("a", 0), ("b", 0), ("c", 5)):
        assert run.enqueue_request(Request(f"http://x.gov.cn/{path}", priority=priority))
    assert not run.enqueue_request(Request("http://x.gov.cn/a"))           # a duplicate
    assert run.enqueue_request(Request("http://x.gov.cn/a", dont_filter=True))
    first = run.next_request()
    assert first.url == "http://x.gov.cn/c"                                 # priority first
    active.add(first)
    second = run.next_request()
    assert second.url == "http://x.gov.cn/a"                                # then last in, first out
    active.add(second)
    active.discard(first)                                                   # c is done, a is not
    third = run.next_request()
    assert third.url == "http://x.gov.cn/b"
    # Killed here: nothing is closed, the file is all the next run has.
    again = _journal(tmp_path, set())
    assert sorted(r.url for r in iter(again.next_request, None)) == [
        "http://x.gov.cn/a", "http://x.gov.cn/a", "http://x.gov.cn/b"]
    # What was queued once is still filtered; what was done too.
    assert not again.enqueue_request(Request("http://x.gov.cn/b"))
    assert not again.enqueue_request(Request("http://x.gov.cn/c"))
    again.close("finished")
    # A finished crawl forgets its fingerprints: the next run with this JOBDIR starts afresh.
    fresh = _journal(tmp_path, set())
    assert not fresh.has_pending_requests()
    assert fresh.enqueue_request(Request("http://x.gov.cn/c"))
    fresh.close("shutdown")


def test_jobdir_crawls_use_the_journal_and_distributed_ones_keep_their_scheduler():
    from scrapy.settings import Settings

    from spiders.crawling.jobdir import JobdirAddon
    for jobdir, chosen, expected in ((None, None, None),
                                     ("job", None, "spiders.crawling.jobdir.JournalScheduler"),
                                     ("job", "spiders.crawling.redis_scheduler.DistributedScheduler",
                                      "spiders.crawling.redis_scheduler.DistributedScheduler")):
        settings = Settings({"JOBDIR": jobdir})
        if chosen:
            settings.set("SCHEDULER", chosen, priority="addon")
        JobdirAddon().update_settings(settings)
        assert settings.get("SCHEDULER") == (expected or "scrapy.core.scheduler.Scheduler")


# --- the database goes away -------------------------------------------------------------------



@pytest.fixture
def pg_role():
    """A schema and a login role of its own on the test PostgreSQL server: (url, admin engine,
    role name); dropped afterwards."""
    from sqlalchemy import create_engine, text
    from tests.databases import PG_URL as PG_ADMIN, require_pg
    require_pg()
    name = f"govreports_fault_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
        conn.execute(text(f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"'))
    head, _, dbname = PG_ADMIN.rpartition("/")
    url = f"postgresql+psycopg://{name}@127.0.0.1:5432/{dbname}?options=-csearch_path%3D{name}"
    try:
        yield url, admin, name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{name}" LOGIN'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                         {"n": name})
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE "{name}"'))
        admin.dispose()


def _pg_count(admin, schema: str) -> int:
    from sqlalchemy import text
    try:
        with admin.connect() as conn:
            return conn.execute(text(f'SELECT COUNT(*) FROM "{schema}".reports')).scalar()
    except Exception:  # the table is not there yet
        return 0


def _pg_snapshot(admin, schema: str, base: str) -> dict[str, set]:
    """snapshot() of a PostgreSQL schema, in the same shapes (booleans as SQLite's 0/1)."""
    from sqlalchemy import text
    out = {}
    with admin.connect() as conn:
        conn.execute(text(f'SET search_path TO "{schema}"'))
        for name, sql in SNAPSHOT_SQL.items():
            rows = [tuple(int(x) if isinstance(x, bool) else x for x in r) for r in conn.execute(text(sql))]
            assert len(rows) == len(set(rows)), f"{name}: a row stored twice"
            out[name] = set(rows)
    return _relative(out, base)




def test_a_database_that_goes_away_loses_nothing(steady_portal, undisturbed, pg_role, tmp_path):
    from sqlalchemy import text
    url, admin, role = pg_role
    registry = tmp_path / "registry.csv"
    registry.write_text(STEADY.registry_csv(steady_portal.base), encoding="utf-8")
    dead = tmp_path / "dl.jsonl"
    stats = tmp_path / "stats.json"
    settings = {"GOVREPORTS_DEADLETTER": str(dead), "GOVREPORTS_STATS_FILE": str(stats),
                "GOVREPORTS_SUMMARY_FILE": str(tmp_path / "s.json")}
    total = STEADY.portals * STEADY.reports
    with open(tmp_path / "crawl.log", "w") as log:
        proc = subprocess.Popen(_crawl_cmd(registry, settings), cwd=ROOT, env=_env(url),
                                stdout=log, stderr=subprocess.STDOUT)
        _wait_for(lambda: _pg_count(admin, role) >= total // 4, proc, 120, "report stored")
        # The database goes away: no new connection for the role, and its open ones are cut.
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" NOLOGIN'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                         {"n": role})
        try:
            proc.wait(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("the crawl did not end without its database")
    crawl_log = (tmp_path / "crawl.log").read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, crawl_log[-3000:]
    assert "Traceback" not in crawl_log, crawl_log[-5000:]
    stored_before = _pg_count(admin, role)
    assert stored_before < total, "the database never went away during the crawl"
    lines = dead.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= total - stored_before

    with admin.connect() as conn:
        conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))
    replay = subprocess.run([sys.executable, "-m", "govreports", "replay", str(dead), "--db", url,
                             "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]
    assert _pg_snapshot(admin, role, steady_portal.base) == undisturbed
