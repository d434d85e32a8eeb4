"""The six numbered sections of a report (一、总体情况 … 六、其他需要报告的事项).

A heading is recognised by its numeral and its words together, so a table row such as
四、结转下年度继续办理 is never taken for section 四.
"""
from __future__ import annotations

import re
from typing import Optional

from govreports.documents import LINE, PARA, Document
from govreports.model import Section
from govreports.normalize import norm
from govreports.templates import SECTIONS

_NUMERALS = "一二三四五六"
_HEADING = re.compile(r"^([一二三四五六])[、.,，．]?(.{2,40})$")


def heading_no(text: str) -> Optional[tuple[int, str]]:
    """(section number, heading words) when `text` is a section heading, else None."""
    if len(text) > 60:
        return None
    m = _HEADING.match(norm(text))
    if not m:
        return None
    no = _NUMERALS.index(m.group(1)) + 1
    words = m.group(2)
    for sec_no, _, phrases in SECTIONS:
        if sec_no == no and any(p in words for p in phrases):
            return no, re.sub(r"^[、.,，．\s]+", "", text.strip()[1:]).strip()
    return None


def extract(doc: Document, consumed: set[int]) -> list[Section]:
    """Sections with their prose; tokens the table mapper used (`consumed`) are left out."""
    sections: list[Section] = []
    current: Optional[Section] = None
    for i, tok in enumerate(doc.tokens):
        if tok.kind not in (PARA, LINE):
            continue
        found = heading_no(tok.text)
        if found and (current is None or found[0] > current.no):
            current = Section(found[0], found[1], "")
            sections.append(current)
            continue
        if current is not None and i not in consumed:
            current.text = f"{current.text}\n{tok.text}" if current.text else tok.text
    return sections
