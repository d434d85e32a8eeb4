"""The progress line of the long commands: counts, rate and ETA on stderr, quiet when asked."""
from __future__ import annotations

import io

from govreports import progress
from govreports.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_line_has_counts_rate_and_eta(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    out = io.StringIO()
    with Progress(total=100, label="reparse", unit="versions", stream=out, interval=0) as bar:
        clock.now += 10
        bar.advance(25)
        assert out.getvalue().splitlines()[-1] == \
            "reparse: 25/100 versions (25%) 2.5/s, elapsed 0:10, ETA 0:30"
        clock.now += 3590
        bar.advance(25)
        assert out.getvalue().splitlines()[-1].endswith("elapsed 1:00:00, ETA 1:00:00")
    assert out.getvalue().splitlines()[-1].startswith("reparse: 50/100 versions (50%)")


def test_lines_are_throttled_off_a_terminal_and_unknown_totals_have_no_eta(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    out = io.StringIO()
    with Progress(total=None, label="replay", stream=out) as bar:  # a file: every 5 s at most
        for _ in range(1000):
            clock.now += 0.001
            bar.advance()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "\r" not in out.getvalue()
    assert lines[0].startswith("replay: 1000 items") and "ETA" not in lines[0]


def test_disabled_progress_writes_nothing():
    out = io.StringIO()
    with Progress(total=3, label="x", stream=out, enabled=False) as bar:
        bar.advance(3)
    assert out.getvalue() == ""
