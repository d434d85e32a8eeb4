"""The six numbered sections of a report (一、总体情况 … 六、其他需要报告的事项).

A heading is recognised by its numeral and its words together, so a table row such as
四、结转下年度继续办理 is never taken for section 四.

Reports before 2019 (`legacy=True`) follow no fixed outline (templates.md §5): 一、概述 /
二、主动公开政府信息情况 / 三、政府信息依申请公开工作情况 / 四、…存在的主要问题及改进情况 / 附件 统计表, in
varying order and number. Their headings are mapped onto the contract's `no` by meaning, not by
numeral (templates.LEGACY_SECTIONS): 概述/总体情况 → 1, 主动公开…情况 → 2, 依申请公开…情况 → 3,
复议/诉讼/申诉 → 4, 存在的问题及改进 → 5, 收费及减免 / 咨询 / 其他事项 → 6; so Pingtan's 四、…主要问题
is section 5 and no section 4 is reported. Headings are also found inline, inside one long line
(archive text with the whole body on one line), where a heading must follow a sentence end or a
space. They must come in increasing order of their own numerals; two headings of one meaning
give two sections with the same `no`. The statistics appendix (附件1：…统计表) ends the prose:
what follows it belongs to no section, and text a table begins inside a line (`cut`) is left out.
"""
from __future__ import annotations

import re
from typing import Optional

from govreports.documents import LINE, PARA, Document
from govreports.legacy import matching_form
from govreports.model import Section
from govreports.normalize import norm
from govreports.templates import LEGACY_APPENDIX, LEGACY_SECTIONS, SECTIONS

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


_LEGACY_NUMERALS = "一二三四五六七八九十"
_LEGACY_PATTERNS = tuple((no, re.compile(p)) for no, p in LEGACY_SECTIONS)
_INLINE = re.compile(r"(?:^|(?<=[。；;！？!?\s]))([一二三四五六七八九十])\s*[、.．]\s*")
_APPENDIX = re.compile(r"(?:^|(?<=[。；;！？!?\s]))(?:" + LEGACY_APPENDIX + ")")


def _legacy_marks(text: str) -> list[tuple[int, int, Optional[tuple[int, str, int]]]]:
    """(start, end, (no, heading, numeral) or None for the appendix) of each pre-2019 heading in
    `text`, in order."""
    whole = heading_no(text)
    if whole is not None:
        return [(0, len(text), (whole[0], whole[1], whole[0]))]
    s = matching_form(text)
    marks = []
    for m in _INLINE.finditer(s):
        for no, pattern in _LEGACY_PATTERNS:
            words = pattern.match(s, m.end())
            if words is not None and words.end() > m.end():
                numeral = _LEGACY_NUMERALS.index(m.group(1)) + 1
                marks.append((m.start(), words.end(), (no, text[m.end():words.end()].strip(), numeral)))
                break
    for m in _APPENDIX.finditer(s):
        if not any(a <= m.start() < b for a, b, _ in marks):
            marks.append((m.start(), m.start(), None))
    return sorted(marks, key=lambda x: x[0])


def _extract_legacy(doc: Document, consumed: set[int], cut: dict[int, int]) -> list[Section]:
    sections: list[Section] = []
    current: Optional[Section] = None
    numeral = 0

    def add(piece: str) -> None:
        piece = piece.strip()
        if current is not None and piece:
            current.text = f"{current.text}\n{piece}" if current.text else piece

    for i, tok in enumerate(doc.tokens):
        if tok.kind not in (PARA, LINE):
            continue
        text = tok.text[:cut[i]] if i in cut else tok.text
        pos = 0
        for start, end, mark in _legacy_marks(text):
            if mark is not None and mark[2] <= numeral:
                continue  # out of order: a list item or a table row, not a heading
            if i not in consumed:
                add(text[pos:start])
            pos = end
            if mark is None:
                current = None
            else:
                current = Section(mark[0], mark[1], "")
                numeral = mark[2]
                sections.append(current)
        if i not in consumed:
            add(text[pos:])
    return sections


def extract(doc: Document, consumed: set[int], legacy: bool = False,
            cut: Optional[dict[int, int]] = None) -> list[Section]:
    """Sections with their prose; tokens the table mapper used (`consumed`) are left out.
    `legacy`: a report before 2019 (headings by meaning, inline headings, the appendix)."""
    if legacy:
        return _extract_legacy(doc, consumed, cut or {})
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
