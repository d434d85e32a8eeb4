"""The commands a scheduler runs: `crawl` (the crawl with an exit code that means something),
`seed` and `crawl-status` (distributed mode).

    python -m govreports crawl [-a NAME=VALUE …] [-s NAME=VALUE …] [--distributed] [--summary FILE]
    python -m govreports seed [--redis URL] [--prefix P] [--province P | --code C] [--registry F]
                              [--fresh]
    python -m govreports crawl-status [--redis URL] [--prefix P]

`crawl` runs `scrapy crawl annual_reports` with the arguments given, in the caller's folder (the
project's settings and spiders are found through SCRAPY_SETTINGS_MODULE and PYTHONPATH), then
reads the summary the crawl wrote (govreports.monitor) and exits with its code: 0 fine, 3 nothing
stored, 4 block rate jumped, 6 the crawl did not finish, 5 no summary from this run (the crawl
died), or Scrapy's own non-zero code. `--dry-run` checks the project loads (`scrapy list`) and
prints the command without crawling: what the scheduling examples in deploy/ are tested with.

`seed` queues the registry's start requests for a distributed crawl (a worker does it itself when
nobody did); it runs the spider in seeding mode, so the requests are exactly a worker's.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Optional

from govreports import monitor

ROOT = Path(__file__).resolve().parents[1]
SPIDER = "annual_reports"


def _scrapy_env() -> dict[str, str]:
    # The project is found from any folder, so relative paths in arguments mean what the caller
    # means by them, as with any other command.
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="govreports.settings")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _pairs(values: Optional[list[str]], flag: str) -> list[tuple[str, str]]:
    out = []
    for v in values or ():
        name, sep, value = v.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: {flag} {v!r}: expected NAME=VALUE")
        out.append((name, value))
    return out


def _setting(settings: list[tuple[str, str]], name: str) -> Optional[str]:
    found = [v for k, v in settings if k == name]
    return found[-1] if found else None


def scrapy_command(args: list[tuple[str, str]], settings: list[tuple[str, str]]) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", SPIDER]
    for k, v in args:
        cmd += ["-a", f"{k}={v}"]
    for k, v in settings:
        cmd += ["-s", f"{k}={v}"]
    return cmd


def project_loads() -> tuple[bool, str]:
    """`scrapy list` from the project: the settings import and the spider is there."""
    proc = subprocess.run([sys.executable, "-m", "scrapy", "list"], env=_scrapy_env(),
                          capture_output=True, text=True, timeout=120)
    ok = proc.returncode == 0 and SPIDER in proc.stdout.split()
    return ok, (proc.stdout + proc.stderr).strip()


# --- crawl ----------------------------------------------------------------------------------

def cmd_crawl(args: argparse.Namespace) -> int:
    spider_args = _pairs(args.arg, "-a")
    settings = _pairs(args.set, "-s")
    summary = args.summary or _setting(settings, "GOVREPORTS_SUMMARY_FILE")
    if not summary:
        from govreports import settings as defaults
        summary = defaults.GOVREPORTS_SUMMARY_FILE
    summary_path = Path(summary).resolve()
    run_id = uuid.uuid4().hex
    settings = [(k, v) for k, v in settings if k != "GOVREPORTS_SUMMARY_FILE"]
    settings += [("GOVREPORTS_SUMMARY_FILE", str(summary_path)), ("GOVREPORTS_RUN_ID", run_id)]
    if args.distributed:
        settings.append(("GOVREPORTS_DISTRIBUTED", "1"))
    cmd = scrapy_command(spider_args, settings)
    if args.dry_run:
        ok, out = project_loads()
        print(" ".join(cmd))
        if not ok:
            print(f"error: the project does not load (`scrapy list`):\n{out}", file=sys.stderr)
            return 2
        print(f"project loads; spiders: {out}", file=sys.stderr)
        return 0
    code = run_forwarding_signals(cmd, _scrapy_env())
    if code != 0:
        print(f"crawl failed: scrapy exited {code}", file=sys.stderr)
        return code
    return verdict(summary_path, run_id)


def run_forwarding_signals(cmd: list[str], env: dict[str, str]) -> int:
    """Run the crawl in its own session and pass SIGINT/SIGTERM on to it, once each time they
    come: Scrapy stops gracefully on the first and hard on the second, so the crawl must not get
    a terminal's Ctrl-C twice (directly and forwarded). The wrapper keeps running meanwhile, to
    read the summary of the stopped crawl."""
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def verdict(summary_path: Path, run_id: Optional[str]) -> int:
    """The exit code the summary of run `run_id` calls for, with a one-line report on stderr."""
    data = monitor.read_summary(summary_path)
    if data is None or (run_id and data.get("run_id") != run_id):
        print(f"crawl alert no_summary (exit code {monitor.EXIT_NO_SUMMARY}): this run wrote no "
              f"summary to {summary_path}", file=sys.stderr)
        return monitor.EXIT_NO_SUMMARY
    t = data["totals"]
    print(f"crawl {data['finish_reason']}: {t['portals']} portal(s), {t['stored']} report(s) "
          f"stored ({t['new']} new, {t['changed']} changed, {t['unchanged']} unchanged), "
          f"{t['known']} already stored, {t['blocked']} blocked; summary {summary_path}",
          file=sys.stderr)
    for a in data.get("alerts") or ():
        print(f"crawl alert {a['code']} (exit code {a['exit_code']}): {a['message']}",
              file=sys.stderr)
    return int(data.get("exit_code") or 0)


# --- distributed: seed and status -------------------------------------------------------------

def _redis_settings(args: argparse.Namespace) -> list[tuple[str, str]]:
    out = []
    if args.redis:
        out.append(("REDIS_URL", args.redis))
    if args.prefix:
        out.append(("GOVREPORTS_REDIS_PREFIX", args.prefix))
    return out


def _coordinator(settings: list[tuple[str, str]]):
    # The only in-process reach into the crawl's Scrapy side: the Redis connection must be made
    # from the project's settings and `-s` overrides exactly as a worker makes it (scrapy-redis's
    # rules), and the crawl's adapters are where that lives. Imported here so that the other
    # commands load without Scrapy.
    from spiders.crawling.distributed import coordinator_from_project
    return coordinator_from_project(settings, SPIDER)


def cmd_seed(args: argparse.Namespace) -> int:
    settings = _redis_settings(args) + _pairs(args.set, "-s")
    co = _coordinator(settings)
    if args.fresh:
        live = co.live_workers()
        if live:
            print(f"error: worker(s) {', '.join(live)} still crawling {co.keys.base}; stop them "
                  f"before --fresh", file=sys.stderr)
            return 1
        co.clear()
        print(f"cleared the crawl {co.keys.base}", file=sys.stderr)
    elif co.server.exists(co.keys.finished):
        # The operator asks for a crawl now: the hold only keeps late workers from restarting one.
        co.server.delete(co.keys.finished, co.keys.finished_counts)
    spider_args = _pairs(args.arg, "-a")
    for name in ("province", "code", "registry"):
        if getattr(args, name):
            spider_args.append((name, getattr(args, name)))
    with tempfile.TemporaryDirectory() as tmp:
        stats_file = Path(tmp) / "seed-stats.json"
        settings += [("GOVREPORTS_DISTRIBUTED", "1"), ("GOVREPORTS_SEED_ONLY", "1"),
                     ("GOVREPORTS_STATS_FILE", str(stats_file)), ("LOG_LEVEL", args.log_level)]
        proc = subprocess.run(scrapy_command(spider_args, settings), env=_scrapy_env())
        if proc.returncode != 0:
            print(f"seeding failed: scrapy exited {proc.returncode}", file=sys.stderr)
            return proc.returncode
        stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    n = int(stats.get("govreports/distributed/seeded") or 0)
    state = co.state()
    if n:
        print(f"seeded {co.keys.base} with {n} start request(s); {state['queued']} queued")
    else:
        print(f"not seeded: {co.keys.base} is seeded already ({state['seeded']}), "
              f"{state['queued']} queued; --fresh starts over")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    co = _coordinator(_redis_settings(args))
    print(json.dumps(co.state(), ensure_ascii=False, indent=1))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register crawl, seed and crawl-status on the `python -m govreports` parser (govreports.cli)."""
    cp = sub.add_parser("crawl", help="run the crawl and exit non-zero when its summary says so "
                                      "(nothing stored 3, block rate jump 4, no summary 5, not "
                                      "finished 6)")
    cp.add_argument("-a", dest="arg", action="append", metavar="NAME=VALUE",
                    help="spider argument, as for scrapy crawl (province=, code=, registry=, …)")
    cp.add_argument("-s", dest="set", action="append", metavar="NAME=VALUE",
                    help="Scrapy setting, as for scrapy crawl")
    cp.add_argument("--distributed", action="store_true",
                    help="distributed mode (GOVREPORTS_DISTRIBUTED=1): Redis queue, shared database")
    cp.add_argument("--summary", help="summary file (default: GOVREPORTS_SUMMARY_FILE, "
                                      "data/crawl-summary.json)")
    cp.add_argument("--dry-run", action="store_true",
                    help="check the project loads (scrapy list) and print the command; no crawl")
    cp.set_defaults(func=cmd_crawl)

    def redis_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--redis", help="Redis URL (default: REDIS_URL setting or environment, "
                                       "redis://127.0.0.1:6379/0)")
        p.add_argument("--prefix", help="key prefix (default: GOVREPORTS_REDIS_PREFIX, govreports)")

    sp = sub.add_parser("seed", help="queue the registry's start requests for distributed workers")
    redis_args(sp)
    sp.add_argument("--province", help="one province (name or 2-digit code)")
    sp.add_argument("--code", help="one county (6-digit code)")
    sp.add_argument("--registry", help="another registry file")
    sp.add_argument("-a", dest="arg", action="append", metavar="NAME=VALUE",
                    help="further spider argument")
    sp.add_argument("-s", dest="set", action="append", metavar="NAME=VALUE",
                    help="Scrapy setting")
    sp.add_argument("--fresh", action="store_true",
                    help="forget the crawl in Redis (queue, seen requests, seed) and start anew")
    sp.add_argument("--log-level", default="WARNING", help="of the seeding run (default WARNING)")
    sp.set_defaults(func=cmd_seed)

    stp = sub.add_parser("crawl-status", help="a distributed crawl's state in Redis, as JSON")
    redis_args(stp)
    stp.set_defaults(func=cmd_status)
