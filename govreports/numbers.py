"""Cell values: from the published text of a cell to a number, or null.

Rules (shared/schema/tables.md "Values", templates.md §7.3-7.5, §7.9): empty, "/", "-", "—", "无",
"不适用" are null, never 0; 减12 is -12 and 增4 is 4; full-width digits, thousands separators and
the minus signs − and － are normalised; a unit in the cell (万元, 元, 件, 条) is recognised and
reported; a cell that is wholly a Chinese numeral is read as one.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Optional

from govreports.model import Number
from govreports.normalize import CACHED_CHARS

NULL_TOKENS = {"", "/", "-", "—", "--", "——", "－", "–", "无", "不适用", "空", "暂无", "\\"}
UNITS = ("万元", "元", "件", "条", "个", "项", "次")

_NUMBER = re.compile(r"^(?P<sign>[+-]|增|减|增加|减少)?(?P<num>\d+(?:\.\d+)?)(?P<unit>万元|元|件|条|个|项|次)?$")
_SPACES = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?:\D|$))")
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


@dataclass(frozen=True)
class Parsed:
    """A cell read as a value: `is_value` says whether it is a cell value at all (a number or a
    placeholder for none), `value` the number or None, `unit` the unit stated in the cell."""
    is_value: bool
    value: Optional[Number] = None
    unit: Optional[str] = None


NOT_A_VALUE = Parsed(False)


def _prepare(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw)
    s = s.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "—")
    s = _SPACES.sub("", s)
    return _THOUSANDS.sub("", s)


def chinese_numeral(s: str) -> Optional[int]:
    """A whole-cell Chinese numeral (二十三, 一百零五, 〇) to int; None when it is not one."""
    if not s or any(ch not in _CN_DIGITS and ch not in _CN_UNITS and ch != "万" for ch in s):
        return None
    if all(ch in _CN_DIGITS for ch in s):  # digit by digit: 二〇一九
        return int("".join(str(_CN_DIGITS[ch]) for ch in s))
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:  # 万
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
    return total + section + (digit or 0)


def parse_cell(raw: Optional[str]) -> Parsed:
    if raw is None:
        return Parsed(True)
    if raw.isascii() and raw.isdigit():
        # Most cells: plain digits, which the rules below read as this same int.
        return Parsed(True, int(raw))
    # Cached: every report of a form has the same labels, each asked about once per token (a
    # Parsed is immutable, its value an int or Decimal). Long text (prose) is not: it recurs
    # nowhere and would stay alive in the cache.
    return _parse_cached(raw) if len(raw) <= CACHED_CHARS else _parse_text(raw)


def _parse_text(raw: str) -> Parsed:
    s = _prepare(raw)
    if s in NULL_TOKENS:
        return Parsed(True)
    m = _NUMBER.match(s)
    if m:
        try:
            d = Decimal(m.group("num"))
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            return NOT_A_VALUE
        if m.group("sign") in ("-", "减", "减少"):
            d = -d
        value: Number = int(d) if "." not in m.group("num") else d
        return Parsed(True, value, m.group("unit"))
    n = chinese_numeral(s)
    if n is not None and len(s) <= 6:
        return Parsed(True, n)
    return NOT_A_VALUE


_parse_cached = lru_cache(maxsize=16384)(_parse_text)


def is_value(raw: str) -> bool:
    return parse_cell(raw).is_value


def is_number(raw: str) -> bool:
    return parse_cell(raw).value is not None
