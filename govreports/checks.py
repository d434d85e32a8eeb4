"""The identities (勾稽关系) a report's tables must satisfy, each checked with its evidence.

A failed check never drops anything: the failures are data too. A check whose inputs are missing
(null cells, a row not published) is `not_assessable`, never a pass. Keys and rules:
shared/schema/tables.md "Checks" and templates.md §6.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional

from govreports.model import FAIL, NOT_ASSESSABLE, PASS, Cell, Check, Number, ParseResult
from govreports.templates import (
    APPLICANT_KEYS, LEGACY_ACCUMULATED, LEGACY_CHANNEL_ROWS, LEGACY_COLUMN_KEYS, LEGACY_REPLY_ROWS,
    LEGACY_REPLY_ROWS_CORE, OTHER_2021, OUTCOME_ROWS_COMMON, REQUEST_COLUMN_KEYS, REQUEST_ROW_KEYS)

APPEAL_BLOCKS = ("review", "suit_direct", "suit_after_review")


def _sum(values: Iterable[Optional[Number]]) -> Optional[Number]:
    total: Number = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def compare(key: str, left: Optional[Number], right: Optional[Number], what: str) -> Check:
    if left is None or right is None:
        return Check(key, NOT_ASSESSABLE, left, right, f"{what}: an input is missing")
    status = PASS if left == right else FAIL
    sign = "=" if status == PASS else "≠"
    return Check(key, status, left, right, f"{what}: {left} {sign} {right}")


def _index(result: ParseResult) -> dict[tuple[str, str, str], Cell]:
    """The cells by (table, row, col), the first of a key winning as in ParseResult.cell: one
    pass, where a lookup per input (ParseResult.value scans the list) made the checks O(n²)."""
    index: dict[tuple[str, str, str], Cell] = {}
    for c in result.cells:
        index.setdefault((c.table, c.row, c.col), c)
    return index


def _value(index: dict[tuple[str, str, str], Cell], table: str, row: str, col: str) -> Optional[Number]:
    c = index.get((table, row, col))
    return None if c is None else c.value


def _requests(result: ParseResult, index: Optional[dict] = None) -> list[Check]:
    index = _index(result) if index is None else index
    # The table's values by (row, col): one dict lookup per input, not a call and a lookup.
    values = {(r, c): cell.value for (t, r, c), cell in index.items() if t == "requests"}
    get: Callable[[str, str], Optional[Number]] = lambda r, c: values.get((r, c))
    rows = {c.row for c in result.cells if c.table == "requests"}
    if not rows:
        return []
    inferred_rows = {c.row for c in result.cells if c.table == "requests" and c.inferred}
    checks = []
    for col in REQUEST_COLUMN_KEYS:
        left = _sum([get("new", col), get("carried_over", col)])
        right = _sum([get("total", col), get("carried_forward", col)])
        checks.append(compare(f"requests.balance.{col}", left, right,
                              "本年新收 + 上年结转 vs 总计 + 结转下年度"))
    for row in REQUEST_ROW_KEYS:
        if row not in rows:
            continue
        check = compare(f"requests.row_total.{row}", _sum([get(row, c) for c in APPLICANT_KEYS]),
                        get(row, "total"), "sum of the six applicant columns vs 总计")
        if row in inferred_rows:
            # The row was completed by this very identity: checking it again proves nothing.
            check.status = NOT_ASSESSABLE
            check.message += " (row completed by inference from this identity)"
        checks.append(check)
    uses_2021 = any(r in rows for r in OTHER_2021)
    outcome_rows = OUTCOME_ROWS_COMMON + (OTHER_2021 if uses_2021 else ("other",))
    for col in REQUEST_COLUMN_KEYS:
        checks.append(compare(f"requests.outcomes.{col}", _sum([get(r, col) for r in outcome_rows]),
                              get("total", col), "sum of the outcome rows vs （七）总计"))
    return checks


def _appeals(result: ParseResult, index: Optional[dict] = None) -> list[Check]:
    if not any(c.table == "appeals" for c in result.cells) and not any(
            w.where.startswith("appeals") for w in result.warnings):
        return []
    index = _index(result) if index is None else index
    checks = []
    for block in APPEAL_BLOCKS:
        parts = [_value(index, "appeals", "all", f"{block}_{o}")
                 for o in ("upheld", "corrected", "other", "pending")]
        checks.append(compare(f"appeals.{block}_total", _sum(parts),
                              _value(index, "appeals", "all", f"{block}_total"),
                              "four outcomes vs 总计"))
    return checks


def _legacy(result: ParseResult) -> list[Check]:
    """templates.md §6.4b, from the 其中 structure of the pre-2019 statistics table. Only the
    table's own cells count (text-origin figures are claims to compare, not inputs), and a cell
    inferred from run-together digits proves nothing: its split was chosen by these very rules."""
    cells = {(c.row, c.col): c for c in result.cells if c.table == "legacy" and c.origin == "table"}
    if not cells:
        return []
    rows = {r for r, _ in cells}
    cols = [c for c in LEGACY_COLUMN_KEYS if any(col == c for _, col in cells)]
    checks = []

    def part_sum(key: str, total: str, parts: tuple[str, ...], col: str, what: str) -> Check:
        present = [p for p in parts if p in rows]
        inputs = [cells.get((r, col)) for r in [total] + present]
        check = compare(key, cells[(total, col)].value if (total, col) in cells else None,
                        _sum(c.value if c else None for c in inputs[1:]) if present else None, what)
        if any(c is not None and c.inferred for c in inputs):
            check.status = NOT_ASSESSABLE
            check.message += " (cells inferred from digits run together)"
        return check

    for col in cols:
        if "requests_received" in rows or any(r in rows for r in LEGACY_CHANNEL_ROWS):
            checks.append(part_sum(f"legacy.channels.{col}", "requests_received", LEGACY_CHANNEL_ROWS, col,
                                   "受理依申请公开信息总数 vs the sum of the channel rows"))
        if "replies_total" in rows or any(r in rows for r in LEGACY_REPLY_ROWS):
            check = part_sum(f"legacy.replies.{col}", "replies_total", LEGACY_REPLY_ROWS, col,
                             "对申请的答复数 vs the sum of the reply rows")
            if not all(r in rows for r in LEGACY_REPLY_ROWS_CORE) and check.status != NOT_ASSESSABLE:
                check.status = NOT_ASSESSABLE
                check.message += " (同意公开 / 同意部分公开 / 否决公开 not all published)"
            checks.append(check)
    off, assessed = [], 0
    for part, whole in LEGACY_ACCUMULATED:
        for row in sorted(rows):
            a, b = cells.get((row, part)), cells.get((row, whole))
            if a is None or b is None or a.value is None or b.value is None or a.inferred or b.inferred:
                continue
            assessed += 1
            if b.value < a.value:
                off.append(f"{row}: {whole} {b.raw} < {part} {a.raw}")
    if any(p in cols and w in cols for p, w in LEGACY_ACCUMULATED):
        status = FAIL if off else PASS if assessed else NOT_ASSESSABLE
        checks.append(Check("legacy.cumulative", status, len(off) if assessed else None, 0 if assessed else None,
                            f"accumulated column ≥ its part in {assessed} rows" +
                            (f"; off: {', '.join(off[:10])}" if off else "")))
    return checks


def _domain(result: ParseResult) -> list[Check]:
    """values.domain: counts are whole and not negative; only 本年增/减 may be negative; amounts
    may be decimal but not negative."""
    if not result.cells:
        return []
    bad = []
    for c in result.cells:
        if c.value is None or c.table not in ("active", "requests", "appeals", "legacy"):
            continue
        amount = c.col.startswith("amount") or c.row == "fees_yuan"
        if (c.value < 0 and c.col != "change") or (not amount and c.value != int(c.value)):
            bad.append(f"{c.table}.{c.row}.{c.col}={c.raw}")
    status = FAIL if bad else PASS
    message = "counts whole and ≥ 0, amounts ≥ 0" + (f"; off: {', '.join(bad[:10])}" if bad else "")
    return [Check("values.domain", status, len(bad), 0, message)]


def run(result: ParseResult) -> list[Check]:
    index = _index(result)
    return _requests(result, index) + _appeals(result, index) + _legacy(result) + _domain(result)


def continuity(previous: ParseResult, current: ParseResult) -> list[Check]:
    """requests.continuity.<col>: carried_over of year N equals carried_forward of year N-1."""
    return [compare(f"requests.continuity.{col}",
                    current.value("requests", "carried_over", col),
                    previous.value("requests", "carried_forward", col),
                    f"上年结转 {current.report_year} vs 结转下年度 {previous.report_year}")
            for col in REQUEST_COLUMN_KEYS]
