"""A report's figures published twice: the page's own tables and an attached PDF/DOC of the same
report, or two attachments. One copy is stored (tables.extract chooses it); this module sets
each other copy against it, so that a disagreement between them, or figures only the other copy
has, are recorded as warnings with their evidence instead of being passed over.
"""
from __future__ import annotations

from typing import Iterable, Optional

from govreports.model import Cell, ParseResult

# Evidence kept per warning: enough to look the cells up, not a second copy of the report.
MAX_EVIDENCE = 20

Key = tuple[str, str, str]


def _key(c: Cell) -> Key:
    return c.table, c.row, c.col


def _name(key: Key) -> str:
    return ".".join(key)


def cross_check(result: ParseResult, stored: Iterable[Cell], stored_from: str,
                other_url: Optional[str], other_cells: Iterable[Cell]) -> None:
    """Warn on `result` where `other_cells` (the tables of the file at other_url) give another
    value than the stored cells for the same table, row and column, and where they have cells the
    stored copy lacks. `stored_from` names the stored copy in the messages."""
    mine = {_key(c): c for c in stored if c.origin == "table"}
    differ: list[str] = []
    extra: list[str] = []
    shared = 0
    for c in other_cells:
        if c.origin != "table":
            continue
        key = _key(c)
        kept = mine.get(key)
        if kept is None:
            extra.append(f"{_name(key)}: {c.raw}")
            continue
        shared += 1
        if kept.value != c.value:
            inferred = " (inferred)" if kept.inferred else ""
            differ.append(f"{_name(key)}: {kept.raw or kept.value}{inferred} stored, {c.raw} in the attachment")
    if differ:
        result.warn("attachment_disagrees", "source",
                    f"the attachment {other_url} gives other figures than {stored_from} for "
                    f"{len(differ)} of the {shared} cells both have; the stored figures are {stored_from}'s",
                    differ[:MAX_EVIDENCE])
    if extra:
        result.warn("attachment_cells_unused", "source",
                    f"the attachment {other_url} has {len(extra)} cells that {stored_from} has "
                    f"not; they are not stored", extra[:MAX_EVIDENCE])
