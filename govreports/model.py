"""The parse result: what one report reduces to, in the keys of the contract (shared/schema/tables.md).

Every front end (HTML, flattened text, PDF, DOCX) fills the same ParseResult; the CLI prints it with
`to_dict()`, the SQL store saves it, the CSV export reads it back.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from operator import attrgetter
from typing import Any, Optional, Union

Number = Union[int, Decimal]

PASS, FAIL, NOT_ASSESSABLE = "pass", "fail", "not_assessable"


@dataclass
class Source:
    url: Optional[str] = None
    path: Optional[str] = None
    sha256: Optional[str] = None
    encoding: Optional[str] = None
    media_type: Optional[str] = None


@dataclass
class Header:
    index_no: Optional[str] = None
    issuer: Optional[str] = None
    written_date: Optional[str] = None
    published_date: Optional[str] = None
    doc_no: Optional[str] = None
    subject: Optional[str] = None
    category: Optional[str] = None
    raw: dict[str, str] = field(default_factory=dict)


@dataclass
class Division:
    """Where the issuer sits in China's administrative divisions (govreports.divisions)."""
    code: str
    province: str
    prefecture: Optional[str] = None
    county: Optional[str] = None
    level: str = "county"
    matched_text: str = ""


@dataclass
class Section:
    no: int
    heading: str
    text: str = ""


def _pickled_as_arguments(cls):
    """Pickle instances of a dataclass as its field values, given back to the class.

    A crawl's results come back from the parse workers pickled, hundreds of cells each; so
    pickled they load four times faster than through each instance's __dict__."""
    values = attrgetter(*(f.name for f in fields(cls)))
    cls.__reduce__ = lambda self: (cls, values(self))
    return cls


@_pickled_as_arguments
@dataclass
class Cell:
    table: str
    row: str
    col: str
    value: Optional[Number]
    raw: str
    # True when the value was not published but follows from the identities (templates.md §7.1 5.2).
    inferred: bool = False
    # Where the number came from: "table" (a table cell) or "text" (a figure stated in prose).
    origin: str = "table"


@_pickled_as_arguments
@dataclass
class Check:
    key: str
    status: str
    left: Optional[Number]
    right: Optional[Number]
    message: str = ""


@dataclass
class Warning:
    code: str
    where: str
    message: str
    raw: Optional[list[str]] = None


@dataclass
class ParseResult:
    source: Source = field(default_factory=Source)
    title: Optional[str] = None
    report_year: Optional[int] = None
    template: str = "unknown"
    header: Header = field(default_factory=Header)
    division: Optional[Division] = None
    sections: list[Section] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    def warn(self, code: str, where: str, message: str, raw: Optional[list[str]] = None) -> None:
        self.warnings.append(Warning(code, where, message, raw))

    def cell(self, table: str, row: str, col: str) -> Optional[Cell]:
        for c in self.cells:
            if c.table == table and c.row == row and c.col == col:
                return c
        return None

    def value(self, table: str, row: str, col: str) -> Optional[Number]:
        c = self.cell(table, row, col)
        return None if c is None else c.value

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ParseResult":
        return cls(
            source=Source(**d.get("source") or {}),
            title=d.get("title"),
            report_year=d.get("report_year"),
            template=d.get("template") or "unknown",
            header=Header(**d.get("header") or {}),
            division=Division(**d["division"]) if d.get("division") else None,
            sections=[Section(**s) for s in d.get("sections") or []],
            cells=[Cell(**{**c, "value": to_number(c.get("value"))}) for c in d.get("cells") or []],
            checks=[Check(**{**c, "left": to_number(c.get("left")), "right": to_number(c.get("right"))})
                    for c in d.get("checks") or []],
            warnings=[Warning(**w) for w in d.get("warnings") or []],
        )


def to_number(v: Any) -> Optional[Number]:
    """A JSON/DB number back to int or Decimal (floats go through their shortest repr)."""
    if v is None or isinstance(v, (int, Decimal)) and not isinstance(v, bool):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else Decimal(repr(v))
    d = Decimal(str(v))
    return int(d) if d == d.to_integral_value() and "." not in str(v) else d


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {k: _jsonable(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_jsonable(v) for v in o]
    if isinstance(o, Decimal):
        # JSON has one number type; a float's shortest repr keeps every published decimal digit.
        return float(o)
    return o
