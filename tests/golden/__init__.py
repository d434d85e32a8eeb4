"""The hand-read expectations of the golden files, one JSON file per fixture: the single source of
truth that the golden tests and `bench/accuracy.py` both read.

Each `<fixture-stem>.json` holds what a person read off the real document, never parser output:

- `fixture`: {"folder", "name"} under tests/fixtures (what `tests.fixture_pages.load_page` takes);
- `title`, `report_year`, `template`;
- `header`: the named header fields that were read (null = the document has none), `header_raw`
  the portal labels read, `header_raw_complete` whether that is every label the page shows;
- `cells`: every table cell, {table, row, col, value, raw, inferred}; `value` a JSON integer, null
  (a blank cell) or an exact decimal string ("7539.443252": a float would not be exact); `raw` null
  where the text as printed was not part of the reading; `inferred` true for a value the reports'
  identities fix but the document did not lay out (run-together digits, a short row);
  `cells_complete` says the list is every table cell the parser may emit;
- `unassignable`: figures published that no canonical cell can take (five of fifteen appeals
  figures, digits run together with more than one split), with the warning the parser must give;
- `text_cells`: cells of origin "text" (figures from the prose) that were read, or null if the
  file's tests say nothing about them.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

GOLDEN = Path(__file__).parent


def names() -> list[str]:
    """Every golden file's JSON stem, in a stable order."""
    return sorted(p.stem for p in GOLDEN.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    """One golden file's expectations, by fixture name ("pingtan-2019.html") or JSON stem.

    Decimal strings come back as Decimal, so they compare exactly with the parser's values."""
    stem = Path(name).stem if Path(name).suffix in (".html", ".txt", ".pdf", ".htm", ".docx") else name
    d = json.loads((GOLDEN / f"{stem}.json").read_text(encoding="utf-8"))
    for c in d["cells"] + (d.get("text_cells") or []):
        c["value"] = _number(c["value"])
    return d


def _number(v: Any) -> Any:
    # Only strings are decimals; JSON floats are not allowed in these files (they would round).
    assert not isinstance(v, float), v
    return Decimal(v) if isinstance(v, str) else v


def cells(g: dict[str, Any], table: Optional[str] = None, inferred: Optional[bool] = None) -> list[dict[str, Any]]:
    """The golden file's table cells, optionally of one table and one `inferred` state."""
    return [c for c in g["cells"] if (table is None or c["table"] == table)
            and (inferred is None or c["inferred"] == inferred)]


def by_key(g: dict[str, Any], table: str, inferred: Optional[bool] = None) -> dict[tuple[str, str], dict[str, Any]]:
    """{(row, col): cell} of one table."""
    return {(c["row"], c["col"]): c for c in cells(g, table, inferred)}


def rows(g: dict[str, Any], table: str, cols: tuple[str, ...], inferred: Optional[bool] = None) -> dict[str, tuple]:
    """{row: (value per col in `cols`)} of one table, rows in the order the file lists them."""
    keyed = by_key(g, table, inferred)
    order = list(dict.fromkeys(r for r, _ in keyed))
    return {r: tuple(keyed[(r, c)]["value"] for c in cols) for r in order}
