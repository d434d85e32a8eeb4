"""Load a fixture file as the ReportPage a crawl would have fetched: raw bytes plus headers."""
from __future__ import annotations

import json
from pathlib import Path

from govreports.items import ReportPage
from govreports.model import ParseResult
from govreports.parse import parse_page

FIXTURES = Path(__file__).parent / "fixtures"


def load_page(name: str, folder: str = "real") -> ReportPage:
    base = FIXTURES / folder
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest[name]
    path = base / name
    return ReportPage(url=entry.get("url") or path.resolve().as_uri(), body=path.read_bytes(),
                      headers=dict(entry.get("headers") or {}))


def parse_fixture(name: str, folder: str = "real") -> ParseResult:
    return parse_page(load_page(name, folder))
