"""Progress with an ETA on stderr for the long commands (reparse, replay, export).

A few lines of our own rather than tqdm: the commands need one counter line, and the crawl's
dependencies stay what they are. On a terminal the line is redrawn in place; into a file or a
pipe (cron, CI logs) a full line is written now and then, never a stream of carriage returns.

    with Progress(total=len(ids), label="reparse") as bar:
        for i in ids:
            ...
            bar.advance()
"""
from __future__ import annotations

import sys
import time
from typing import Any, Optional, TextIO


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Counts done items out of `total` (None when unknown) and shows rate and ETA."""

    def __init__(self, total: Optional[int], label: str, *, unit: str = "items",
                 stream: Optional[TextIO] = None, interval: Optional[float] = None,
                 enabled: bool = True) -> None:
        self.total = total
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        # Redraws are cheap on a terminal; a log file wants a line every few seconds at most.
        self.interval = interval if interval is not None else (0.2 if self.tty else 5.0)
        self.enabled = enabled
        self.done = 0
        self.started = time.monotonic()
        self._last = self.started

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._draw(final=False)

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            pct = 100.0 * self.done / self.total
            left = self.total - self.done
            eta = _duration(left / rate) if rate > 0 and left > 0 else "0:00"
            return (f"{self.label}: {self.done}/{self.total} {self.unit} ({pct:.0f}%) "
                    f"{rate:.1f}/s, elapsed {_duration(elapsed)}, ETA {eta}")
        return f"{self.label}: {self.done} {self.unit} {rate:.1f}/s, elapsed {_duration(elapsed)}"

    def _draw(self, final: bool) -> None:
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line() + ("\n" if final else ""))
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and (self.done or self.total):
            self._draw(final=True)
            self.enabled = False
