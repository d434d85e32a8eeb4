"""The wide table's columns and their data dictionary (wide.csv, columns.csv), from the forms as data.

A wide row is one report; a value column is one cell of an official table, named
`table.row.col` with the contract's keys (`requests.new.natural_person`). The columns of an
export are every cell of the forms of the eras it contains (so two 2021 exports always have the
same columns, even where no report filled one), plus any other key present in its cells (the
pre-2019 `legacy` rows, which follow no national form, appear only where a report has them), in
the form's order: table 二, 三, 四, then the legacy statistics appendix.

Labels come from govreports.templates, so the dictionary and the parser never disagree.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govreports import templates as t

# Leading columns of wide.csv: which report the row is (join to reports.csv by url).
ID_COLUMNS = ("url", "issuer", "portal_code", "report_year", "template", "is_primary", "inferred_cells")
ID_DESCRIPTIONS = {
    "url": "Address of the report page; the key to join reports.csv, cells.csv and checks.csv.",
    "issuer": "发文机关: the body that published the report, as printed.",
    "portal_code": "6-digit division code (GB/T 2260) of the portal the report was found on; "
                   "its first two digits are the province. Empty for a page fetched by hand.",
    "report_year": "The year the report covers (not the year it was published).",
    "template": "Form era: 2019 (国办公开办函〔2019〕60号), 2021 (〔2021〕30号), pre2019 (no national "
                "form), unknown. Told from the table labels, not the year.",
    "is_primary": "true for the one row that counts for its issuer and year: a report reposted at "
                  "several URLs is one group (govreports.groups). Keep to it when summing reports.",
    "inferred_cells": "Value columns of this row that were not published but follow from the "
                      "form's identities (cells.csv inferred=true), separated by ';'. Leave them "
                      "out to use published figures only.",
}
DICTIONARY_COLUMNS = ("column", "table", "row", "col", "row_label", "col_label", "eras", "unit",
                      "description")

TABLE_ORDER = ("active", "requests", "appeals", "legacy")
TABLE_HEADINGS = {
    "active": "二、主动公开政府信息情况",
    "requests": "三、收到和处理政府信息公开申请情况",
    "appeals": "四、政府信息公开行政复议、行政诉讼情况",
    "legacy": "统计附表 (pre-2019 provincial statistics appendix)",
}
FORM_ERAS = ("2019", "2021")

# Units of the value columns: the form counts documents and applications (件), catalogued matters
# (项), money in 万元; the legacy fee row is in 元 (govreports.legacy converts to it).
_ACTIVE_UNITS = {"made": "件", "published": "件", "total_published": "件", "issued": "件",
                 "repealed": "件", "in_force": "件", "prev_year_items": "项", "change": "项",
                 "decisions": "件", "items": "项", "amount_wan_yuan": "万元"}
MONEY_UNITS = ("万元", "元")

_NOTES = {
    ("active", "change"): "Signed net change: a decrease is negative (减12 → -12, 增4 → 4).",
    ("active", "amount_wan_yuan"): "In 万元; a value published in 元 is divided by 10000 (the "
                                   "published text is cells.csv `raw`). 2019 fees count items, "
                                   "2021 fees are an amount: never compare them.",
    ("active", "decisions"): "The year's decisions (处理决定数量 in 2019, 本年处理决定数量 in 2021).",
    ("requests", "other"): "2019 form: one row. Not the sum of the 2021 other_* rows by definition.",
    ("legacy", "period"): "本期 is a month or a quarter, never the year.",
    ("legacy", "ytd"): "Year to date (本年累计) of a monthly or quarterly form.",
    ("legacy", "fees_yuan"): "In 元.",
}


@dataclass(frozen=True)
class ValueColumn:
    table: str
    row: str
    col: str
    row_label: str
    col_label: str
    eras: tuple[str, ...]
    unit: str
    description: str

    @property
    def name(self) -> str:
        return f"{self.table}.{self.row}.{self.col}"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.row, self.col)

    def dictionary_row(self) -> dict[str, str]:
        return {"column": self.name, "table": self.table, "row": self.row, "col": self.col,
                "row_label": self.row_label, "col_label": self.col_label,
                "eras": ";".join(self.eras), "unit": self.unit, "description": self.description}


def _rows_and_cols(table: str) -> tuple[tuple[t.Label, ...], tuple[t.Label, ...]]:
    if table == "active":
        return t.ACTIVE_ROWS, t.ACTIVE_COLUMNS
    if table == "requests":
        return t.REQUEST_ROWS, t.REQUEST_COLUMNS
    if table == "appeals":
        return (t.Label("all", "", ()),), t.APPEAL_COLUMNS
    return t.LEGACY_ROWS, t.LEGACY_COLUMNS


def eras_of(table: str, row: t.Label, col: t.Label) -> tuple[str, ...]:
    """The eras whose form has this cell (empty: none does)."""
    if table == "active":
        return tuple(e for e in FORM_ERAS if e in row.eras
                     and col.key in t.ACTIVE_BLOCK_COLUMNS[e].get(row.group, ()))
    if table == "requests":
        return tuple(e for e in FORM_ERAS if e in row.eras)
    if table == "appeals":
        return FORM_ERAS
    return ("pre2019",)


def _unit(table: str, row: str, col: str) -> str:
    if table == "active":
        return _ACTIVE_UNITS.get(col, "")
    if table == "legacy":
        return "元" if row == "fees_yuan" else "件"
    return "件"


def _column(table: str, row: t.Label, col: t.Label, eras: tuple[str, ...]) -> ValueColumn:
    row_label = row.label if table != "appeals" else ""
    where = " › ".join(x for x in (TABLE_HEADINGS[table], row_label, col.label) if x)
    form = f" ({', '.join(eras)} form)" if eras and table != "legacy" else ""
    notes = " ".join(n for n in (_NOTES.get((table, col.key)), _NOTES.get((table, row.key))) if n)
    return ValueColumn(table, row.key, col.key, row_label, col.label, eras,
                       _unit(table, row.key, col.key), f"{where}{form}. {notes}".strip())


def _off_form(key: tuple[str, str, str]) -> ValueColumn:
    table, row, col = key
    return ValueColumn(table, row, col, "", "", (), _unit(table, row, col),
                       f"{table}.{row}.{col}: a key present in the data but on no form of "
                       f"govreports.templates.")


def wide_columns(eras: Iterable[str], present: Iterable[tuple[str, str, str]] = ()) -> list[ValueColumn]:
    """The value columns of a wide table for these eras and these (table, row, col) keys present."""
    eras = set(eras)
    present = set(present)
    out: list[ValueColumn] = []
    for table in TABLE_ORDER:
        rows, cols = _rows_and_cols(table)
        for row in rows:
            for col in cols:
                cell_eras = eras_of(table, row, col)
                on_form = table != "legacy" and bool(eras & set(cell_eras))
                if table == "active" and not cell_eras:
                    continue  # no era's form has this row × column
                if on_form or (table, row.key, col.key) in present:
                    out.append(_column(table, row, col, cell_eras))
    known = {c.key for c in out}
    out += [_off_form(k) for k in sorted(present - known)]
    return out


def dictionary_rows(columns: Iterable[ValueColumn]) -> Iterable[dict[str, str]]:
    """columns.csv: the leading columns, then one row per value column."""
    for name in ID_COLUMNS:
        yield {"column": name, "table": "", "row": "", "col": "", "row_label": "", "col_label": "",
               "eras": "", "unit": "", "description": ID_DESCRIPTIONS[name]}
    for c in columns:
        yield c.dictionary_row()
