"""What the schedulers need from Scrapy's engine that Scrapy has no public API for (EngineView):
which requests it still works on, and a nudge to look at the scheduler again. Used by the
distributed scheduler and worker, and by the JOBDIR journal scheduler.
"""
from __future__ import annotations

from typing import Any, Optional


class EngineView:
    """The two things a worker needs from Scrapy's engine that Scrapy has no public API for:
    which requests it still works on (a request is finished only when its callbacks' output
    went through the pipelines, later than any signal), and a nudge to look at the scheduler
    again (an idle engine otherwise polls it every 5 s). Both are checked against the pinned
    Scrapy by tests/test_distributed.py, so an upgrade that moves them fails there, loudly;
    without them a worker finishes requests only when it is idle, and polls slowly."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def in_progress(self) -> Optional[set]:
        slot = getattr(self.engine, "_slot", None)
        return getattr(slot, "inprogress", None) if slot is not None else None

    def wake(self) -> None:
        slot = getattr(self.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()
