"""Parse speed: median ms per report over the golden corpus, beside a bare lxml parse of the same
HTML bytes, both measured in the same run (the machine is noisy; compare ratios, not ms).

The figure that counts (issue 7: full parse within 4x of bare `lxml.html.fromstring`) is the ratio
over the real report pages as served (tests/fixtures/real/*.html, whole portal pages of 200-370 kB
of Word markup). The synthetic markup fixtures (tests/fixtures/html, legacy) are small pages where
fixed costs dominate and lxml takes a fraction of a millisecond: their ratio is printed apart and
says little about a crawl. Text, PDF and DOCX files have no lxml baseline.

A group's ratio is the sum of its files' median parse times over the sum of their median lxml
times. "warm" is a parse with the label caches (normalised labels, cell values, label matches)
filled, as in a crawl where every report has the same form; "cold" empties them before each
parse, so a first report costs that much. Nothing keyed by a page or a sentence is cached, so
parsing the same page again is no shortcut.

Prints a table, then one line of JSON with the figures.

    python bench/parse.py [--repeat 31]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from govreports.parse import parse_page  # noqa: E402
from tests.fixture_pages import FIXTURES, load_page  # noqa: E402

TARGET_RATIO = 4.0
HTML_SUFFIXES = (".html", ".htm")


def golden_pages():
    for folder in sorted(p for p in FIXTURES.iterdir() if (p / "manifest.json").is_file()):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for name in sorted(k for k in manifest if not k.startswith("_")):
            if (folder / name).is_file():
                yield folder.name, name


def group_of(folder: str, name: str) -> str:
    if not name.endswith(HTML_SUFFIXES):
        return "other"
    return "real" if folder == "real" else "synthetic"


def clear_label_caches() -> None:
    """Empty every label-sized cache of the parser (lru caches larger than one entry, and the
    label indexes' memo), leaving the loaded dictionaries (OpenCC, divisions) in place."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("govreports") or module is None:
            continue
        for value in list(vars(module).values()):
            info = getattr(value, "cache_info", None)
            if callable(info) and (info().maxsize or 2) > 1:
                value.cache_clear()
            memo = getattr(value, "_cache", None)
            if isinstance(memo, dict) and type(value).__name__ == "LabelIndex":
                memo.clear()


def timed_ms(fn, before=None) -> float:
    if before is not None:
        before()
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def measure(page, with_lxml: bool, repeat: int) -> dict:
    """Median ms of a warm parse, a cold parse and a bare lxml parse, taken in turns so that a
    burst of load on the machine hits all three alike."""
    warm, cold, bare = [], [], []
    for i in range(repeat):
        if with_lxml:
            bare.append(timed_ms(lambda: lxml.html.fromstring(page.body)))
        warm.append(timed_ms(lambda: parse_page(page)))
        if i % 3 == 0:
            cold.append(timed_ms(lambda: parse_page(page), before=clear_label_caches))
    return {"parse_ms": statistics.median(warm), "cold_ms": statistics.median(cold),
            "lxml_ms": statistics.median(bare) if bare else None}


def ratio(rows: list[dict], key: str = "parse_ms") -> float | None:
    rows = [r for r in rows if r["lxml_ms"]]
    if not rows:
        return None
    return round(sum(r[key] for r in rows) / sum(r["lxml_ms"] for r in rows), 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=31)
    args = ap.parse_args()
    rows = []
    for folder, name in golden_pages():
        page = load_page(name, folder)
        parse_page(page)  # lazy imports, dictionaries, label caches
        group = group_of(folder, name)
        rows.append({"file": f"{folder}/{name}", "group": group, "kb": round(len(page.body) / 1024),
                     **measure(page, group != "other", args.repeat)})
    print(f"{'file':46} {'group':9} {'kB':>5} {'parse ms':>9} {'cold ms':>8} {'lxml ms':>8} {'ratio':>6}")
    for r in rows:
        lx = r["lxml_ms"]
        print(f"{r['file']:46} {r['group']:9} {r['kb']:5d} {r['parse_ms']:9.2f} {r['cold_ms']:8.2f} "
              + (f"{lx:8.2f} {r['parse_ms'] / lx:6.1f}" if lx else f"{'-':>8} {'-':>6}"))
    real = [r for r in rows if r["group"] == "real"]
    synthetic = [r for r in rows if r["group"] == "synthetic"]
    figures = {
        "bench": "parse",
        "repeat": args.repeat,
        "target_ratio": TARGET_RATIO,
        "real_html_files": len(real),
        "real_html_ratio": ratio(real),
        "real_html_ratio_cold": ratio(real, "cold_ms"),
        "real_html_parse_ms": {Path(r["file"]).name: round(r["parse_ms"], 2) for r in real},
        "real_html_lxml_ms": {Path(r["file"]).name: round(r["lxml_ms"], 2) for r in real},
        "synthetic_html_files": len(synthetic),
        "synthetic_html_ratio": ratio(synthetic),
        "files": len(rows),
        "parse_ms_median_all": round(statistics.median(r["parse_ms"] for r in rows), 2),
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
