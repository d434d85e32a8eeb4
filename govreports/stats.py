"""The dataset's headline figures: `python -m govreports stats [--plot DIR]`.

What a researcher asks first of a crawl: which provinces and years are covered, how many reports
had tables the parser could read, how often the reports' own arithmetic (勾稽关系) fails and
where, how many requests governments received each year and how they were answered.

Current versions only (as the export), and each issuer's report for a year once: a report
reposted at several URLs is one group whose primary version counts (report_versions.is_primary,
govreports.groups); the pages are counted apart. Outcome shares use only reports whose outcomes
add up to their （七）总计 (check requests.outcomes.total passes), so a year's shares add up to 100%.

`compute` reads the store with a few aggregate queries (SQLite or PostgreSQL), `render` prints
plain text tables (Chinese text aligned by display width), `plot` draws PNG charts with
matplotlib (Agg backend, a CJK font when one is installed, e.g. Debian's fonts-noto-cjk).
"""
from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Union

from sqlalchemy import func, inspect, select, table

from govreports.export import PROVINCES
from govreports.model import to_number
from govreports.store import CellRow, CheckRow, Report, ReportVersion, Store
from govreports.templates import OTHER_2021
from govreports.views import CHECK_FAMILIES, check_family

NO_CODE = "(no portal code)"
# Outcome groups of table 三, in the form's order: (label, row keys or key prefix).
OUTCOME_GROUPS = (
    ("disclosed", "予以公开", ("disclosed",)),
    ("partly_disclosed", "部分公开", ("partly_disclosed",)),
    ("withheld", "不予公开", "withheld_"),
    ("unavailable", "无法提供", "unavailable_"),
    ("rejected", "不予处理", "rejected_"),
    ("other", "其他处理", ("other",) + OTHER_2021),
)
OUTCOMES_CHECK = "requests.outcomes.total"
# Where the plot looks for a font with Chinese glyphs, best first.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")

Number = Union[int, Decimal]


class PlotError(RuntimeError):
    """Charts cannot be drawn (matplotlib missing)."""


@dataclass
class FamilyFigures:
    assessed: int = 0          # pass + fail
    failed: int = 0
    not_assessable: int = 0
    reports_failing: int = 0

    @property
    def failure_rate(self) -> Optional[float]:
        return self.failed / self.assessed if self.assessed else None


@dataclass
class Figures:
    n_pages: int = 0           # current versions, reposts included
    n_reports: int = 0         # primary versions: one per issuer and year
    n_issuers: int = 0
    n_portals: int = 0
    by_template: dict[str, int] = field(default_factory=dict)
    # (province name or NO_CODE, year or None) -> reports
    coverage: dict[tuple[str, Optional[int]], int] = field(default_factory=dict)
    # year -> (reports, reports with at least one table cell)
    tables_found: dict[Optional[int], tuple[int, int]] = field(default_factory=dict)
    checks: dict[str, FamilyFigures] = field(default_factory=dict)
    reports_failing_any: int = 0
    # None: the store keeps no record of blocked fetches; else rows per table that does.
    blocked: Optional[dict[str, int]] = None
    # year -> (reports with a value, sum of requests.new.total, sum of requests.carried_over.total)
    requests: dict[int, tuple[int, Number, Number]] = field(default_factory=dict)
    # year -> (reports counted, {outcome group: sum of its rows' totals}, handled = their sum)
    outcomes: dict[int, tuple[int, dict[str, Number], Number]] = field(default_factory=dict)

    def share(self, year: int, group: str) -> Optional[float]:
        _, sums, handled = self.outcomes[year]
        return float(sums[group]) / float(handled) if handled else None


def province_of(portal_code: Optional[str]) -> str:
    if not portal_code:
        return NO_CODE
    return PROVINCES.get(portal_code[:2], portal_code[:2])


def _outcome_group(row: str) -> Optional[str]:
    for name, _, rows in OUTCOME_GROUPS:
        if row in rows if isinstance(rows, tuple) else row.startswith(rows):
            return name
    return None


def compute(store: Store) -> Figures:
    """The figures of the current versions in the store."""
    f = Figures()
    pages = store.current_reports()
    reports = [r for r in pages if r["is_primary"]]
    n_cells = store.count_cells()
    year_of = {r["version_id"]: r["report_year"] for r in reports}
    f.n_pages, f.n_reports = len(pages), len(reports)
    f.n_issuers = len({r["issuer"] for r in reports if r["issuer"]})
    f.n_portals = len({r["portal_code"] for r in reports if r["portal_code"]})
    f.by_template = dict(Counter(r["template"] for r in reports).most_common())
    coverage: Counter = Counter()
    found: dict[Optional[int], list[int]] = defaultdict(lambda: [0, 0])
    for r in reports:
        coverage[province_of(r["portal_code"]), r["report_year"]] += 1
        found[r["report_year"]][0] += 1
        found[r["report_year"]][1] += n_cells.get(r["version_id"], 0) > 0
    f.coverage = dict(coverage)
    f.tables_found = {y: (n, k) for y, (n, k) in found.items()}

    current = (ReportVersion.id == Report.current_version_id) & ReportVersion.is_primary
    with store.session() as s:
        # Checks: counts per key and status, then failing reports per family.
        families: dict[str, FamilyFigures] = defaultdict(FamilyFigures)
        stmt = (select(CheckRow.check_key, CheckRow.status, func.count())
                .join(ReportVersion, CheckRow.version_id == ReportVersion.id).join(Report, current)
                .group_by(CheckRow.check_key, CheckRow.status))
        for key, status, n in s.execute(stmt):
            fam = families[check_family(key)]
            if status == "not_assessable":
                fam.not_assessable += n
            else:
                fam.assessed += n
                fam.failed += n if status == "fail" else 0
        failing: dict[str, set[int]] = defaultdict(set)
        stmt = (select(CheckRow.version_id, CheckRow.check_key)
                .join(ReportVersion, CheckRow.version_id == ReportVersion.id).join(Report, current)
                .where(CheckRow.status == "fail").distinct())
        for vid, key in s.execute(stmt):
            failing[check_family(key)].add(vid)
        order = [name for name, _ in CHECK_FAMILIES]
        for name in sorted(families, key=lambda n: (order.index(n) if n in order else len(order), n)):
            families[name].reports_failing = len(failing.get(name, ()))
            f.checks[name] = families[name]
        f.reports_failing_any = len(set().union(*failing.values())) if failing else 0

        balanced = set(s.scalars(
            select(CheckRow.version_id)
            .join(ReportVersion, CheckRow.version_id == ReportVersion.id).join(Report, current)
            .where(CheckRow.check_key == OUTCOMES_CHECK, CheckRow.status == "pass")))
        # Table 三's 总计 column: requests received, carried over, and every outcome row.
        stmt = (select(CellRow.version_id, CellRow.row_key, CellRow.value_exact)
                .join(ReportVersion, CellRow.version_id == ReportVersion.id).join(Report, current)
                .where(CellRow.table_key == "requests", CellRow.col_key == "total",
                       CellRow.value_exact.is_not(None)))
        totals: dict[int, dict[str, Number]] = defaultdict(dict)
        for vid, row, exact in s.execute(stmt):
            totals[vid][row] = to_number(exact)

    received: dict[int, list] = defaultdict(lambda: [0, 0, 0])
    outcomes: dict[int, list] = defaultdict(lambda: [0, Counter()])
    for vid, rows in totals.items():
        year = year_of.get(vid)
        if year is None:
            continue
        if "new" in rows:
            received[year][0] += 1
            received[year][1] += rows["new"]
            received[year][2] += rows.get("carried_over", 0)
        if vid in balanced:
            outcomes[year][0] += 1
            for row, v in rows.items():
                group = _outcome_group(row)
                if group:
                    outcomes[year][1][group] += v
    f.requests = {y: tuple(v) for y, v in sorted(received.items())}
    for y, (n, sums) in sorted(outcomes.items()):
        full = {name: sums.get(name, 0) for name, _, _ in OUTCOME_GROUPS}
        f.outcomes[y] = (n, full, sum(full.values()))
    f.blocked = _blocked(store)
    return f


def _blocked(store: Store) -> Optional[dict[str, int]]:
    # The crawl counts anti-bot answers in its stats (govreports/blocked/*) but stores none yet;
    # a table for them, once the store has one, is reported by its row count.
    tables = [t for t in inspect(store.engine).get_table_names() if "blocked" in t]
    if not tables:
        return None
    with store.engine.connect() as conn:
        return {t: conn.execute(select(func.count()).select_from(table(t))).scalar() for t in tables}


# --------------------------------------------------------------------------- text

def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(s))
    return gap + s if right else s + gap


def text_table(headers: list[str], rows: list[list[Any]]) -> str:
    """Columns aligned by display width (a Chinese character takes two); numbers to the right."""
    cells = [[_fmt(v) for v in r] for r in rows]
    widths = [max(_width(x) for x in col) for col in zip(headers, *cells)]
    numeric = [bool(rows) and all(_numeric(r[i]) for r in rows) for i in range(len(headers))]
    lines = ["  ".join(_pad(h, w, bool(n)) for h, w, n in zip(headers, widths, numeric)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(_pad(x, w, bool(n)) for x, w, n in zip(r, widths, numeric)).rstrip())
    return "\n".join(lines)


def _numeric(v: Any) -> bool:
    return v is None or isinstance(v, (int, float, Decimal)) or (
        isinstance(v, str) and (v == "-" or v.endswith("%")))


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _year(y: Optional[int]) -> str:
    return "?" if y is None else str(y)


def render(f: Figures) -> str:
    """The figures as plain text tables."""
    out = [f"Reports (one per issuer and year): {f.n_reports}   pages (reposts included): {f.n_pages}",
           f"Issuers: {f.n_issuers}   portals: {f.n_portals}",
           "By template: " + (" · ".join(f"{t} {n}" for t, n in f.by_template.items()) or "-"), ""]
    years = sorted({y for _, y in f.coverage}, key=lambda y: (y is None, y or 0))
    provinces = sorted({p for p, _ in f.coverage}, key=lambda p: (p == NO_CODE, p))
    out.append("Reports by province and year")
    rows = [[p] + [f.coverage.get((p, y)) for y in years] + [sum(f.coverage.get((p, y), 0) for y in years)]
            for p in provinces]
    rows.append(["total"] + [sum(f.coverage.get((p, y), 0) for p in provinces) for y in years]
                + [f.n_reports])
    out += [text_table(["province"] + [_year(y) for y in years] + ["total"], rows), ""]

    out.append("Tables found (reports with at least one cell of an official table)")
    rows = [[_year(y), n, k, _pct(k, n)] for y, (n, k) in
            sorted(f.tables_found.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))]
    n_all = sum(n for n, _ in f.tables_found.values())
    k_all = sum(k for _, k in f.tables_found.values())
    rows.append(["all", n_all, k_all, _pct(k_all, n_all)])
    out += [text_table(["year", "reports", "with tables", "share"], rows), ""]

    out.append(f"Checks (勾稽关系) by family; reports with any failure: {f.reports_failing_any}")
    rows = [[name, c.assessed, c.failed, _pct(c.failed, c.assessed), c.not_assessable, c.reports_failing]
            for name, c in f.checks.items()]
    out += [text_table(["family", "assessed", "failed", "failure rate", "not assessable",
                        "reports failing"], rows) if rows else "no checks stored", ""]

    if f.blocked is None:
        out += ["Blocked fetches: not recorded (the store keeps none; the crawl counts them in its "
                "stats, govreports/blocked/*)", ""]
    else:
        out += ["Blocked fetches: " + ", ".join(f"{n} in {t}" for t, n in f.blocked.items()), ""]

    out.append("Requests received per year (table 三, 一、本年新收 and 二、上年结转, 总计 column)")
    rows = [[y, n, new, carried] for y, (n, new, carried) in f.requests.items()]
    out += [text_table(["year", "reports", "received", "carried over"], rows) if rows
            else "no requests table stored", ""]

    out.append("Outcomes per year, share of requests handled (reports whose outcomes add up to 总计)")
    out.append("  " + " · ".join(f"{name} = {label}" for name, label, _ in OUTCOME_GROUPS))
    headers = ["year", "reports", "handled"] + [name for name, _, _ in OUTCOME_GROUPS]
    rows = [[y, n, handled] + [_pct(float(sums[name]), float(handled)) for name, _, _ in OUTCOME_GROUPS]
            for y, (n, sums, handled) in f.outcomes.items()]
    out.append(text_table(headers, rows) if rows else "no report with balanced outcomes")
    return "\n".join(out)


# --------------------------------------------------------------------------- charts

def cjk_font() -> Optional[str]:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            return name
    return next((n for n in sorted(names) if "CJK" in n), None)


def plot(f: Figures, out_dir: Union[str, Path]) -> list[Path]:
    """Draw coverage.png, requests_per_year.png and outcome_shares.png into out_dir."""
    try:
        import matplotlib
    except ImportError as exc:
        raise PlotError("--plot needs the optional package matplotlib (pip install matplotlib)") from exc
    matplotlib.use("Agg")  # no display on a server or in CI
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    rc = {"font.sans-serif": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
          "font.family": "sans-serif", "axes.unicode_minus": False}
    # Without a Chinese font the province names would be empty boxes: show their codes instead.
    name_to_code = {v: k for k, v in PROVINCES.items()}

    def label(p: str) -> str:
        return p if font or p == NO_CODE else name_to_code.get(p, p)

    paths = []
    with plt.rc_context(rc):
        paths.append(_plot_coverage(plt, f, out / "coverage.png", label, font))
        paths.append(_plot_requests(plt, f, out / "requests_per_year.png", font))
        paths.append(_plot_outcomes(plt, f, out / "outcome_shares.png", font))
    return paths


def _title(font: Optional[str], zh: str, en: str) -> str:
    return f"{en} ({zh})" if font else en


def _plot_coverage(plt: Any, f: Figures, path: Path, label: Any, font: Optional[str]) -> Path:
    years = sorted({y for _, y in f.coverage if y is not None})
    provinces = sorted({p for p, _ in f.coverage}, key=lambda p: (p == NO_CODE, p))
    grid = [[f.coverage.get((p, y), 0) for y in years] for p in provinces]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(years) + 3), max(3, 0.45 * len(provinces) + 1.5)))
    if years and provinces:
        im = ax.imshow(grid, cmap="Blues", aspect="auto", vmin=0)
        peak = max(max(r) for r in grid) or 1
        for i, r in enumerate(grid):
            for j, n in enumerate(r):
                if n:
                    ax.text(j, i, str(n), ha="center", va="center",
                            color="white" if n > peak / 2 else "black", fontsize=9)
        ax.set_xticks(range(len(years)), [str(y) for y in years], rotation=45 if len(years) > 10 else 0)
        ax.set_yticks(range(len(provinces)), [label(p) for p in provinces])
        from matplotlib.ticker import MaxNLocator
        bar = fig.colorbar(im, ax=ax, label="reports")
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    else:
        ax.text(0.5, 0.5, "no reports", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("report year")
    ax.set_title(_title(font, "各省各年度报告数", "Reports stored by province and year"))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_requests(plt: Any, f: Figures, path: Path, font: Optional[str]) -> Path:
    years = list(f.requests)
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(years) + 2), 4))
    values = [float(f.requests[y][1]) for y in years]
    bars = ax.bar([str(y) for y in years], values, color="#3b6ea8", width=0.6)
    ax.set_xlim(-0.75, len(years) - 0.25)
    for bar, y in zip(bars, years):
        n = f.requests[y][0]
        ax.annotate(f"{f.requests[y][1]}\n({n} report{'s' if n != 1 else ''})",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("requests received")
    ax.set_xlabel("report year")
    ax.margins(y=0.2)
    ax.set_title(_title(font, "本年新收政府信息公开申请数量", "Requests received per year"))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_outcomes(plt: Any, f: Figures, path: Path, font: Optional[str]) -> Path:
    years = [y for y in f.outcomes if f.outcomes[y][2]]
    fig, ax = plt.subplots(figsize=(max(7, 0.8 * len(years) + 4), 4.5))
    colours = ("#2e7d32", "#9ccc65", "#c62828", "#ffb300", "#6d4c41", "#9e9e9e")
    bottom = [0.0] * len(years)
    ticks = [f"{y}\n({f.outcomes[y][0]} report{'s' if f.outcomes[y][0] != 1 else ''})" for y in years]
    for (name, zh, _), colour in zip(OUTCOME_GROUPS, colours):
        shares = [100.0 * f.share(y, name) for y in years]
        ax.bar(ticks, shares, bottom=bottom, color=colour, width=0.6,
               label=f"{zh} {name}" if font else name)
        bottom = [b + s for b, s in zip(bottom, shares)]
    # One year alone would otherwise fill the whole width.
    ax.set_xlim(-0.75, len(years) - 0.25)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of requests handled")
    ax.set_xlabel("report year")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    ax.set_title(_title(font, "办理结果构成", "Outcomes of requests handled"))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
