"""Parse speed: median ms per report over the golden corpus, beside a bare lxml parse of the same
HTML pages, measured in the same run (the machine is noisy; compare the ratio, not the ms).

Target (issue 7): the full parse (header, tables, checks) of an HTML report within 4x of the bare
lxml parse. Prints a table, then one line of JSON with the figures.

    python bench/parse.py [--repeat 15]
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


def golden_pages():
    for folder in sorted(p for p in FIXTURES.iterdir() if (p / "manifest.json").is_file()):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for name in sorted(k for k in manifest if not k.startswith("_")):
            if (folder / name).is_file():
                yield folder.name, name


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    rows = []
    for folder, name in golden_pages():
        page = load_page(name, folder)
        parse_page(page)  # warm caches (label normalisation, lazy imports)
        parse_ms = median_ms(lambda: parse_page(page), args.repeat)
        is_html = name.endswith((".html", ".htm"))
        lxml_ms = median_ms(lambda: lxml.html.fromstring(page.body), args.repeat) if is_html else None
        rows.append((f"{folder}/{name}", parse_ms, lxml_ms))
    print(f"{'file':50} {'parse ms':>9} {'lxml ms':>8} {'ratio':>6}")
    for name, p, lx in rows:
        ratio = f"{p / lx:6.1f}" if lx else "     -"
        print(f"{name:50} {p:9.1f} {lx if lx is not None else float('nan'):8.1f} {ratio}")
    html = [(p, lx) for _, p, lx in rows if lx]
    figures = {
        "files": len(rows),
        "parse_ms_median": round(statistics.median(p for _, p, _ in rows), 2),
        "html_parse_ms_median": round(statistics.median(p for p, _ in html), 2) if html else None,
        "lxml_ms_median": round(statistics.median(lx for _, lx in html), 2) if html else None,
    }
    figures["ratio"] = (round(figures["html_parse_ms_median"] / figures["lxml_ms_median"], 2)
                        if html else None)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
