"""Reports before 2019 (template `pre2019`): the provincial statistics table → cells of table `legacy`.

Before 2019 there was no national form. Provinces printed their own statistics appendix
(shared/reference/templates.md §5):

- Fujian (Pingtan 2011–2018, Putian): 指标名称 / 计量单位 / YYYY年度 / 历年累计;
- Gansu/Dingxi: 指标名称 / 计量单位 / 代码 / 本期实际 / 本年累计, indicator codes 01–35.

Rows (keys; label data in govreports.templates.LEGACY_ROWS, a sub-row only under its 其中 parent):

| key | label (variants accepted) | 其中 parent |
|---|---|---|
| proactive_total | 主动公开信息数 / 主动公开文件数 / 主动公开政府信息数 | |
| proactive_website | 1.(政府)网站公开(数) | proactive_total |
| proactive_gazette | 2.政府公报公开(数) | proactive_total |
| requests_received | 受理依申请公开信息总数 / 申请总数 / 收到申请数 | |
| requests_in_person, requests_fax, requests_email, requests_online, requests_letter, requests_letter_fax, requests_other_channel | 当面 / 传真 / 电子邮件 / 网上 / 信函 / 信函、传真 / 其它形式 申请数 | requests_received |
| replies_total | 对申请的答复(总)数 / 申请答复数 | |
| replies_already_public, replies_disclosed, replies_partly, replies_refused, replies_other | 属于已主动公开范围数 / 同意公开答复数 / 同意部分公开答复数 / 否决·不予·不同意公开答复数 / 其他类型答复数 | replies_total |
| review_count | 行政复议数 | |
| suit_count | 行政诉讼数 | |
| complaint_count | 行政申诉数 / 举报投诉数 / 接受行政诉讼、举报数 (the last flagged `label_ambiguous`) | |
| fees_yuan | 政府信息公开收费减免金额（元） / 收取费用总数; 万元 converted, no unit → null + `unit_unknown` | |

Columns: `year` (2012年度, 本年度), `cumulative` (历年累计), `period` (本期实际: a month or quarter),
`ytd` (本年累计). 计量单位 is read as the row's unit, 代码 as the indicator code; neither is a value.

How a table is read: it starts at its header (指标名称, or 计量单位), which fixes the columns; a
row opens at a known label and takes what follows up to the next label: a unit, then values.
Real cells (HTML, DOCX) are assigned by position, empty cells as null; text flattened one cell
per line by count, as in govreports.tables (all or nothing; `row_incomplete` otherwise).
Indicators not on the list are kept as `extra_row` warnings with their raw values, and so is a
sub-row found outside its parent.

Cells run together (templates.md §7.2, the Pingtan archive text `主动公开信息数条20263542`): no
split is ever guessed. Such a row gets `cells_concatenated` with its raw text and no cells,
unless the split is made unique by the identities: every value cell printed (the form prints 0,
never a blank) with no leading zeros; an accumulated column not below its part (历年累计 ≥
年度, 本年累计 ≥ 本期); the channels summing to requests_received and the replies to
replies_total, per column. Only where exactly one split survives are the cells stored, each
`inferred=True`, with a `cells_split_inferred` warning holding the raw text.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from govreports import sources
from govreports.documents import CELL, LINE, PARA, ROW_END, TABLE_END, Document
from govreports.model import Cell, ParseResult
from govreports.normalize import clean, norm, to_simplified
from govreports.numbers import parse_cell
from govreports.templates import (
    LEGACY_ACCUMULATED, LEGACY_AMBIGUOUS_PHRASES, LEGACY_CHANNEL_ROWS, LEGACY_REPLY_ROWS,
    LEGACY_REPLY_ROWS_CORE, LEGACY_ROWS)

TABLE = "legacy"

_PHRASES = {ph: lab for lab in LEGACY_ROWS for ph in lab.phrases}
_LABEL_RE = re.compile("|".join(r"\s*".join(map(re.escape, ph))
                                 for ph in sorted(_PHRASES, key=len, reverse=True)))
_HEADER_RE = re.compile(
    r"\s*(?:(?P<name>指\s*标\s*名\s*称)|(?P<unit>计\s*量\s*单\s*位)|(?P<code>代\s*码)"
    r"|(?P<ytd>本\s*年\s*累\s*计)|(?P<cumulative>历\s*年\s*累\s*计)|(?P<period>本\s*期(?:\s*实\s*际)?)"
    r"|(?P<year>(?:(?P<yyyy>(?:19|20)\d{2})\s*年\s*度?|本\s*年\s*度)))")
_START_RES = (re.compile(r"指\s*标\s*名\s*称"), re.compile(r"计\s*量\s*单\s*位"))
_UNITS = ("万元", "元", "人次", "条", "件", "个", "项", "次", "份", "宗", "起")
_UNIT_RE = re.compile(r"^[(（]?(" + "|".join(_UNITS) + r")[)）]?$")
_PIECE = re.compile(r"\s+|[-+]?\d+(?:\.\d+)?|[^\s\d]+")
_DIGITS = re.compile(r"\d+")
_QIZHONG = re.compile(r"^其\s*中\s*[:：]?\s*")
# A prose line in flat text ends the table (a table cell is short and has no full stop).
_PROSE_CHARS = 40
# A run-together group whose splits multiply past this is left unsplit.
_MAX_COMBOS = 20000


class _OneCharNfkc(dict):
    """Code point -> its character's NFKC form where that is one character, else the character
    itself; filled on first use, so str.translate does the per-character work in C."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        n = unicodedata.normalize("NFKC", ch)
        value = n if len(n) == 1 else ch
        if len(self) < 65536:  # a hostile page of every code point must not grow it for good
            self[code] = value
        return value


_ONE_CHAR_NFKC = _OneCharNfkc()


# The characters of Chinese prose that NFKC changes, each to one character: full-width
# punctuation and digits, the ideographic space (a few `in` tests cost less than a regex).
_WIDE = tuple((ch, n) for ch in "，：；（）！？％．－／　０１２３４５６７８９"
              if len(n := unicodedata.normalize("NFKC", ch)) == 1)


def _one_char_nfkc(text: str) -> str:
    """text.translate(_ONE_CHAR_NFKC), which costs a dictionary lookup per character."""
    # No character NFKC changes on its own can stand in NFKC text: such text is its own form.
    if unicodedata.is_normalized("NFKC", text):
        return text
    # Usually only full-width punctuation is in the way: replaced (as translate would), the text
    # is NFKC if no other character needs it, and then translate would change nothing more.
    narrowed = text
    for ch, to in _WIDE:
        if ch in narrowed:
            narrowed = narrowed.replace(ch, to)
    if narrowed is not text and unicodedata.is_normalized("NFKC", narrowed):
        return narrowed
    return text.translate(_ONE_CHAR_NFKC)


def matching_form(text: str) -> str:
    """Matching form with the same length as `text`, so offsets point into the published text:
    each character replaced by its NFKC form where that is one character."""
    s = _one_char_nfkc(text)
    simple = to_simplified(s)
    return simple if len(simple) == len(s) else s


@dataclass
class _Atom:
    kind: str  # "unit" | "value" | "label" (an unknown label's text)
    text: str
    glued: bool = False  # a value touching the label or unit before it, no separator
    uncertain: bool = False  # a value whose end cannot be told (numbering glued to it)


@dataclass
class _Row:
    label: str
    key: Optional[str]
    parent: str
    unit: Optional[str] = None
    cells: list[str] = field(default_factory=list)  # everything after the label, structured mode
    values: list[_Atom] = field(default_factory=list)
    source: str = ""  # the row's text as published (for warnings)
    structured: bool = False


@dataclass
class LegacyMapped:
    """What the legacy mapper found: cells, warnings, the tokens it used, and where a table began
    inside a token (token index → character offset) so that the prose stops there."""
    found: bool = False
    cells: list[Cell] = field(default_factory=list)
    warnings: list[tuple[str, str, str, Optional[list[str]]]] = field(default_factory=list)
    consumed: set[int] = field(default_factory=set)
    cut: dict[int, int] = field(default_factory=dict)
    header_year: Optional[int] = None

    def warn(self, code: str, where: str, message: str, raw: Optional[list[str]] = None) -> None:
        self.warnings.append((code, where, message, raw))


class _Mapper:
    def __init__(self, doc: Document):
        self.doc = doc
        self.out = LegacyMapped()
        self.columns: list[str] = []  # after the label column: "unit", "code", value keys
        self.in_header = False
        self.rows: list[_Row] = []
        self.row: Optional[_Row] = None
        self.parent = ""
        self.children = 0

    @property
    def value_columns(self) -> list[str]:
        return [c for c in self.columns if c not in ("unit", "code")]

    # ------------------------------------------------------------------ driver
    def run(self) -> LegacyMapped:
        start = self._find_start()
        if start is None:
            return self.out
        first, offset = start
        tokens = self.doc.tokens
        in_cells = tokens[first].kind == CELL
        self.in_header = True
        for i in range(first, len(tokens)):
            tok = tokens[i]
            if tok.kind == TABLE_END:
                if in_cells:
                    break
                continue
            if tok.kind == ROW_END:
                self._close_row()
                continue
            if tok.inherited:
                continue
            if i > first and tok.kind in (PARA, LINE) and self._is_prose(tok.text):
                break
            text = tok.text[offset:] if i == first else tok.text
            self._token(text, tok.kind == CELL)
            if i != first or offset == 0:
                self.out.consumed.add(i)
        self._close_row()
        if offset:
            self.out.cut[first] = offset
        self._emit()
        self.out.found = any(r.key for r in self.rows) and bool(self.value_columns)
        return self.out

    def _find_start(self) -> Optional[tuple[int, int]]:
        """The table's header: 指标名称, else (a table whose first header cell says 项目 …) 计量单位."""
        for pattern in _START_RES:
            for i, tok in enumerate(self.doc.tokens):
                if tok.kind in (ROW_END, TABLE_END) or not pattern.search(tok.text):
                    continue
                m = pattern.search(matching_form(tok.text))
                if m is not None:
                    return i, m.start()
        return None

    @staticmethod
    def _is_prose(text: str) -> bool:
        return len(clean(text)) > _PROSE_CHARS or "。" in text

    # ------------------------------------------------------------------ one token
    def _token(self, text: str, is_cell: bool) -> None:
        s = matching_form(text)
        pos = 0
        header = _HEADER_RE.match(s)
        if self.in_header or header is not None and header.group("name"):
            pos = self._header(s)
            if not s[pos:].strip():
                return
        gap_start, after_label = pos, False
        for m in _LABEL_RE.finditer(s, pos):
            self.in_header = False
            lab = _PHRASES[re.sub(r"\s+", "", m.group(0))]
            key, ordinal = self._resolve(lab)
            gap, certain = _strip_numbering(text[gap_start:m.start()], s[gap_start:m.start()], ordinal)
            self._feed(gap, is_cell, after_label, uncertain_end=not certain)
            label = clean(text[gap_start + len(gap):m.end()])
            self._open(_Row(label, key, self.parent, structured=is_cell))
            if key is not None and any(p in norm(m.group(0)) for p in LEGACY_AMBIGUOUS_PHRASES):
                self.out.warn("label_ambiguous", f"{TABLE}.{key}",
                              f"{label!r} counts more than one kind of case; stored as {key}: read the "
                              f"label before comparing it with other reports", [label])
            gap_start, after_label = m.end(), True
        self._feed(text[gap_start:], is_cell, after_label, uncertain_end=False,
                   whole_cell=is_cell and not after_label)

    def _header(self, s: str) -> int:
        """Read header cells (指标名称 计量单位 2012年度 历年累计 …) from the start of `s`."""
        pos = 0
        while True:
            m = _HEADER_RE.match(s, pos)
            if m is None or m.end() == pos:
                break
            kind = next(k for k in ("name", "unit", "code", "ytd", "cumulative", "period", "year")
                        if m.group(k))
            if kind == "name":
                self.columns = []
            else:
                self.columns.append(kind)
            if m.group("yyyy"):
                self.out.header_year = int(m.group("yyyy"))
            self.in_header = True
            pos = m.end()
        if s[pos:].strip():
            self.in_header = False
        return pos

    def _resolve(self, lab) -> tuple[Optional[str], Optional[int]]:
        """The row key of a label in its place (a sub-row counts only under its own 其中 parent),
        and the ordinal its numbering should carry."""
        if not lab.group:
            self.parent, self.children = lab.key, 0
            return lab.key, None
        self.children += 1
        return (lab.key if lab.group == self.parent else None), self.children

    # ------------------------------------------------------------------ rows
    def _open(self, row: _Row) -> None:
        self._close_row()
        row.source = row.label
        self.row = row

    def _feed(self, gap: str, is_cell: bool, after_label: bool, uncertain_end: bool,
              whole_cell: bool = False) -> None:
        """Give the text after a label (a unit, values, maybe an unknown label) to the open row."""
        if whole_cell and self.row is not None:
            # A cell of its own: its position counts, even when empty.
            raw = clean(gap)
            self.row.cells.append(raw)
            self.row.source += f" {raw}" if raw else ""
        if not gap.strip():
            return
        atoms = _atoms(gap, after_label)
        if uncertain_end and atoms and atoms[-1].kind == "value":
            atoms[-1].uncertain = True
        if not whole_cell and self.row is not None and (not atoms or atoms[0].kind != "label"):
            self.row.source += gap.rstrip() if after_label else f" {clean(gap)}"
        for atom in atoms:
            if atom.kind == "label":
                # An indicator the list does not have: a row of its own, kept as a warning.
                self._open(_Row(clean(atom.text), None, self.parent, structured=is_cell))
                continue
            if self.row is None:
                continue
            if atom.kind == "unit":
                self.row.unit = self.row.unit or atom.text
            else:
                self.row.values.append(atom)

    def _close_row(self) -> None:
        if self.row is not None:
            self.rows.append(self.row)
            self.row = None

    # ------------------------------------------------------------------ cells
    def _emit(self) -> None:
        vcols = self.value_columns
        if not vcols:
            if any(r.key for r in self.rows):
                self.out.warn("columns_unknown", TABLE, "a statistics table without a header naming its "
                              "columns (YYYY年度, 历年累计, 本期实际, 本年累计); nothing extracted",
                              [r.source for r in self.rows if r.key][:5])
            return
        seen: dict[str, _Row] = {}
        runs: dict[str, tuple[_Row, list[tuple[int, ...]]]] = {}
        assigned: dict[str, list[Optional[str]]] = {}
        for row in self.rows:
            where = f"{TABLE}.{row.key or (row.parent or '?')}"
            if row.key is None:
                if row.values:
                    self.out.warn("extra_row", where, f"row {row.label!r} is not a known indicator here; "
                                  f"kept as a warning, not stored as a cell",
                                  [a.text for a in row.values] or [row.source])
                continue
            if row.key in seen:
                if row.values:
                    self.out.warn("duplicate_row", where, f"row {row.label!r} appears twice; the first "
                                  f"is kept", [a.text for a in row.values])
                continue
            seen[row.key] = row
            values = self._row_values(row)
            if self._is_run(row):
                runs[row.key] = (row, _splits(row.values[0].text, vcols) if not row.values[0].uncertain
                                 else [])
                continue
            if values is None:
                self.out.warn("row_incomplete", where, f"{len(row.values)} values for {len(vcols)} columns "
                              f"({', '.join(vcols)}); which is missing cannot be told, so none is assigned",
                              [a.text for a in row.values])
                continue
            assigned[row.key] = values
        solved = self._solve(runs, assigned, vcols)
        for row in self.rows:
            if row.key is None or seen.get(row.key) is not row:
                continue
            if row.key in assigned:
                for col, raw in zip(vcols, assigned[row.key]):
                    self.out.cells.append(self._cell(row, col, raw or ""))
            elif row.key in solved:
                split, why = solved[row.key]
                for col, v in zip(vcols, split):
                    cell = self._cell(row, col, str(v))
                    cell.inferred = True
                    self.out.cells.append(cell)
                self.out.warn("cells_split_inferred", f"{TABLE}.{row.key}",
                              f"{row.values[0].text!r} holds {len(vcols)} cells run together; "
                              f"{' | '.join(map(str, split))} is the only split {why} (assuming every cell "
                              f"printed, no leading zeros); cells marked inferred", [row.source])
            elif row.key in runs:
                options = runs[row.key][1]
                shown = ", ".join(" | ".join(map(str, o)) for o in options[:4])
                reason = (f"{len(options)} splits fit ({shown}{', …' if len(options) > 4 else ''})"
                          if options else "no split can be told apart")
                self.out.warn("cells_concatenated", f"{TABLE}.{row.key}",
                              f"cells run together in {row.source!r}: {reason}; nothing extracted",
                              [row.source])

    def _row_values(self, row: _Row) -> Optional[list[Optional[str]]]:
        """The row's raw value per value column, or None when they cannot be assigned."""
        vcols = self.value_columns
        if row.structured and row.cells and len(row.cells) == len(self.columns):
            out = []
            for col, raw in zip(self.columns, row.cells):
                if col == "unit":
                    unit = _UNIT_RE.match(matching_form(raw).replace(" ", ""))
                    row.unit = row.unit or (unit.group(1) if unit else None)
                elif col != "code":
                    out.append(raw)
            if all(parse_cell(v).is_value for v in out):
                return out
        values = [a.text for a in row.values]
        if "code" in self.columns and len(values) == len(vcols) + 1:
            values = values[1:]
        if not values:
            return [None] * len(vcols)
        if len(values) == len(vcols):
            return values
        return None

    def _is_run(self, row: _Row) -> bool:
        vcols = self.value_columns
        return (len(vcols) >= 2 and len(row.values) == 1 and row.values[0].glued
                and _DIGITS.fullmatch(row.values[0].text) is not None)

    def _cell(self, row: _Row, col: str, raw: str) -> Cell:
        parsed = parse_cell(raw)
        value = parsed.value
        if row.key == "fees_yuan" and value is not None:
            unit = parsed.unit or row.unit or _unit_in_label(row.label)
            if unit == "万元":
                value = Decimal(value) * 10000
                value = int(value) if value == value.to_integral_value() else value
            elif unit != "元":
                self.out.warn("unit_unknown", f"{TABLE}.{row.key}.{col}",
                              f"{raw!r} states no unit (元 or 万元); value left null, raw kept", [raw])
                value = None
        return Cell(TABLE, row.key, col, value, raw)

    # ------------------------------------------------------------------ run-together cells
    def _solve(self, runs, assigned, vcols) -> dict[str, tuple[tuple[int, ...], str]]:
        """Rows of run-together digits whose split is unique under the identities."""
        solved: dict[str, tuple[tuple[int, ...], str]] = {}
        fixed: dict[str, tuple[Optional[int], ...]] = {}
        for key, raws in assigned.items():
            fixed[key] = tuple(parse_cell(r).value if r else None for r in raws)
        for total, parts, name in (("requests_received", LEGACY_CHANNEL_ROWS, "the channels add up to "
                                    "受理依申请公开信息总数"),
                                   ("replies_total", LEGACY_REPLY_ROWS, "the replies add up to 对申请的答复数")):
            members = [k for k in (total,) + parts if k in runs or k in fixed]
            if total not in members or len(members) < 2 or not any(k in runs for k in members):
                continue
            if total == "replies_total" and not all(k in members for k in LEGACY_REPLY_ROWS_CORE):
                continue
            options = []
            for k in members:
                if k in runs:
                    options.append(runs[k][1])
                elif all(v is not None for v in fixed[k]):
                    options.append([fixed[k]])
                else:
                    options = []
                    break
            if not options or any(not o for o in options):
                continue
            n = 1
            for o in options:
                n *= len(o)
            if n > _MAX_COMBOS:
                continue
            found: dict[str, set] = {k: set() for k in members}
            for combo in itertools.product(*options):
                if all(combo[0][c] == sum(p[c] for p in combo[1:]) for c in range(len(vcols))):
                    for k, v in zip(members, combo):
                        found[k].add(v)
            for k in members:
                if k in runs and len(runs[k][1]) > 1 and len(found[k]) == 1:
                    solved[k] = (next(iter(found[k])), f"with {_order_text(vcols)} for which {name}")
        for key, (row, options) in runs.items():
            if key not in solved and len(options) == 1:
                solved[key] = (options[0], f"with {_order_text(vcols)}")
        return solved


def _order_text(vcols: list[str]) -> str:
    pairs = [f"{b} ≥ {a}" for a, b in LEGACY_ACCUMULATED if a in vcols and b in vcols]
    return " and ".join(pairs) if pairs else "every part a number"


def _splits(digits: str, vcols: list[str]) -> list[tuple[int, ...]]:
    """Every way to cut `digits` into one number per column, no leading zeros, with each
    accumulated column not below its part."""
    n = len(vcols)
    if len(digits) < n or len(digits) > 40:
        return []
    out = []
    for cuts in itertools.combinations(range(1, len(digits)), n - 1):
        parts = [digits[a:b] for a, b in zip((0,) + cuts, cuts + (len(digits),))]
        if any(len(p) > 1 and p[0] == "0" for p in parts):
            continue
        nums = tuple(int(p) for p in parts)
        if all(nums[vcols.index(b)] >= nums[vcols.index(a)]
               for a, b in LEGACY_ACCUMULATED if a in vcols and b in vcols):
            out.append(nums)
    return out


def _strip_numbering(gap: str, prepared: str, ordinal: Optional[int]) -> tuple[str, bool]:
    """Cut a label's own numbering (其中：1. / 2、 / （3） / 一、) off the end of the text before it.
    False when the numbering may have taken digits of a value (the numbers touch)."""
    s = prepared.rstrip()
    certain = True
    m = re.search(r"(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*\d{1,2}\s*[)）])\s*$", s)
    if m:
        s = s[:m.start()]
    else:
        m = re.search(r"(\d+)\s*[.．、]\s*$", s)
        if m:
            digits = m.group(1)
            want = str(ordinal) if ordinal else None
            touching = len(digits) > len(want or digits)
            if want and digits.endswith(want):
                s = s[:m.end(1) - len(want)]
            elif len(digits) <= 2 and (m.start() == 0 or not s[m.start() - 1].isdigit()):
                s = s[:m.start()]
                touching = False
            else:
                s = s[:m.end(1) - 1]
                certain = False
            certain = certain and (want is not None or not touching)
    s = re.sub(r"其\s*中\s*[:：]?\s*$", "", s)
    return gap[:len(s)], certain


def _atoms(gap: str, after_label: bool) -> list[_Atom]:
    """A gap's pieces: unit, values, an unknown label's text (with its own unit and values)."""
    atoms: list[_Atom] = []
    s = matching_form(gap)
    space_before = not after_label
    prev_end = 0
    for m in _PIECE.finditer(s):
        piece, raw = m.group(0), gap[m.start():m.end()]
        if piece.isspace():
            space_before = True
            continue
        touching = not space_before and m.start() == prev_end
        prev_end, space_before = m.end(), False
        if piece[0].isdigit() or piece[0] in "+-" and len(piece) > 1 and piece[1].isdigit():
            atoms.append(_Atom("value", raw, glued=touching and (not atoms or atoms[-1].kind != "value")))
            continue
        text = _QIZHONG.sub("", piece)
        if piece[0] in ".．、" and atoms and atoms[-1].kind == "value" and touching:
            # 221.信息不存在数: the numbering of an unknown row is glued to the value before it.
            atoms[-1].uncertain = True
            text = text[1:]
        if not text:
            continue
        raw = raw[len(raw) - len(text):]  # the published text of what is left
        unit = _UNIT_RE.match(text)
        if unit:
            if atoms and atoms[-1].kind == "value" and touching and unit.group(1) in ("万元", "元"):
                atoms[-1].text += raw
            else:
                atoms.append(_Atom("unit", unit.group(1)))
            continue
        if parse_cell(text).is_value and parse_cell(text).value is None:
            atoms.append(_Atom("value", raw))
            continue
        unit = re.search("(" + "|".join(_UNITS) + r")$", text)
        if unit and unit.start() > 0:
            atoms.append(_Atom("label", raw[:unit.start()]))
            atoms.append(_Atom("unit", unit.group(1)))
        else:
            atoms.append(_Atom("label", raw))
    return atoms


def _unit_in_label(label: str) -> Optional[str]:
    m = re.search(r"[(（]\s*(万元|元)\s*[)）]", label)
    return m.group(1) if m else None


def map_document(doc: Document) -> LegacyMapped:
    return _Mapper(doc).run()


def extract(doc: Document, result: ParseResult) -> LegacyMapped:
    """Find the statistics table of a pre-2019 report in `doc` (or, failing that, in its first
    attachment that has one) and add its cells and warnings to `result`; every other attachment
    with such a table is set against it (govreports.sources)."""
    mapped = map_document(doc)
    source = doc
    in_attachments = [(att, map_document(att)) for att in doc.attachments]
    if not mapped.found:
        for att, att_mapped in in_attachments:
            if att_mapped.found:
                result.warn("tables_from_attachment", "source",
                            f"the statistics table taken from the attachment {att.url}")
                att_mapped.consumed, att_mapped.cut = set(), {}
                mapped, source = att_mapped, att
                break
    if not mapped.found:
        return mapped
    result.cells.extend(mapped.cells)
    for code, where, message, raw in mapped.warnings:
        result.warn(code, where, message, raw)
    stored_from = "the page" if source is doc else f"the attachment {source.url}"
    for att, att_mapped in in_attachments:
        if att is not source and att_mapped.found:
            sources.cross_check(result, mapped.cells, stored_from, att.url, att_mapped.cells)
    if mapped.header_year and result.report_year and mapped.header_year != result.report_year:
        result.warn("legacy_year_mismatch", TABLE,
                    f"the table's column is for {mapped.header_year}, the report for {result.report_year}")
    return mapped
