"""Re-parse the archive: today's parser over the stored raw pages, with no network.

For each stored version (all of them, the current ones, or those an older parser made), the
ReportPage is rebuilt from raw_pages (page and attachments with their headers and fetch times,
the report's portal code and list URL, the version's title hint), parsed by
govreports.parse.parse_page exactly as the crawl parses, and put in place of the old parse by
Store.replace_parse: one transaction per version, only what differs is rewritten, and the
version's group, primary and continuity checks follow. A version that fails to parse keeps its
rows and is reported; the others go on.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Optional

from govreports.parse import parse_page
from govreports.progress import Progress
from govreports.store import Store

log = logging.getLogger(__name__)


def reparse(store: Store, *, current_only: bool = False, stale_only: bool = False,
            progress: bool = True, version_ids: Optional[list[int]] = None) -> dict[str, Any]:
    """Re-parse stored versions; returns counts: versions, changed, unchanged, failed, and per
    part changed (header, cells, checks, warnings, sections), plus the failures."""
    ids = version_ids if version_ids is not None else store.version_ids(
        current_only=current_only, stale_only=stale_only)
    counts: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    with Progress(len(ids), "reparse", unit="versions", enabled=progress) as bar:
        for vid in ids:
            try:
                changed = store.replace_parse(vid, parse_page(store.page_of(vid)))
            except Exception as exc:  # one bad archive entry must not stop the others
                log.warning("version %s: %s: %s", vid, type(exc).__name__, exc)
                counts["failed"] += 1
                failures.append({"version_id": vid, "error": f"{type(exc).__name__}: {exc}"})
            else:
                counts["changed" if changed else "unchanged"] += 1
                counts.update(changed)
            bar.advance()
    return {"versions": len(ids), "changed": counts["changed"], "unchanged": counts["unchanged"],
            "failed": counts["failed"],
            "parts": {k: counts[k] for k in ("header", "cells", "checks", "warnings", "sections")},
            "failures": failures}
