"""The scheduling examples in deploy/: the crontab and the systemd timer + service.

Both must say the same thing (02:30 on Monday and Thursday from January to April, on Monday from
May to December, never two runs at once), parse with the real parsers (croniter; systemd-analyze
where systemd is installed), and run a real command of this project: the command each one runs is
executed here with --dry-run, which loads the project (`scrapy list`) and prints the crawl.
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from croniter import croniter

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
CRONTAB = DEPLOY / "cron" / "govreports.crontab"
SERVICE = DEPLOY / "systemd" / "govreports-crawl.service"
TIMER = DEPLOY / "systemd" / "govreports-crawl.timer"
INSTALL = "/opt/govreports"
MON, THU = 0, 3


def cron_entries() -> list[tuple[str, str]]:
    """(schedule, command) of each job line; comments and VAR=value lines skipped."""
    out = []
    for line in CRONTAB.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        fields = line.split(None, 5)
        out.append((" ".join(fields[:5]), fields[5]))
    return out


def unit_values(path: Path, key: str) -> list[str]:
    return [line.split("=", 1)[1].strip()
            for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(key + "=")]


def check_cadence(runs: list[datetime]) -> None:
    """The reporting-season cadence over a list of run times spanning more than a year."""
    assert runs == sorted(runs) and len(set(runs)) == len(runs), "two runs at the same time"
    assert runs[-1] - runs[0] > timedelta(days=366)
    for t in runs:
        assert (t.hour, t.minute) == (2, 30), t
        allowed = {MON, THU} if t.month <= 4 else {MON}
        assert t.weekday() in allowed, t
    # Steady: never more than a week between runs, twice a week in the season.
    assert max(b - a for a, b in zip(runs, runs[1:])) <= timedelta(days=7)
    # Whole months inside the span: February twice a week, June weekly.
    for year in {t.year for t in runs}:
        for month, weekdays in ((2, {MON, THU}), (6, {MON})):
            first, last = datetime(year, month, 1), datetime(year, month + 1, 1)
            if runs[0] > first or runs[-1] < last:
                continue
            days = {first.date() + timedelta(d) for d in range((last - first).days)}
            expected = sorted(datetime(d.year, d.month, d.day, 2, 30) for d in days
                              if d.weekday() in weekdays)
            assert [t for t in runs if first <= t < last] == expected


def cron_runs(start: datetime, until: datetime) -> list[datetime]:
    runs = []
    for schedule, _ in cron_entries():
        it = croniter(schedule, start)
        while (t := it.get_next(datetime)) < until:
            runs.append(t)
    return sorted(runs)


def test_crontab_parses_and_follows_the_reporting_season():
    entries = cron_entries()
    assert len(entries) == 2
    for schedule, _ in entries:
        assert croniter.is_valid(schedule), schedule
    check_cadence(cron_runs(datetime(2027, 1, 1), datetime(2028, 12, 31)))


def test_cron_command_is_valid_shell_and_a_real_project_command(tmp_path):
    commands = {command for _, command in cron_entries()}
    assert len(commands) == 1, "both seasons run the same command"
    command = commands.pop()
    assert "%" not in command, "cron turns % into a newline"
    assert subprocess.run(["sh", "-n", "-c", command]).returncode == 0
    m = re.fullmatch(r"cd (\S+) && (\S+ -m govreports crawl[^>|]*?)\s*>> (\S+) 2>&1 \|\| echo .*",
                     command)
    assert m, command
    folder, crawl, log = m.groups()
    assert folder == INSTALL and not log.startswith("/")
    run = subprocess.run(shlex.split(crawl.replace(".venv/", f"{ROOT}/.venv/", 1)) + ["--dry-run"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "scrapy crawl annual_reports" in run.stdout


def test_dry_run_fails_when_the_project_does_not_load(tmp_path, monkeypatch):
    # The check above must be able to fail: a settings module that does not import.
    from govreports import cli, jobs
    monkeypatch.setattr(jobs, "_scrapy_env",
                        lambda: {"SCRAPY_SETTINGS_MODULE": "no_such_settings_module",
                                 "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert cli.main(["crawl", "--dry-run"]) == 2


def test_service_runs_a_real_project_command_in_both_modes():
    (exec_start,) = unit_values(SERVICE, "ExecStart")
    assert unit_values(SERVICE, "WorkingDirectory") == [INSTALL]
    assert unit_values(SERVICE, "Type") == ["oneshot"]
    for crawl_args, expected in (("", "-s GOVREPORTS_RUN_ID="),
                                 ("--distributed", "-s GOVREPORTS_DISTRIBUTED=1")):
        line = exec_start.replace(INSTALL, str(ROOT)).replace("$GOVREPORTS_CRAWL_ARGS", crawl_args)
        run = subprocess.run(shlex.split(line) + ["--dry-run"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "scrapy crawl annual_reports" in run.stdout and expected in run.stdout


def test_timer_says_what_the_crontab_says():
    calendars = unit_values(TIMER, "OnCalendar")
    assert calendars == ["Mon,Thu *-01..04-* 02:30:00", "Mon *-05..12-* 02:30:00"]
    assert unit_values(TIMER, "Persistent") == ["true"]


needs_systemd = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                   reason="systemd-analyze not installed")


def systemd_elapses(calendar: str, iterations: int) -> list[datetime]:
    run = subprocess.run(["systemd-analyze", "calendar", f"--iterations={iterations}", calendar],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    stamps = re.findall(r"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)",
                        run.stdout)
    assert len(stamps) == iterations, run.stdout
    return [datetime.strptime(s, "%Y-%m-%d %H:%M:%S") for s in stamps]


@needs_systemd
def test_timer_calendars_parse_with_systemd_and_match_the_crontab():
    runs = sorted(t for c in unit_values(TIMER, "OnCalendar") for t in systemd_elapses(c, 80))
    # Both lists of 80 reach past a year; keep the stretch both cover.
    horizon = min(max(systemd_elapses(c, 80)) for c in unit_values(TIMER, "OnCalendar"))
    runs = [t for t in runs if t <= horizon]
    check_cadence(runs)
    start = runs[0] - timedelta(minutes=1)
    assert runs == cron_runs(start, horizon + timedelta(minutes=1))
    bad = subprocess.run(["systemd-analyze", "calendar", "Mox *-05..12-* 02:30:00"],
                         capture_output=True, text=True)
    assert bad.returncode != 0


@needs_systemd
def test_units_verify_clean(tmp_path):
    for unit in (SERVICE, TIMER):
        text = unit.read_text(encoding="utf-8").replace(INSTALL, str(ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    run = subprocess.run(["systemd-analyze", "verify", str(tmp_path / TIMER.name),
                          str(tmp_path / SERVICE.name)], capture_output=True, text=True, timeout=60)
    # verify only warns about a bad key or value: any output is a failure here.
    assert run.returncode == 0 and not (run.stdout + run.stderr).strip(), run.stdout + run.stderr
