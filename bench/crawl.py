"""Crawl speed and memory: a simulated national crawl on 127.0.0.1, the real spider with all its
pipelines and the SQLite store beside a bare Scrapy spider that fetches the same pages and does
nothing with them, in one run.

The portals are generated (tests.generated_portal, a server process of its own): `--portals`
TRS-style 年报 columns of `--reports` reports each, two list pages per column, real-sized report
pages (the Pingtan 2019/2021 pages and a GBK page, 130-360 kB) and a PDF attachment on every fifth
report. Politeness is off for both crawls alike: no delay, no AutoThrottle, and, since every
portal shares the one host 127.0.0.1, 16 requests in flight on it (a national crawl has 16 hosts
with one each). robots.txt is obeyed by both.

Each crawl runs in a subprocess of its own (a clean heap, so its RSS is its own). The bare crawl
runs before and after the real one and its rate is their mean (`--bare-runs 1`: before only):
this machine's speed drifts by a third over minutes, and one bare crawl beside one real crawl
made the ratio drift with it. Printed: pages/s of both crawls (responses received per second of
crawl) and their ratio (target: at least 0.5); the CPU-seconds of each crawl's process by
thread, of the parse workers and of the server, and from them the ratio the machine's cores
would allow at best (the bare crawl's seconds x cores / the real crawl's CPU-seconds); the RSS
when the real crawl had received 2k, 10k and 20k pages (it must not grow with the pages crawled)
and where the real crawl spent its time (cProfile of the whole crawl process, top functions,
with `--profile`). Then one line of JSON.

    python bench/crawl.py [--portals 1500] [--reports 10] [--profile]

The default fleet is 1500 portals x 10 reports: ~21,000 pages, the 20k checkpoint included. The
real crawl of it takes several minutes on two cores.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.generated_portal import GeneratedPortal, Plan  # noqa: E402

CHECKPOINTS = (2000, 10_000, 20_000)
TARGET_RATIO = 0.5
# The same fetching settings for both crawls.
FETCH = {
    "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "ROBOTSTXT_OBEY": True, "RETRY_ENABLED": True,
    "DOWNLOAD_TIMEOUT": 60, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO",
    "LOGSTATS_INTERVAL": 60.0, "COOKIES_ENABLED": True,
}


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stat_cpu_s(path: str) -> float:
    """User + system CPU seconds of a /proc stat file (Linux)."""
    with open(path) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """CPU seconds a process has used so far: the server's share of a crawl."""
    return _stat_cpu_s(f"/proc/{pid}/stat")


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds of each live thread of this process, by its Python name."""
    import threading
    out: dict[str, float] = {}
    for t in threading.enumerate():
        try:
            cpu = _stat_cpu_s(f"/proc/self/task/{t.native_id}/stat")
        except (OSError, TypeError):
            continue
        name = "reactor" if t is threading.main_thread() else t.name.rstrip("-0123456789")
        out[name] = round(out.get(name, 0) + cpu, 1)
    return out


class Probe:
    """Extension: counts responses, notes RSS and time at the checkpoints, writes it all out at
    the close (setting BENCH_PROBE_FILE)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.out = crawler.settings.get("BENCH_PROBE_FILE")
        self.checkpoints = list(crawler.settings.getlist("BENCH_CHECKPOINTS") or CHECKPOINTS)
        self.pages = 0
        self.t0 = 0.0
        self.marks: list[dict[str, Any]] = []
        self.expected = crawler.settings.getint("BENCH_PAGES") or float("inf")
        self.threads: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Probe":
        from scrapy import signals
        probe = cls(crawler)
        crawler.signals.connect(probe.opened, signal=signals.spider_opened)
        crawler.signals.connect(probe.response, signal=signals.response_received)
        crawler.signals.connect(probe.item, signal=signals.item_scraped)
        crawler.signals.connect(probe.closed, signal=signals.spider_closed)
        return probe

    def opened(self, spider: Any) -> None:
        self.t0 = time.perf_counter()
        self.marks.append(self._mark())

    def _mark(self) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats()
        return {"pages": self.pages, "seconds": round(time.perf_counter() - self.t0, 2),
                "rss_mb": round(rss_mb(), 1), "peak_rss_mb": round(peak_rss_mb(), 1),
                "items": stats.get("item_scraped_count", 0),
                "scheduled": stats.get("scheduler/enqueued", 0)}

    def response(self, response: Any, request: Any, spider: Any) -> None:
        self.pages += 1
        if self.checkpoints and self.pages >= self.checkpoints[0]:
            self.checkpoints.pop(0)
            self.marks.append(self._mark())

    def item(self, item: Any, response: Any, spider: Any) -> None:
        if self.pages >= self.expected:
            # Read while the store's and the pool's threads still live (they end before `closed`);
            # the last item's reading counts.
            self.threads = thread_cpu_s()

    def closed(self, spider: Any, reason: str) -> None:
        end = self._mark()
        stats = {k: v for k, v in self.crawler.stats.get_stats().items()
                 if isinstance(v, (int, float)) and not k.startswith("govreports/portal/")}
        own = resource.getrusage(resource.RUSAGE_SELF)
        data = {"pages": self.pages, "seconds": end["seconds"], "finish_reason": reason,
                # CPU seconds of the crawl's process (all its threads), for where the time goes.
                "cpu_s": round(own.ru_utime + own.ru_stime, 1),
                # and of its parse workers (ended by now: the pipelines close before this signal).
                "workers_cpu_s": round(sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
                                           for f in ("ru_utime", "ru_stime")), 1),
                "pages_per_s": round(self.pages / end["seconds"], 1) if end["seconds"] else None,
                # by thread at the last item (reactor: Scrapy and the spider; govreports-store:
                # the SQL pipeline's saves; Thread, QueueFeederThread: the parse pool's own).
                "threads_cpu_s": self.threads,
                "marks": self.marks + [end], "stats": stats}
        Path(self.out).write_text(json.dumps(data, default=str, indent=1), encoding="utf-8")


# --- the two crawls, each run as `python bench/crawl.py --worker …` --------------------------

def bare_spider_class():
    import scrapy

    class Bare(scrapy.Spider):
        """Fetches the given URLs and does nothing with them."""
        name = "bare"

        def __init__(self, urls_file: str, **kwargs: Any):
            super().__init__(**kwargs)
            self.urls_file = urls_file

        async def start(self):
            with open(self.urls_file, encoding="utf-8") as fh:
                for line in fh:
                    yield scrapy.Request(line.strip(), callback=self.parse)

        def parse(self, response: Any) -> None:
            return None

    return Bare


# --stages: the item pipelines the real crawl leaves out (what each stage costs); None: all.
STAGES = {"all": (), "parse": ("pipelines.sql.SqlPipeline",), "fetch": None}


def run_worker(kind: str, tmp: Path, out: Path, profile: bool, parse_processes: str = "auto",
               stages: str = "all") -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings
    from scrapy.utils.project import get_project_settings

    if kind == "real":
        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "govreports.settings")
        os.environ["GOVREPORTS_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite'}"
        os.environ["GOVREPORTS_SUMMARY_FILE"] = str(tmp / "crawl-summary.json")
        settings = get_project_settings()
        settings.set("GOVREPORTS_DEADLETTER", str(tmp / "deadletter.jsonl"))
        settings.set("GOVREPORTS_STATS_FILE", str(tmp / "real-stats.json"))
        settings.set("GOVREPORTS_PARSE_PROCESSES", parse_processes)
        off = STAGES[stages]
        settings.set("ITEM_PIPELINES", {k: v for k, v in settings.getdict("ITEM_PIPELINES").items()
                                        if off is not None and k not in off})
    else:
        settings = Settings()
        settings.set("USER_AGENT", "govreports-bench-bare")
    settings.setdict(FETCH)
    settings.set("LOG_FILE", str(tmp / f"{kind}.log"))
    settings.set("BENCH_PROBE_FILE", str(out))
    with open(tmp / "urls.txt", encoding="utf-8") as fh:
        settings.set("BENCH_PAGES", sum(1 for _ in fh) + 1)  # and robots.txt
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), Probe: 900})
    process = CrawlerProcess(settings)
    if kind == "real":
        crawler = process.create_crawler("annual_reports")
        process.crawl(crawler, registry=str(tmp / "registry.csv"))
    else:
        process.crawl(bare_spider_class(), urls_file=str(tmp / "urls.txt"))
    if profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        prof.enable()
        process.start()
        prof.disable()
        prof.dump_stats(str(out.with_suffix(".prof")))
        stats = pstats.Stats(str(out.with_suffix(".prof")))
        with open(out.with_suffix(".profile.txt"), "w") as fh:
            stats.stream = fh
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
    else:
        process.start()


def crawl(kind: str, tmp: Path, profile: bool, timeout: float, parse_processes: str = "auto",
          stages: str = "all") -> dict[str, Any]:
    out = tmp / f"{kind}-probe.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--tmp", str(tmp),
           "--parse-processes", str(parse_processes), "--stages", stages]
    if profile:
        cmd.append("--profile")
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not out.exists():
        log = (tmp / f"{kind}.log")
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
        raise RuntimeError(f"{kind} crawl failed ({proc.returncode}): {proc.stderr[-3000:]}\n{tail}")
    data = json.loads(out.read_text(encoding="utf-8"))
    data["wall_seconds"] = round(time.perf_counter() - t, 1)
    return data


def average_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The bare crawl as the mean of its runs (the same pages each time): seconds and
    CPU-seconds, and pages/s from the mean seconds; the last run's memory marks."""
    out = dict(runs[-1])
    seconds = sum(r["seconds"] for r in runs) / len(runs)
    out["pages_per_s"] = round(out["pages"] / seconds, 1)  # before rounding the seconds
    for key in ("seconds", "cpu_s", "server_cpu_s"):
        out[key] = round(sum(r[key] for r in runs) / len(runs), 2)
    return out


def stored_counts(db: Path) -> dict[str, int]:
    import sqlite3
    with sqlite3.connect(db) as con:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("reports", "report_versions", "raw_pages", "cells")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--portals", type=int, default=1500)
    ap.add_argument("--reports", type=int, default=10)
    ap.add_argument("--profile", action="store_true", help="cProfile the real crawl")
    ap.add_argument("--parse-processes", default="auto",
                    help="GOVREPORTS_PARSE_PROCESSES of the real crawl: the project's default "
                         "'auto' (the cores beyond the first), or N (0: parse in its thread)")
    ap.add_argument("--stages", choices=tuple(STAGES), default="all",
                    help="what the real crawl's items go through: all (parse and store, the "
                         "benchmark), parse (no store) or fetch (no pipelines): what each costs")
    ap.add_argument("--bare-runs", type=int, choices=(1, 2), default=2,
                    help="bare crawls: one before the real crawl and, with 2, one after it, "
                         "averaged (the machine's speed drifts over minutes)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds, per crawl")
    ap.add_argument("--worker", choices=("real", "bare"), help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        tmp = Path(args.tmp)
        run_worker(args.worker, tmp, tmp / f"{args.worker}-probe.json", args.profile, args.parse_processes,
                   args.stages)
        return

    plan = Plan(portals=args.portals, reports=args.reports)
    tmp = Path(tempfile.mkdtemp(prefix="govreports-bench-crawl-"))
    try:
        with GeneratedPortal(plan) as portal:
            (tmp / "registry.csv").write_text(plan.registry_csv(portal.base), encoding="utf-8")
            urls = list(plan.urls(portal.base))
            (tmp / "urls.txt").write_text("\n".join(urls[1:]) + "\n", encoding="utf-8")
            print(f"{plan.portals} portals x {plan.reports} reports: {len(urls)} pages at "
                  f"{portal.base}", flush=True)
            def bare_run() -> dict[str, Any]:
                server_cpu = process_cpu_s(portal.proc.pid)
                run = crawl("bare", tmp, False, args.timeout)
                run["server_cpu_s"] = round(process_cpu_s(portal.proc.pid) - server_cpu, 1)
                print(f"bare spider: {run['pages']} pages in {run['seconds']} s, "
                      f"{run['pages_per_s']} pages/s", flush=True)
                return run

            bare_runs = [bare_run()]
            server_cpu = process_cpu_s(portal.proc.pid)
            real = crawl("real", tmp, args.profile, args.timeout, args.parse_processes, args.stages)
            real["server_cpu_s"] = round(process_cpu_s(portal.proc.pid) - server_cpu, 1)
            if args.bare_runs > 1:
                # The machine's speed drifts over minutes: a bare crawl after the real one as well
                # as before, averaged, is the bare rate at the real crawl's time.
                bare_runs.append(bare_run())
            bare = average_runs(bare_runs)
            print(f"real spider: {real['pages']} pages in {real['seconds']} s, "
                  f"{real['pages_per_s']} pages/s; CPU s: crawl process {real['cpu_s']} "
                  f"(by thread: {real['threads_cpu_s']}), parse workers {real['workers_cpu_s']} "
                  f"(bare: {bare['cpu_s']}); the server's CPU s: {real['server_cpu_s']} "
                  f"(bare: {bare['server_cpu_s']})", flush=True)
        counts = stored_counts(tmp / "bench.sqlite") if args.stages == "all" else {}
        ratio = round(real["pages_per_s"] / bare["pages_per_s"], 3)
        runs = " and ".join(str(r["pages_per_s"]) for r in bare_runs)
        print(f"ratio real/bare: {ratio} (target >= {TARGET_RATIO}; bare pages/s "
              + (f"{runs} before and after, mean {bare['pages_per_s']})" if len(bare_runs) > 1
                 else f"{runs}, before only)"))
        # However well the work were spread, the real crawl needs its CPU-seconds over the cores
        # it has: the ratio it could reach on this machine at the cost each step has now.
        from pipelines.parse import usable_cores
        cores = usable_cores()
        total_cpu = real["cpu_s"] + real["workers_cpu_s"] + real["server_cpu_s"]
        ceiling = round(bare["seconds"] * cores / total_cpu, 3) if total_cpu else None
        print(f"CPU-bound ceiling of the ratio on {cores} cores: {ceiling} ({total_cpu:.1f} CPU-s of "
              f"crawl, parse workers and server; {TARGET_RATIO} needs at most "
              f"{bare['seconds'] * cores / TARGET_RATIO:.1f})")
        print(f"stored: {counts}; items {real['stats'].get('item_scraped_count')}, "
              f"dead-lettered {real['stats'].get('govreports/deadlettered', 0)}")
        print(f"{'pages':>7} {'seconds':>8} {'RSS MB':>7} {'peak MB':>8} {'items':>6} {'queued':>7}")
        for m in real["marks"]:
            print(f"{m['pages']:7d} {m['seconds']:8.1f} {m['rss_mb']:7.1f} {m['peak_rss_mb']:8.1f} "
                  f"{m['items']:6d} {m['scheduled']:7d}")
        if args.profile:
            print((tmp / "real-probe.profile.txt").read_text()[:6000])
        at = {str(m["pages"]): m["rss_mb"] for m in real["marks"][1:-1]}
        figures = {
            "bench": "crawl", "portals": plan.portals, "reports_per_portal": plan.reports,
            "parse_processes": args.parse_processes, "stages": args.stages,
            "pages_planned": len(urls), "bare_pages": bare["pages"], "real_pages": real["pages"],
            "bare_pages_per_s": bare["pages_per_s"], "real_pages_per_s": real["pages_per_s"],
            "bare_pages_per_s_runs": [r["pages_per_s"] for r in bare_runs],
            "bare_cpu_s": bare["cpu_s"], "real_cpu_s": real["cpu_s"], "workers_cpu_s": real["workers_cpu_s"],
            "ratio": ratio, "target_ratio": TARGET_RATIO, "cores": cores, "ceiling_ratio": ceiling,
            "reports_stored": counts.get("reports"), "cells_stored": counts.get("cells"),
            "real_threads_cpu_s": real["threads_cpu_s"],
            "bare_server_cpu_s": bare["server_cpu_s"], "real_server_cpu_s": real["server_cpu_s"],
            "rss_mb_at_pages": at, "peak_rss_mb": real["marks"][-1]["peak_rss_mb"],
            "bare_peak_rss_mb": bare["marks"][-1]["peak_rss_mb"],
        }
        print(json.dumps(figures))
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
