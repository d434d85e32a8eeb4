"""Distributed mode (govreports.distributed) against the real Redis and PostgreSQL.

First the Redis side alone (Coordinator: taking and finishing requests, dead workers, seeding
once, finishing a crawl), then real `scrapy crawl` workers in subprocesses on a generated fleet of
10 portals x 30 reports (govreports.mockfleet): two workers share a crawl and store every report
exactly once; then one worker is SIGKILLed and the other stopped midway, and two new workers
resume the crawl with nothing lost.

Each test gets its own Redis key prefix and PostgreSQL schema, both removed afterwards. Without a
Redis or PostgreSQL server the tests skip, except in CI (CI=1), where they fail.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, text

from govreports.distributed import Coordinator, WorkerIdInUse, check_shared_database
from govreports.mockfleet import FleetPortal, build_fleet, registry_csv
from spiders.annual_reports import AnnualReportsSpider
from spiders.crawling.distributed import DistributedAddon
from tests.databases import pg_schema
from tests.portal_fixtures import FAST, ROOT

REDIS_URL = os.environ.get("GOVREPORTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
COLUMNS, REPORTS = 10, 30
SPIDER = "annual_reports"


def _unavailable(what: str, problem: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} unreachable in CI: {problem}")
    pytest.skip(f"{what} unreachable: {problem}")


@pytest.fixture
def server():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {REDIS_URL}", str(exc))
    yield client
    client.close()


@pytest.fixture
def prefix(server):
    """A key prefix of this test alone; its keys are deleted afterwards."""
    p = f"govreports-test-{uuid.uuid4().hex[:10]}"
    yield p
    keys = list(server.scan_iter(match=f"{p}:*", count=1000))
    if keys:
        server.delete(*keys)


@pytest.fixture
def pg_url():
    with pg_schema() as url:
        yield url


def co(server, prefix, worker, timeout=2.0) -> Coordinator:
    return Coordinator(server, prefix, SPIDER, worker=worker, worker_timeout=timeout,
                       finished_hold=60)


class FakeStats:
    def __init__(self, values):
        self.values = values

    def get_stats(self):
        return dict(self.values)


# --- the Redis side ---------------------------------------------------------------------------

def test_a_taken_request_stays_in_flight_until_acknowledged(server, prefix):
    a = co(server, prefix, "a")
    a.register()
    server.execute_command("ZADD", a.keys.queue, 0, b"low")
    server.execute_command("ZADD", a.keys.queue, -5, b"high")   # score = -priority
    token, data = a.take()
    assert data == b"high"
    assert (a.queued(), a.in_flight()) == (1, 1)
    assert not a.quiet()
    a.take()
    assert a.queued() == 0 and not a.quiet()    # nothing queued, but two requests in flight
    a.ack([token])
    assert a.in_flight() == 1
    assert a.take() is None


def test_a_dead_workers_requests_go_back_only_when_its_heartbeat_expired(server, prefix):
    a, b = co(server, prefix, "a", timeout=1), co(server, prefix, "b", timeout=1)
    a.register()
    b.register()
    server.execute_command("ZADD", a.keys.queue, -5, b"r1")
    b.take()
    assert a.recover_dead() == 0                 # b is alive and busy
    assert not a.quiet()
    time.sleep(0.6)
    a.heartbeat()                                # a lives on; b sends no heartbeat any more
    assert a.recover_dead() == 0
    time.sleep(0.8)
    assert a.recover_dead() == 1
    assert server.zscore(a.keys.queue, b"r1") == -5    # with its priority
    assert not server.exists(b.keys.inflight("b"))
    assert b"b" not in server.smembers(a.keys.workers)
    assert not a.quiet()                         # queued again
    token, _ = a.take()
    a.ack([token])
    assert a.quiet()
    # b was only late, not dead: what it takes now is seen again at once.
    server.execute_command("ZADD", a.keys.queue, 0, b"r2")
    b.take()
    assert b"b" in server.smembers(a.keys.workers)
    assert not a.quiet()


def test_a_restarted_worker_id_takes_back_what_its_killed_run_held(server, prefix):
    first = co(server, prefix, "w", timeout=1)
    first.register()
    server.execute_command("ZADD", first.keys.queue, 0, b"r1")
    first.take()
    # Killed: the process is gone, its heartbeat has not expired yet.
    again = co(server, prefix, "w", timeout=1)
    assert again.register() == 1
    assert again.queued() == 1 and again.in_flight() == 0


def test_a_worker_id_alive_elsewhere_is_refused(server, prefix):
    co(server, prefix, "w", timeout=10).register()
    with pytest.raises(WorkerIdInUse, match="alive in another process"):
        co(server, prefix, "w", timeout=10).register(wait=0.3)


def test_two_workers_racing_seed_the_crawl_once(server, prefix):
    for round_ in range(10):
        p = f"{prefix}:{round_}"
        workers = [co(server, p, f"w{i}") for i in range(4)]
        barrier = threading.Barrier(len(workers))
        results = {}

        def seed(w):
            barrier.wait()
            results[w.worker] = w.seed([(0, f"{w.worker}-{i}".encode()) for i in range(5)])

        threads = [threading.Thread(target=seed, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values(), key=str) == [5, None, None, None]
        assert workers[0].queued() == 5
        server.delete(*server.scan_iter(match=f"{p}:*"))


def test_finishing_needs_a_seeded_quiet_crawl_and_holds_off_a_second_seed(server, prefix):
    a, b = co(server, prefix, "a"), co(server, prefix, "b")
    a.register()
    b.register()
    assert not a.finish()                        # never seeded: nothing to finish
    assert a.seed([(0, b"s1"), (0, b"s2")]) == 2
    assert b.seed([(0, b"s3")]) is None
    server.sadd(a.keys.dupefilter, "fp")
    assert not a.finish()                        # requests queued
    t1, _ = a.take()
    t2, _ = b.take()
    a.ack([t1])
    assert not a.finish()                        # b still holds one
    b.ack([t2])
    assert a.finish()
    for key in (a.keys.queue, a.keys.dupefilter, a.keys.seeded):
        assert not server.exists(key), key
    assert server.ttl(a.keys.finished) > 0
    assert b.seed([(0, b"s4")]) is None          # a late worker does not start it again
    assert not b.finish()


def test_counts_reach_redis_before_the_request_is_acknowledged(server, prefix):
    a = co(server, prefix, "a")
    a.register()
    a.stats = FakeStats({"govreports/summary/350102/found": 3, "govreports/stored_new/350102": 2,
                         "downloader/request_count": 7})
    server.execute_command("ZADD", a.keys.queue, 0, b"r")
    token, _ = a.take()
    a.ack([token])
    counts, finished = a.crawl_counts()
    assert counts == {"govreports/summary/350102/found": 3, "govreports/stored_new/350102": 2}
    assert not finished
    for value in (5, 5, 6, 6):
        a.stats.values["govreports/summary/350102/found"] = value
        a.flush()
        assert a.crawl_counts()[0]["govreports/summary/350102/found"] == value


# --- switching it on ----------------------------------------------------------------------------

def test_host_leases_hold_the_limit_for_every_worker_and_a_dead_ones_go_back(server, prefix):
    from govreports.distributed import Keys
    from govreports.hostleases import HostLeases
    keys = Keys(prefix, SPIDER)
    for worker in ("w1", "w2"):  # their heartbeats
        server.set(keys.alive(worker), "1", ex=60)
    w1, w2 = HostLeases(server, keys, 2, worker="w1"), HostLeases(server, keys, 2, worker="w2")
    first, second = w1.take("a.gov.cn"), w2.take("a.gov.cn")
    assert first and second and first != second
    assert w1.take("a.gov.cn") is None and w2.take("a.gov.cn") is None  # two for the crawl
    assert w1.take("b.gov.cn:8080")  # hosts are counted apart
    assert Coordinator(server, prefix, SPIDER).state()["host_leases"] == {"a.gov.cn": 2, "b.gov.cn:8080": 1}
    w1.give_back("a.gov.cn", first)
    assert w1.take("a.gov.cn") and w1.take("a.gov.cn") is None
    server.delete(keys.alive("w2"))  # w2 died: its lease goes back once another needs it
    assert w1.take("a.gov.cn") is not None and w1.held("a.gov.cn") == 2
    # And any lease lapses after its time, heartbeat or not.
    short = HostLeases(server, keys, 1, seconds=1, worker="w1")
    assert short.take("c.gov.cn") and short.take("c.gov.cn") is None
    time.sleep(1.1)
    assert short.take("c.gov.cn")


def test_default_is_one_process_with_scrapys_scheduler():
    s = Settings()
    s.setmodule("govreports.settings", priority="project")
    assert not s.getbool("GOVREPORTS_DISTRIBUTED")
    assert s["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert s["GOVREPORTS_DATABASE_URL"].startswith("sqlite:")


def test_the_setting_switches_the_scheduler_and_sqlite_is_refused(monkeypatch):
    monkeypatch.delenv("GOVREPORTS_DATABASE_URL", raising=False)
    base = {"ADDONS": {DistributedAddon: 0},
            "ITEM_PIPELINES": {"pipelines.sql.SqlPipeline": 800}}
    crawler = get_crawler(AnnualReportsSpider, dict(
        base, GOVREPORTS_DISTRIBUTED=True,
        GOVREPORTS_DATABASE_URL="postgresql+psycopg://u@db.example/govreports"))
    assert crawler.settings["SCHEDULER"] == "spiders.crawling.redis_scheduler.DistributedScheduler"
    assert crawler.settings.getbool("SCHEDULER_PERSIST")
    # The host-lease middleware, last before the download, in distributed mode only.
    from spiders.crawling.hostleases import HostLeaseMiddleware
    mws = crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert mws[HostLeaseMiddleware] == max(v for v in mws.values() if v is not None)
    off = get_crawler(AnnualReportsSpider, dict(base))
    assert off.settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert HostLeaseMiddleware not in off.settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    with pytest.raises(ValueError, match="shared database server"):
        get_crawler(AnnualReportsSpider, dict(base, GOVREPORTS_DISTRIBUTED=True,
                                              GOVREPORTS_DATABASE_URL="sqlite:///x.sqlite"))
    # Without the SQL pipeline nothing is stored, so nothing is refused.
    check_shared_database(Settings({"ITEM_PIPELINES": {}, "GOVREPORTS_DATABASE_URL": "sqlite://"}))


# --- real workers ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fleet_site(tmp_path_factory):
    return build_fleet(tmp_path_factory.mktemp("fleet"), columns=COLUMNS, reports=REPORTS)


class Crawl:
    """One distributed crawl of the fleet: its portal, registry, Redis prefix and database."""

    def __init__(self, tmp: Path, portal: FleetPortal, prefix: str, db_url: str):
        self.tmp, self.portal, self.prefix, self.db_url = tmp, portal, prefix, db_url
        self.registry = tmp / "registry.csv"
        self.registry.write_text(registry_csv(portal.site_dir, portal.base_url), encoding="utf-8")
        self.keys = Coordinator(redis.Redis.from_url(REDIS_URL), prefix, SPIDER).keys
        self.env = dict(os.environ, GOVREPORTS_DATABASE_URL=db_url)
        self.engine = create_engine(db_url)

    def settings(self) -> dict[str, str]:
        return {**FAST, "REDIS_URL": REDIS_URL, "GOVREPORTS_REDIS_PREFIX": self.prefix,
                # Fast enough for a test: idle close after 1 s, dead after 5 s (not less: on a
                # loaded machine a live worker's heartbeat may come late and its requests be
                # done twice, which the first test counts as a failure).
                "GOVREPORTS_MAX_IDLE": "1", "GOVREPORTS_POLL_INTERVAL": "0.5",
                "GOVREPORTS_WORKER_TIMEOUT": "5", "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
                "GOVREPORTS_PROGRESS_INTERVAL": "0"}

    def start(self, name: str, switch: str = "setting") -> subprocess.Popen:
        s = dict(self.settings(), GOVREPORTS_WORKER_ID=name,
                 GOVREPORTS_STATS_FILE=str(self.tmp / f"{name}-stats.json"),
                 GOVREPORTS_SUMMARY_FILE=str(self.tmp / f"{name}-summary.json"),
                 LOG_FILE=str(self.tmp / f"{name}.log"))
        cmd = [sys.executable, "-m", "scrapy", "crawl", SPIDER, "-a", f"registry={self.registry}"]
        if switch == "argument":
            cmd += ["-a", "distributed=1"]
        else:
            s["GOVREPORTS_DISTRIBUTED"] = "1"
        for k, v in s.items():
            cmd += ["-s", f"{k}={v}"]
        return subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def stats(self, name: str) -> dict:
        f = self.tmp / f"{name}-stats.json"
        return json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}

    def summary(self, name: str) -> dict:
        return json.loads((self.tmp / f"{name}-summary.json").read_text(encoding="utf-8"))

    def log(self, name: str) -> str:
        f = self.tmp / f"{name}.log"
        return f.read_text(encoding="utf-8", errors="replace")[-4000:] if f.exists() else ""

    def rows(self) -> tuple[int, int, int]:
        """(reports, distinct report URLs, report versions) stored so far."""
        try:
            with self.engine.connect() as c:
                return tuple(c.execute(text(
                    "SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(DISTINCT url) FROM "
                    "reports), (SELECT COUNT(*) FROM report_versions)")).one())
        except Exception:  # noqa: BLE001 - the schema is not there until a worker made it
            return (0, 0, 0)

    def urls(self) -> list[str]:
        with self.engine.connect() as c:
            return sorted(c.execute(text("SELECT url FROM reports")).scalars())

    def wait(self, procs: dict[str, subprocess.Popen], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for name, p in procs.items():
            try:
                p.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                for q in procs.values():
                    q.kill()
                pytest.fail(f"worker {name} did not close on its own:\n{self.log(name)}")
            assert p.returncode == 0, f"{name} exited {p.returncode}:\n{self.log(name)}"

    def assert_all_reports_stored_once(self) -> None:
        assert self.rows() == (COLUMNS * REPORTS,) * 3
        assert self.urls() == sorted(self.portal.report_urls())

    def assert_crawl_ended_cleanly(self, server) -> None:
        k = self.keys
        assert server.exists(k.finished)
        for key in (k.queue, k.dupefilter, k.seeded):
            assert not server.exists(key), key
        assert not list(server.scan_iter(match=k.base + "inflight:*"))
        assert not server.smembers(k.workers)


@pytest.fixture
def crawl(fleet_site, tmp_path, server, prefix, pg_url):
    with FleetPortal(fleet_site, delay=0.02) as portal:
        c = Crawl(tmp_path, portal, prefix, pg_url)
        yield c
        c.engine.dispose()


def test_two_workers_share_one_crawl_and_store_every_report_once(crawl, server):
    # The first to get there seeds; one is switched on by setting, one by spider argument.
    procs = {"w1": crawl.start("w1"), "w2": crawl.start("w2", switch="argument")}
    crawl.wait(procs)

    crawl.assert_all_reports_stored_once()
    crawl.assert_crawl_ended_cleanly(server)
    stats = {name: crawl.stats(name) for name in procs}
    for name, s in stats.items():
        assert s["finish_reason"] == "finished", crawl.log(name)
        assert s.get("govreports/reports", 0) > 0, f"{name} did no part of the work"
        assert not s.get("govreports/distributed/engine_view_missing"), name
    assert sorted(s.get("govreports/distributed/seeded", 0) for s in stats.values()) == [0, COLUMNS]
    # Nothing done twice: every report stored new once, every page fetched once.
    assert sum(s.get("govreports/stored_new", 0) for s in stats.values()) == COLUMNS * REPORTS
    assert sum(s.get("govreports/stored_unchanged", 0) for s in stats.values()) == 0
    assert all(crawl.portal.hits[u[len(crawl.portal.base_url):]] == 1
               for u in crawl.portal.report_urls())
    # Polite as one crawl: the per-host limit held for both workers together (their one host).
    limit = int(crawl.settings()["CONCURRENT_REQUESTS_PER_DOMAIN"])
    assert 1 < crawl.portal.max_in_flight <= limit
    assert not server.exists(crawl.keys.base + "host:" + crawl.portal.base_url.split("//")[1].rstrip("/"))
    # Each worker's summary has the crawl's totals (all workers) beside its own.
    for name in procs:
        summary = crawl.summary(name)
        assert summary["totals"]["new"] == COLUMNS * REPORTS
        assert summary["totals"]["found"] == COLUMNS * REPORTS
        assert summary["worker"]["new"] == stats[name]["govreports/stored_new"]
        assert summary["exit_code"] == 0 and summary["distributed"]["crawl_finished"]
        assert len(summary["portals"]) == COLUMNS
    assert sum(crawl.summary(n)["distributed"]["ended_crawl"] for n in procs) >= 1


def test_a_killed_worker_loses_nothing_and_a_stopped_crawl_resumes(crawl, server):
    seeded = subprocess.run([sys.executable, "-m", "govreports", "seed", "--redis", REDIS_URL,
                             "--prefix", crawl.prefix, "--registry", str(crawl.registry)],
                            cwd=ROOT, env=crawl.env, capture_output=True, text=True, timeout=60)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    assert f"with {COLUMNS} start request(s)" in seeded.stdout

    procs = {"w1": crawl.start("w1", switch="argument"), "w2": crawl.start("w2")}
    deadline = time.monotonic() + 60
    # Midway: a fifth of the reports stored and w2 holding requests in flight.
    while not (crawl.rows()[0] >= COLUMNS * REPORTS // 5
               and server.hlen(crawl.keys.inflight("w2")) > 0):
        assert time.monotonic() < deadline, crawl.log("w2")
        assert procs["w2"].poll() is None, "w2 ended before it could be killed"
        time.sleep(0.05)
    procs["w2"].send_signal(signal.SIGKILL)
    procs["w2"].wait()
    stored_at_kill = crawl.rows()[0]
    assert stored_at_kill < COLUMNS * REPORTS
    # And w1 is stopped the way an operator (or systemd) stops a crawl.
    procs["w1"].send_signal(signal.SIGINT)
    crawl.wait({"w1": procs["w1"]})
    assert crawl.stats("w1")["finish_reason"] == "shutdown"
    # No worker left; the crawl waits in Redis.
    assert server.exists(crawl.keys.seeded)
    assert server.zcard(crawl.keys.queue) + server.hlen(crawl.keys.inflight("w2")) > 0
    assert crawl.rows()[0] < COLUMNS * REPORTS

    resumed = {"w3": crawl.start("w3"), "w4": crawl.start("w4")}
    crawl.wait(resumed)

    crawl.assert_all_reports_stored_once()
    crawl.assert_crawl_ended_cleanly(server)
    stats = {name: crawl.stats(name) for name in ("w1", "w3", "w4")}
    assert all(s.get("govreports/distributed/seeded", 0) == 0 for s in stats.values())
    # What w2 held when it died was queued again by another worker.
    assert sum(s.get("govreports/distributed/recovered", 0) for s in stats.values()) >= 1
    for name in resumed:
        assert stats[name]["finish_reason"] == "finished"
    # Only requests w2 held when killed can have been done twice.
    repeated = sum(s.get("govreports/stored_unchanged", 0) for s in stats.values())
    assert repeated <= sum(s.get("govreports/distributed/recovered", 0) for s in stats.values())
