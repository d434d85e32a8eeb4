"""Crawl monitoring (govreports.monitor) and the crawl command's exit codes (govreports.jobs).

The verdict is tested on its own first, each alert both raised and not raised; then
`python -m govreports crawl` runs the real spider on small generated fleets (govreports.mockfleet)
into SQLite, and each exit condition is produced for real: a healthy crawl (0, with a summary per
portal and progress lines), a second crawl finding nothing new (0), a crawl that stored nothing
(3), a block rate that jumped since the previous crawl (4) and one that stayed high (0), a crawl
cut short (6), a crawl that wrote no summary (5) and one that could not start (Scrapy's 1).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govreports import monitor
from govreports.mockfleet import FleetPortal, build_fleet, registry_csv
from tests.portal_fixtures import FAST

ROOT = Path(__file__).resolve().parents[1]


# --- the verdict ------------------------------------------------------------------------------

def figures(**kw):
    base = {m: 0 for m in monitor.METRICS}
    base.update(kw)
    return base


@pytest.mark.parametrize("current,previous,reason,expected", [
    (figures(stored=5, responses=100, block_rate=0.0), None, "finished", []),
    (figures(stored=0, known=0, found=3), None, "finished", ["stored_nothing"]),
    # An incremental crawl that met only reports stored before is healthy.
    (figures(stored=0, known=40), None, "finished", []),
    (figures(stored=5, responses=100, block_rate=0.30),
     {"block_rate": 0.0, "responses": 100}, "finished", ["block_rate_jump"]),
    (figures(stored=5, responses=100, block_rate=0.30),
     {"block_rate": 0.25, "responses": 100}, "finished", []),            # below the threshold
    (figures(stored=5, responses=10, block_rate=0.90),
     {"block_rate": 0.0, "responses": 100}, "finished", []),             # too few answers
    (figures(stored=5, responses=100, block_rate=0.90),
     {"block_rate": None, "responses": 0}, "finished", []),              # nothing to compare
    (figures(stored=5, responses=100, block_rate=0.90), None, "finished", []),
    (figures(stored=5), None, "shutdown", ["not_finished"]),
    (figures(stored=0, responses=100, block_rate=1.0),
     {"block_rate": 0.0, "responses": 100}, "closespider_timeout",
     ["stored_nothing", "block_rate_jump", "not_finished"]),
])
def test_evaluate(current, previous, reason, expected):
    alerts = monitor.evaluate(current, previous, reason, jump=0.10, min_responses=20)
    assert [a["code"] for a in alerts] == expected
    assert monitor.exit_code(alerts) == (monitor.ALERT_CODES[expected[0]] if expected else 0)


def test_portal_figures_from_stats():
    stats = {
        "govreports/summary/350102/found": 7, "govreports/summary/350102/responses": 10,
        "govreports/summary/350102/blocked": 2, "govreports/summary/350102/fetched": 6,
        "govreports/stored_new/350102": 4, "govreports/stored_unchanged/350102": 1,
        "govreports/stored_new": 4,                              # the crawl-wide stat
        "govreports/portal/350102/skipped_known": 3,             # the fetch log's namespace
        "govreports/portal/350102/blocked/rs_ts": 2,
        "govreports/summary/-/found": 1,
    }
    out = monitor.portal_figures(stats, ["350102", "350103"])
    assert out["350102"] == {"found": 7, "known": 3, "fetched": 6, "new": 4, "changed": 0,
                             "unchanged": 1, "stored": 5, "not_stored": 1, "blocked": 2,
                             "responses": 10, "block_rate": 0.2, "failed_checks": 0,
                             "reports_failing_checks": 0}
    assert out["350103"]["found"] == 0 and out["350103"]["block_rate"] is None
    assert out["-"]["found"] == 1
    t = monitor.totals(out)
    assert (t["portals"], t["stored"], t["portals_without_reports"]) == (3, 5, 1)


# --- the crawl command, for real --------------------------------------------------------------

def crawl_command(tmp: Path, args: list[str], db: Path, summary: Path, **settings: str):
    s = {**FAST, "GOVREPORTS_BLOCK_RATE_MIN_RESPONSES": "5", "GOVREPORTS_PROGRESS_INTERVAL": "0",
         **settings}
    cmd = [sys.executable, "-m", "govreports", "crawl", "--summary", str(summary), *args]
    for k, v in s.items():
        cmd += ["-s", f"{k}={v}"]
    env = dict(os.environ, GOVREPORTS_DATABASE_URL=f"sqlite:///{db}")
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    base = tmp_path_factory.mktemp("fleets")
    return {"clean": build_fleet(base / "clean", columns=2, reports=6),
            "blocked": build_fleet(base / "blocked", columns=2, reports=6, blocked=[1]),
            "empty": build_fleet(base / "empty", columns=1, reports=0),
            "long": build_fleet(base / "long", columns=1, reports=40)}


def registry(tmp: Path, site: Path, portal: FleetPortal, name: str) -> str:
    path = tmp / f"{name}.csv"
    path.write_text(registry_csv(site, portal.base_url), encoding="utf-8")
    return f"registry={path}"


def test_healthy_crawl_exits_0_with_a_summary_per_portal_and_progress_lines(sites, tmp_path):
    summary, db = tmp_path / "summary.json", tmp_path / "crawl.sqlite"
    with FleetPortal(sites["clean"], delay=0.05) as portal:
        reg = registry(tmp_path, sites["clean"], portal, "clean")
        # 0.1 s: the crawl takes under a second since parsing got faster (issue 7).
        run = crawl_command(tmp_path, ["-a", reg], db, summary, GOVREPORTS_PROGRESS_INTERVAL="0.1")
        assert run.returncode == 0, run.stderr[-3000:]
        data = json.loads(summary.read_text(encoding="utf-8"))
        assert data["exit_code"] == 0 and data["alerts"] == [] and data["previous"] is None
        assert data["finish_reason"] == "finished"
        assert set(data["portals"]) == {"350102", "350103"}
        for p in data["portals"].values():
            assert (p["found"], p["fetched"], p["new"], p["blocked"]) == (6, 6, 6, 0)
            assert p["name"] in ("鼓楼区", "台江区")
        assert data["totals"]["new"] == 12 and data["totals"]["responses"] == 14
        assert run.stderr.count("progress after") >= 2, run.stderr[-3000:]
        assert "crawl summary (finished)" in run.stderr

        # The next crawl finds nothing new: healthy, whether it skipped the known reports
        # (incremental) or fetched them again as unchanged.
        again = crawl_command(tmp_path, ["-a", reg], db, summary)
        assert again.returncode == 0, again.stderr[-3000:]
        t = json.loads(summary.read_text(encoding="utf-8"))["totals"]
        assert t["new"] == 0 and (t["known"] > 0 or t["unchanged"] == 12)


def test_crawl_that_stores_nothing_exits_3(sites, tmp_path):
    summary = tmp_path / "summary.json"
    with FleetPortal(sites["empty"]) as portal:
        column = portal.url(portal.fleet[0]["column"])
        run = crawl_command(tmp_path, ["-a", f"column={column}"], tmp_path / "x.sqlite", summary)
    assert run.returncode == monitor.EXIT_STORED_NOTHING, run.stderr[-3000:]
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert [a["code"] for a in data["alerts"]] == ["stored_nothing"]
    assert "crawl alert stored_nothing (exit code 3)" in run.stderr


def test_block_rate_jump_over_the_previous_crawl_exits_4_and_a_steady_rate_does_not(sites,
                                                                                     tmp_path):
    summary = tmp_path / "summary.json"
    # The same two counties, first answering normally, then one of them behind a WAF.
    with FleetPortal(sites["clean"]) as portal:
        before = crawl_command(tmp_path, ["-a", registry(tmp_path, sites["clean"], portal, "a")],
                               tmp_path / "a.sqlite", summary)
    assert before.returncode == 0, before.stderr[-3000:]
    with FleetPortal(sites["blocked"]) as portal:
        reg = registry(tmp_path, sites["blocked"], portal, "b")
        jumped = crawl_command(tmp_path, ["-a", reg], tmp_path / "b.sqlite", summary)
        assert jumped.returncode == monitor.EXIT_BLOCK_RATE_JUMP, jumped.stderr[-3000:]
        data = json.loads(summary.read_text(encoding="utf-8"))
        assert [a["code"] for a in data["alerts"]] == ["block_rate_jump"]
        assert data["previous"]["block_rate"] == 0.0 and data["previous"]["same_scope"]
        assert data["portals"]["350103"]["blocked"] == 6
        assert data["portals"]["350102"]["blocked"] == 0
        assert data["totals"]["stored"] == 6
        # Blocked as much as last time: no jump (the rate is compared, not judged alone).
        steady = crawl_command(tmp_path, ["-a", reg], tmp_path / "c.sqlite", summary)
        assert steady.returncode == 0, steady.stderr[-3000:]


def test_crawl_cut_short_exits_6(sites, tmp_path):
    summary = tmp_path / "summary.json"
    with FleetPortal(sites["clean"]) as portal:
        run = crawl_command(tmp_path, ["-a", registry(tmp_path, sites["clean"], portal, "r")],
                            tmp_path / "x.sqlite", summary, CLOSESPIDER_ITEMCOUNT="2")
    assert run.returncode == monitor.EXIT_NOT_FINISHED, run.stderr[-3000:]
    assert json.loads(summary.read_text(encoding="utf-8"))["finish_reason"] == \
        "closespider_itemcount"


def test_stopping_the_command_stops_the_crawl_gracefully_and_exits_6(sites, tmp_path):
    # SIGTERM to the command alone (as `systemctl stop` with KillMode=mixed): it is passed on to
    # the crawl once, which closes in order and still writes its summary.
    summary = tmp_path / "summary.json"
    with FleetPortal(sites["long"], delay=0.1) as portal:
        reg = registry(tmp_path, sites["long"], portal, "r")
        cmd = [sys.executable, "-m", "govreports", "crawl", "--summary", str(summary), "-a", reg]
        for k, v in dict(FAST, CONCURRENT_REQUESTS="4").items():
            cmd += ["-s", f"{k}={v}"]
        env = dict(os.environ, GOVREPORTS_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite'}")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while sum(n for path, n in portal.hits.items() if "/t20" in path) < 2:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == monitor.EXIT_NOT_FINISHED, err[-3000:]
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["finish_reason"] == "shutdown"
    assert 0 < data["totals"]["stored"] < 40


def test_no_summary_exits_5_and_a_crawl_that_cannot_start_is_not_0(sites, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with FleetPortal(sites["clean"]) as portal:
        reg = registry(tmp_path, sites["clean"], portal, "r")
        run = crawl_command(tmp_path, ["-a", reg], tmp_path / "x.sqlite", blocker / "s.json")
    assert run.returncode == monitor.EXIT_NO_SUMMARY, run.stderr[-3000:]
    assert "wrote no summary" in run.stderr
    bad = crawl_command(tmp_path, ["-a", "code=999999"], tmp_path / "x.sqlite",
                        tmp_path / "s.json")
    assert bad.returncode not in (0, monitor.EXIT_NO_SUMMARY), bad.stderr[-3000:]
    assert "crawl failed" in bad.stderr
