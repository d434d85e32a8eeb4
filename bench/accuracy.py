"""Accuracy over the golden files (issue 3): how many of the cells a person read off each real
document the parser gives back, with the right value, and how many it gets wrong.

The expectations are tests/golden/<fixture>.json, the same files the golden tests read (never
parser output). For every golden file the report page is loaded as a crawl would have fetched it
(tests.fixture_pages.load_page), parsed (govreports.parse.parse_page) and compared cell by cell:

- right: the cell is there with the expected value (and raw text and `inferred` flag where the
  golden file gives them);
- wrong: the cell is there with another value, raw or `inferred` flag — the figure that matters,
  a number in the dataset that is not the number published;
- missing: a golden cell the parser did not give;
- extra: a table cell (origin "table") the golden file does not list. Cells of origin "text"
  (figures from the prose) are counted apart, with how many of those the golden file lists right.

"unassignable" counts figures the document publishes that no canonical cell can take (five of
the fifteen appeals figures, digits run together with several splits); the parser must leave
them out with a warning, so they are neither expected nor missing. Recall is right / expected.
Header accuracy is over the named header fields each golden file lists; title, report year and
template are counted per file.

Prints a table per file, the totals, then one line of JSON with the figures. Exits 1 if any cell
is wrong, so a CI job can gate on it.

    python bench/accuracy.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from govreports.parse import parse_page  # noqa: E402
from tests import golden  # noqa: E402
from tests.fixture_pages import load_page  # noqa: E402

TARGET_RECALL = 0.99


def _matches(want: dict, got) -> bool:
    # raw null in a golden file means the printed text was not part of the reading: not compared.
    return (got.value == want["value"] and type(got.value) is type(want["value"])
            and (want["raw"] is None or got.raw == want["raw"])
            and got.inferred == want["inferred"])


def score(name: str) -> dict:
    """One golden file: the parse compared with what was read by hand."""
    g = golden.load(name)
    r = parse_page(load_page(g["fixture"]["name"], g["fixture"]["folder"]))
    got = {(c.table, c.row, c.col): c for c in r.cells if c.origin == "table"}
    text = {(c.table, c.row, c.col): c for c in r.cells if c.origin != "table"}
    want = {(c["table"], c["row"], c["col"]): c for c in g["cells"]}

    s = {"file": g["fixture"]["name"], "expected": len(want), "right": 0, "wrong": 0, "missing": 0,
         "extra": 0, "inferred_expected": sum(c["inferred"] for c in want.values()),
         "unassignable": sum(u["cells"] for u in g["unassignable"]), "text_cells": len(text),
         "text_right": None, "details": []}
    for key, w in want.items():
        c = got.get(key)
        if c is None:
            s["missing"] += 1
            s["details"].append(f"missing {'.'.join(key)} (want {w['value']!r})")
        elif _matches(w, c):
            s["right"] += 1
        else:
            s["wrong"] += 1
            s["details"].append(f"WRONG {'.'.join(key)}: got {c.value!r} raw {c.raw!r} inferred {c.inferred},"
                                f" want {w['value']!r} raw {w['raw']!r} inferred {w['inferred']}")
    extra = sorted(set(got) - set(want)) if g["cells_complete"] else []
    s["extra"] = len(extra)
    s["details"] += [f"extra {'.'.join(k)} = {got[k].value!r}" for k in extra]
    # The parser must leave an unassignable figure out (a cell for it would be "extra") and say so.
    for u in g["unassignable"]:
        if not any(w.code == u["warning"] and w.where == f"{u['table']}.{u['row']}" for w in r.warnings):
            s["details"].append(f"unassignable {u['table']}.{u['row']}: no {u['warning']} warning")
    if g.get("text_cells") is not None:
        want_text = {(c["table"], c["row"], c["col"]): c for c in g["text_cells"]}
        s["text_right"] = sum(1 for k, w in want_text.items()
                              if k in text and text[k].value == w["value"] and text[k].raw == w["raw"])
        s["text_expected"] = len(want_text)

    h = g["header"]
    s["header_total"] = len(h)
    s["header_right"] = sum(getattr(r.header, f) == v for f, v in h.items())
    s["header_wrong"] = [f for f, v in h.items() if getattr(r.header, f) != v]
    s["title_ok"] = r.title == g["title"]
    s["year_ok"] = r.report_year == g["report_year"]
    s["template_ok"] = r.template == g["template"]
    return s


def main() -> int:
    rows = [score(n) for n in golden.names()]
    head = f"{'file':40} {'expect':>6} {'right':>6} {'wrong':>5} {'miss':>5} {'extra':>5} {'unasg':>5} " \
           f"{'text':>4} {'read':>5} {'header':>7}  title year tmpl"
    print(head)
    print("-" * len(head))
    for s in rows:
        yn = lambda ok: "ok" if ok else "NO"  # noqa: E731
        # "read": text cells right of those the golden file lists ("-": the file lists none).
        read = f"{s['text_right']}/{s['text_expected']}" if s["text_right"] is not None else "-"
        print(f"{s['file']:40} {s['expected']:6} {s['right']:6} {s['wrong']:5} {s['missing']:5} {s['extra']:5} "
              f"{s['unassignable']:5} {s['text_cells']:4} {read:>5} {s['header_right']:3}/{s['header_total']:<3}  "
              f"{yn(s['title_ok']):5} {yn(s['year_ok']):4} {yn(s['template_ok'])}")
        for d in s["details"]:
            print(f"    {d}")
        if s["header_wrong"]:
            print(f"    header wrong: {', '.join(s['header_wrong'])}")

    tot = {k: sum(s[k] for s in rows) for k in ("expected", "right", "wrong", "missing", "extra",
                                                "inferred_expected", "unassignable", "text_cells",
                                                "header_right", "header_total")}
    recall = tot["right"] / tot["expected"] if tot["expected"] else 0.0
    header_acc = tot["header_right"] / tot["header_total"] if tot["header_total"] else 0.0
    meta_ok = sum(s["title_ok"] + s["year_ok"] + s["template_ok"] for s in rows)
    print("-" * len(head))
    print(f"{'total':40} {tot['expected']:6} {tot['right']:6} {tot['wrong']:5} {tot['missing']:5} "
          f"{tot['extra']:5} {tot['unassignable']:5} {tot['text_cells']:4} {'':5} "
          f"{tot['header_right']:3}/{tot['header_total']:<3}")
    print(f"cell recall {recall:.4f} (target >= {TARGET_RECALL}), wrong cells {tot['wrong']}, "
          f"header accuracy {header_acc:.4f}, title/year/template {meta_ok}/{3 * len(rows)}; "
          f"{tot['inferred_expected']} of the expected cells are inferred (run-together digits, a short row), "
          f"{tot['unassignable']} published figures have no canonical cell")
    print(json.dumps({
        "files": len(rows), "cells_expected": tot["expected"], "cells_right": tot["right"],
        "cells_wrong": tot["wrong"], "cells_missing": tot["missing"], "cells_extra": tot["extra"],
        "cells_unassignable": tot["unassignable"], "text_cells": tot["text_cells"],
        "recall": round(recall, 4), "header_accuracy": round(header_acc, 4),
        "title_year_template_right": meta_ok, "title_year_template_total": 3 * len(rows)}))
    return 1 if tot["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
