"""The list of warning codes (govreports.warning_codes) against the parser: every code it can
emit is explained, and nothing explained is a code it no longer emits."""
from __future__ import annotations

import re
from pathlib import Path

from govreports.items import ReportPage
from govreports.parse import parse_page
from govreports.warning_codes import EFFECTS, WARNING_CODES

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = (".html", ".htm", ".pdf", ".txt", ".docx", ".doc", ".wps", ".xls", ".xlsx")
# Where the parser names a code: warn("code", …), DocError("code", …) of the Word reader, and
# the (code, message) refusals of the DOCX/XLSX archive check (docx.py's _check_archive).
EMITTED = (re.compile(r"\.warn\(\s*\"([a-z_]+)\""), re.compile(r"DocError\(\s*\"([a-z_]+)\""))
REFUSED = re.compile(r"return \"([a-z_]+)\", ")


def _emitted() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / "govreports").glob("*.py"):
        if path.name == "warning_codes.py":
            continue
        text = path.read_text(encoding="utf-8")
        patterns = EMITTED + ((REFUSED,) if path.name == "docx.py" else ())
        for pattern in patterns:
            for code in pattern.findall(text):
                found.setdefault(code, set()).add(path.name)
    return found


def test_every_code_the_parser_emits_is_explained():
    emitted = _emitted()
    # The scan itself finds what it must (a broken pattern would find nothing and pass).
    assert {"row_incomplete", "encrypted", "truncated", "unreadable"} <= set(emitted)
    missing = {c: sorted(f) for c, f in emitted.items() if c not in WARNING_CODES}
    assert not missing, f"warning codes without an explanation in govreports/warning_codes.py: {missing}"


def test_nothing_explained_is_a_code_no_longer_emitted():
    assert sorted(set(WARNING_CODES) - set(_emitted())) == []


def test_every_code_has_an_effect_and_a_meaning():
    for code, (effect, meaning) in WARNING_CODES.items():
        assert effect in EFFECTS, code
        assert meaning.endswith(".") and len(meaning) > 20, code


def test_the_warnings_of_the_fixture_reports_are_explained():
    """What the parser really says about every report file the tests hold (HTML, PDF, text,
    Word, spreadsheets; damaged and hostile ones included)."""
    seen: dict[str, str] = {}
    files = [p for p in sorted((ROOT / "tests" / "fixtures").rglob("*")) if p.suffix.lower() in SUFFIXES]
    for path in files:
        page = ReportPage(url=f"http://www.x.gov.cn/{path.name}", body=path.read_bytes(), path=str(path))
        for w in parse_page(page).warnings:
            seen.setdefault(w.code, path.name)
    assert len(files) > 20 and len(seen) > 8, seen
    assert {c: f for c, f in seen.items() if c not in WARNING_CODES} == {}
