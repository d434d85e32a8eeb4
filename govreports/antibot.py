"""Recognising anti-bot answers (portals.md §6), so a crawl records them instead of storing them.

A 瑞数 (RS) challenge is HTTP 412 (sometimes 202) carrying an inline `$_ts` script; 加速乐-style
challenges answer HTTP 521 with a script that sets a cookie. Neither is a dead page and neither
is a report: the crawl counts and logs them and does not try to defeat them.
"""
from __future__ import annotations

from typing import Optional

REASONS = {
    "rs_ts": "瑞数 WAF challenge ($_ts script)",
    "http_412": "HTTP 412 without $_ts (precondition failed, likely a WAF)",
    "jsl_521": "JS cookie challenge (HTTP 521, 加速乐-style)",
}

# Real report pages run to tens of kilobytes; a challenge page is a few kilobytes of script.
_SMALL = 16 * 1024


def blocked_reason(status: int, body: bytes) -> Optional[str]:
    """A key of REASONS when the response is an anti-bot answer, else None."""
    head = body[:_SMALL]
    has_ts = b"$_ts" in head
    if status in (202, 412) and has_ts:
        return "rs_ts"
    if status == 412:
        return "http_412"
    if status == 521:
        return "jsl_521"
    if has_ts and len(body) < _SMALL and b"<table" not in head.lower():
        return "rs_ts"
    return None
