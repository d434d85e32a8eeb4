"""Store speed: cells/s through Store.save into SQLite and PostgreSQL, beside a plain DB-API
executemany of the same rows into the same tables, measured in the same run.

Store.save does everything a crawl needs per report in one transaction: the report and version
rows, the compressed raw page, cells, checks, warnings, sections, the group, its primary and the
continuity checks. Baselines, all with rows built beforehand and cursor.executemany, committing
once per report as the store does (a report is the unit that must be all or nothing):
- `plain_all`: every row the store writes for a report (report, its group, version, raw page,
  cells, checks, the continuity checks against the year before, warnings, sections; the group
  and continuity rows read back from the store's own run): the same rows, so what the database
  itself costs. `ratio` = Store.save / plain_all is the target's (issue 7: at least 0.5);
- `plain`: only the cells (`ratio_cells_only`): what a store keeping nothing but the table
  cells, no history, raw page or checks, could reach;
- `plain_one_tx`: only the cells, one commit for the whole run: the ceiling.
Then the same with `--batch` reports a transaction, as a busy crawl saves them (the SQL pipeline
gives the items that wait to Store.save_many): `save_many` against
`plain_all` committing as often (`ratio_batched`).
Each method runs in `--rounds` interleaved rounds on fresh databases and its best round counts
(the machine is shared and noisy; compare the ratios, not the absolute rates). Prints a table,
then one line of JSON.

    python bench/store.py [--reports 200] [--rounds 3] [--batch 8] [--pg URL]
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from govreports.items import ReportPage  # noqa: E402
from govreports.model import Cell, Check, Header, ParseResult, Section, Source, Warning  # noqa: E402
from govreports.store import (Store, _cell_rows, _check_rows, _raw_rows, _section_rows,  # noqa: E402
                              _timestamp, _version_values, _warning_rows, content_sha256)
from govreports.templates import REQUEST_COLUMN_KEYS, REQUEST_ROW_KEYS  # noqa: E402

PG_URL = os.environ.get("GOVREPORTS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CELL_COLUMNS = ("version_id", "position", "table_key", "row_key", "col_key", "value", "value_exact",
                "raw", "inferred", "origin")


def make_report(i: int) -> tuple[ReportPage, ParseResult]:
    """A report the size of a real 2021-era one: every requests cell, active and appeals cells,
    the checks, a few warnings and six sections; a 40 kB page. Two years per issuer, so groups
    and continuity checks are exercised too."""
    issuer, year = f"第{i // 2}县人民政府", 2019 + i % 2
    cells = [Cell("requests", r, c, (i + j) % 97, str((i + j) % 97))
             for j, (r, c) in enumerate((r, c) for r in REQUEST_ROW_KEYS for c in REQUEST_COLUMN_KEYS)]
    cells += [Cell("active", f"row{k}", col, k, str(k)) for k in range(8) for col in ("issued", "repealed", "in_force")]
    cells += [Cell("appeals", "all", f"col{k}", k, str(k)) for k in range(15)]
    cells.append(Cell("active", "fees", "amount_wan_yuan", Decimal("1234.5678"), "1234.5678万元"))
    result = ParseResult(
        source=Source(url=f"https://gov.example/{i}", encoding="utf-8", media_type="text/html"),
        title=f"{issuer}{year}年政府信息公开工作年度报告", report_year=year, template="2021",
        header=Header(index_no=f"X-{i}", issuer=issuer, written_date=f"{year + 1}-01-15",
                      raw={"索引号": f"X-{i}", "发布机构": issuer}),
        sections=[Section(n, f"第{n}节", "正文" * 400) for n in range(1, 7)],
        cells=cells,
        checks=[Check(f"requests.balance.c{k}", "pass", k, k, "本年新收 + 上年结转 vs 总计 + 结转下年度")
                for k in range(45)],
        warnings=[Warning("local_row", f"requests.小计{k}", "row not on the official form", ["1", "2"])
                  for k in range(4)])
    body = (f"<html><body><h1>{result.title}</h1>" + "<p>政府信息公开</p>" * 2000 + f"{i}</body></html>").encode()
    page = ReportPage(url=f"https://gov.example/{i}", body=body, portal_code="360681",
                      headers={"content-type": "text/html; charset=utf-8"},
                      fetched_at="2024-05-01T08:00:00+00:00")
    return page, result


def bench_store(url: str, reports: list[tuple[ReportPage, ParseResult]], batch: int = 1) -> float:
    with Store(url) as store:
        t = time.perf_counter()
        if batch == 1:
            for page, result in reports:
                assert store.save(page, result) == "new"
        else:
            for k in range(0, len(reports), batch):
                assert set(store.save_many(reports[k:k + batch])) == {"new"}
        return time.perf_counter() - t


def plain_rows(reports: list[tuple[ReportPage, ParseResult]], first_version: int) -> list[list[tuple]]:
    return [[tuple(r[c] for c in CELL_COLUMNS) for r in _cell_rows(first_version + n, result)]
            for n, (_, result) in enumerate(reports)]


def _plain_value(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def derived_rows(url: str) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """The rows Store.save derives from a report, read back from a database it filled, by
    version id: the report group it created (`report_groups`) and its continuity checks against
    the issuer's year before (`continuity`, check rows with previous_version_id)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT id, group_id FROM report_versions ORDER BY id")).all()
            groups = {r.id: dict(r._mapping) for r in conn.execute(text("SELECT * FROM report_groups"))}
            checks = conn.execute(text("SELECT * FROM checks WHERE previous_version_id IS NOT NULL "
                                       "ORDER BY id")).all()
    finally:
        engine.dispose()
    out: dict[int, dict[str, list[dict[str, Any]]]] = {}
    created: set[int] = set()
    for vid, gid in versions:
        out[vid] = {"group_id": gid, "report_groups": [groups[gid]] if gid not in created else [],
                    "continuity": []}
        created.add(gid)
    for r in checks:
        out[r.version_id]["continuity"].append({k: v for k, v in r._mapping.items() if k != "id"})
    return out


def all_rows(reports: list[tuple[ReportPage, ParseResult]], first_id: int,
             derived: dict[int, dict[str, list[dict[str, Any]]]]) -> list[list[tuple[str, list[str], list[tuple]]]]:
    """Per report: (table, columns, rows) of every row Store.save writes, as plain values;
    `derived` (derived_rows of a store that saved the same reports) gives its group and its
    continuity checks."""
    out = []
    for n, (page, result) in enumerate(reports):
        rid = first_id + n
        more = derived[rid]
        fetched = _timestamp(page.fetched_at)
        report = dict(id=rid, url=page.url, portal_code=page.portal_code, list_url=page.list_url,
                      first_seen=fetched, last_seen=fetched)
        version = dict(id=rid, **_version_values(rid, page, result, fetched, content_sha256(page)),
                       is_current=True, is_primary=True, group_id=more["group_id"])
        batches = [("reports", [report]), ("report_groups", more["report_groups"]),
                   ("report_versions", [version]), ("raw_pages", _raw_rows(rid, page)),
                   ("cells", _cell_rows(rid, result)), ("checks", _check_rows(rid, result)),
                   ("checks", more["continuity"]),
                   ("warnings", _warning_rows(rid, result)), ("sections", _section_rows(rid, result))]
        out.append([(t, list(rows[0]), [tuple(_plain_value(v) for v in r.values()) for r in rows])
                    for t, rows in batches if rows])
    return out


def bench_plain_all(conn: Any, batches: list, placeholder: str, every: int = 1) -> float:
    cur = conn.cursor()
    t = time.perf_counter()
    for n, report in enumerate(batches, 1):
        for table, cols, rows in report:
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([placeholder] * len(cols))})",
                            rows)
        if n % every == 0 or n == len(batches):
            conn.commit()
    return time.perf_counter() - t


def _parents(conn: Any, n: int, placeholder: str) -> None:
    """Report and version rows for the plain cells to hang from (not timed)."""
    cur = conn.cursor()
    for k in range(1, n + 1):
        cur.execute(f"INSERT INTO reports (id, url, first_seen, last_seen) VALUES ({placeholder}, {placeholder}, "
                    f"'2024-05-01 08:00:00+00', '2024-05-01 08:00:00+00')", (k, f"plain/{k}"))
        cur.execute("INSERT INTO report_versions (id, report_id, sha256, content_sha256, fetched_at, status, "
                    "template, header_raw, is_current, parsed_at, parser_version, is_primary) VALUES "
                    f"({placeholder}, {placeholder}, 'x', 'x', '2024-05-01 08:00:00+00', 200, '2021', '{{}}', "
                    "false, '2024-05-01 08:00:00+00', 'plain', false)", (k, k))
    conn.commit()


def bench_plain(conn: Any, batches: list[list[tuple]], placeholder: str, per_report: bool) -> float:
    sql = (f"INSERT INTO cells ({', '.join(CELL_COLUMNS)}) VALUES "
           f"({', '.join([placeholder] * len(CELL_COLUMNS))})")
    cur = conn.cursor()
    t = time.perf_counter()
    for rows in batches:
        cur.executemany(sql, rows)
        if per_report:
            conn.commit()
    conn.commit()
    return time.perf_counter() - t


def _best(out: dict[str, float], name: str, rate: float) -> None:
    out[name] = max(out.get(name, 0.0), rate)


def _plain_sqlite(path: Path) -> sqlite3.Connection:
    """A DB-API connection to a new database with the store's schema (built by the migrations)
    and the store's connection settings (store._sqlite_setup), so only the code path differs."""
    with Store(f"sqlite:///{path}"):
        pass
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def run_sqlite(reports: list, tmp: Path, rounds: int, batch: int) -> dict[str, float]:
    n_cells = sum(len(r.cells) for _, r in reports)
    out: dict[str, float] = {}
    for k in range(rounds):
        _best(out, "store", n_cells / bench_store(f"sqlite:///{tmp}/store{k}.sqlite", reports))
        derived = derived_rows(f"sqlite:///{tmp}/store{k}.sqlite")
        _best(out, "store_batched", n_cells / bench_store(f"sqlite:///{tmp}/batched{k}.sqlite", reports, batch))
        for name, per_report in (("plain", True), ("plain_one_tx", False)):
            conn = _plain_sqlite(tmp / f"{name}{k}.sqlite")
            _parents(conn, len(reports), "?")
            _best(out, name, n_cells / bench_plain(conn, plain_rows(reports, 1), "?", per_report))
            conn.close()
        for name, every in (("plain_all", 1), ("plain_all_batched", batch)):
            conn = _plain_sqlite(tmp / f"{name}{k}.sqlite")
            _best(out, name, n_cells / bench_plain_all(conn, all_rows(reports, 1, derived), "?", every))
            conn.close()
    return out


def run_postgres(reports: list, pg_url: str, rounds: int, batch: int) -> Optional[dict[str, float]]:
    import psycopg
    admin = create_engine(pg_url, connect_args={"connect_timeout": 3})
    schemas = [f"bench_{uuid.uuid4().hex[:10]}" for _ in range(6 * rounds)]
    try:
        with admin.begin() as conn:
            for s in schemas:
                conn.execute(text(f'CREATE SCHEMA "{s}"'))
    except Exception as exc:  # no server: say so, bench SQLite only
        print(f"PostgreSQL at {pg_url} unreachable: {type(exc).__name__}", file=sys.stderr)
        return None
    n_cells = sum(len(r.cells) for _, r in reports)
    try:
        out: dict[str, float] = {}
        dsn = admin.url.set(drivername="postgresql").render_as_string(hide_password=False)
        for k in range(rounds):
            store_schema, batched_schema, all_schema, all_batched_schema, *plain_schemas = schemas[6 * k:6 * k + 6]
            _best(out, "store", n_cells / bench_store(f"{pg_url}?options=-csearch_path%3D{store_schema}", reports))
            derived = derived_rows(f"{pg_url}?options=-csearch_path%3D{store_schema}")
            _best(out, "store_batched", n_cells / bench_store(
                f"{pg_url}?options=-csearch_path%3D{batched_schema}", reports, batch))
            for schema, (name, per_report) in zip(plain_schemas, (("plain", True), ("plain_one_tx", False))):
                with Store(f"{pg_url}?options=-csearch_path%3D{schema}"):
                    pass
                with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn:
                    _parents(conn, len(reports), "%s")
                    _best(out, name, n_cells / bench_plain(conn, plain_rows(reports, 1), "%s", per_report))
            for schema, name, every in ((all_schema, "plain_all", 1), (all_batched_schema, "plain_all_batched", batch)):
                with Store(f"{pg_url}?options=-csearch_path%3D{schema}"):
                    pass
                with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn:
                    _best(out, name, n_cells / bench_plain_all(conn, all_rows(reports, 1, derived), "%s", every))
        return out
    finally:
        with admin.begin() as conn:
            for s in schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{s}" CASCADE'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (a throwaway schema is used)")
    ap.add_argument("--batch", type=int, default=8,
                    help="reports per transaction of the batched runs (Store.save_many, as a crawl saves)")
    args = ap.parse_args()
    reports = [make_report(i) for i in range(args.reports)]
    cells_per_report = len(reports[0][1].cells)
    figures: dict[str, Any] = {"reports": args.reports, "cells_per_report": cells_per_report,
                               "rounds": args.rounds, "batch": args.batch}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = run_sqlite(reports, Path(tmp), args.rounds, args.batch)
    pg = run_postgres(reports, args.pg, args.rounds, args.batch)
    if pg:
        figures["postgresql"] = pg
    print(f"{args.reports} reports x {cells_per_report} cells")
    print(f"{'backend':12} {'Store.save':>11} {'plain_all':>10} {'plain':>9} {'plain_1tx':>10} "
          f"{'ratio':>6} {'cells_only':>10} {'save_many':>10} {'plain_all':>10} {'ratio':>6}"
          f"  (cells/s; ratio = Store.save / plain_all, target >= 0.5; then {args.batch} reports a commit)")
    for backend in ("sqlite", "postgresql"):
        f = figures.get(backend)
        if not f:
            continue
        f["ratio"] = f["store"] / f["plain_all"]
        f["ratio_cells_only"] = f["store"] / f["plain"]
        f["ratio_batched"] = f["store_batched"] / f["plain_all_batched"]
        print(f"{backend:12} {f['store']:11.0f} {f['plain_all']:10.0f} {f['plain']:9.0f} "
              f"{f['plain_one_tx']:10.0f} {f['ratio']:6.2f} {f['ratio_cells_only']:10.2f} "
              f"{f['store_batched']:10.0f} {f['plain_all_batched']:10.0f} {f['ratio_batched']:6.2f}")
    print(json.dumps({k: ({kk: round(vv, 2) for kk, vv in v.items()} if isinstance(v, dict) else v)
                      for k, v in figures.items()}))


if __name__ == "__main__":
    main()
