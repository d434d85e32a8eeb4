"""Recognising anti-bot answers (portals.md §6), so a crawl records them instead of storing them.

A 瑞数 (RS) challenge is HTTP 412 (sometimes 202) carrying an inline `$_ts` script; 加速乐-style
challenges answer HTTP 521 with a script that sets a cookie; some WAFs refuse with 418, and IP or
region blocks answer 403. The quietest form is HTTP 200 with a stub of a few hundred bytes (a
script that sets a cookie and reloads, or an empty template) where the page should be. None of
these is a dead page and none is a report: the crawl records each one with its reason
(govreports.fetchlog) and does not try to defeat it.
"""
from __future__ import annotations

import re
from typing import Optional

REASONS = {
    "rs_ts": "瑞数 WAF challenge ($_ts script)",
    "http_412": "HTTP 412 without $_ts (precondition failed, likely a WAF)",
    "jsl_521": "JS cookie challenge (HTTP 521, 加速乐-style)",
    "http_418": "HTTP 418 (a WAF's refusal)",
    "http_403": "HTTP 403 (refused; often an IP or region block)",
    "stub_200": "HTTP 200 with a stub of a few hundred bytes instead of the page",
}
# Statuses that must reach the spider's callbacks to be classified (Scrapy drops other non-2xx).
BLOCKING_STATUSES = (403, 412, 418, 521)

# Real report pages run to tens of kilobytes; a challenge page is a few kilobytes of script.
_SMALL = 16 * 1024
# A stub is smaller than any real page: even an empty list page with its menus is several kB.
STUB_MAX = 1024
_LINK_OR_DATA = re.compile(rb"<a\s|<table|<record|<datastore|<li[\s>]", re.I)
# What a challenge script does: set a cookie, reload or redirect, evaluate packed code.
_CHALLENGE = re.compile(rb"document\s*(?:\.\s*cookie|\[)|location\s*[.\[]|\beval\s*\(", re.I)
_TAG = re.compile(rb"<script.*?</script>|<style.*?</style>|<[^>]*>", re.I | re.S)


def is_stub(body: bytes) -> bool:
    """A tiny HTML body without a link, a table or list records, that is either a challenge
    script or empty: not a page anyone wrote. (A small app shell whose script only carries
    data, like gkmlpt's `window._CONFIG`, is not a stub.)"""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if len(head) >= STUB_MAX or not head.startswith(b"<") or head[:5].lower() == b"<?xml":
        return False
    if _LINK_OR_DATA.search(head):
        return False
    if _CHALLENGE.search(head):
        return True
    return b"<script" not in head.lower() and not _TAG.sub(b"", head).strip()


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
    if status == 418:
        return "http_418"
    if status == 403:
        return "http_403"
    if has_ts and len(body) < _SMALL and b"<table" not in head.lower():
        return "rs_ts"
    if status == 200 and is_stub(body):
        return "stub_200"
    return None
