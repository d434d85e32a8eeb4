"""Command line: `python -m govreports parse|export|stats|db|replay|reparse|demo|crawl|seed …`.

`parse` fetches one report URL (or reads a saved file) and prints the contract's JSON or a short
summary, optionally storing it; it runs the same govreports.parse path as the crawl pipelines.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import urllib.robotparser
from pathlib import Path
from typing import Optional
from urllib.parse import urljoin, urlparse

from govreports import config
from govreports.items import ReportPage, kept_headers, utc_now
from govreports.parse import parse_page


class CliError(Exception):
    """A problem to tell the user in one line, without a traceback."""


def _user_agent() -> str:
    from govreports import settings
    return settings.USER_AGENT


def fetch(url: str, timeout: float = 60.0) -> ReportPage:
    """One polite GET: robots.txt is asked first, the crawl's User-Agent is sent."""
    ua = _user_agent()
    robots = urllib.robotparser.RobotFileParser(urljoin(url, "/robots.txt"))
    try:
        robots.read()
        allowed = robots.can_fetch(ua, url)
    except (urllib.error.URLError, OSError, UnicodeError):
        allowed = True  # no robots.txt reachable: nothing forbids the fetch
    if not allowed:
        raise CliError(f"robots.txt of {urlparse(url).netloc} disallows {url}")
    req = urllib.request.Request(url, headers={"User-Agent": ua})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            return ReportPage(url=resp.geturl(), body=body, headers=kept_headers(dict(
                (k.lower(), v) for k, v in resp.headers.items())), status=resp.status,
                fetched_at=utc_now())
    except urllib.error.HTTPError as exc:
        raise CliError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(f"{url}: {exc}") from exc


def load_source(source: str) -> ReportPage:
    if urlparse(source).scheme in ("http", "https"):
        return fetch(source)
    path = Path(source[7:] if source.startswith("file://") else source)
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    return ReportPage(url=path.resolve().as_uri(), body=path.read_bytes(), path=str(path),
                      fetched_at=utc_now())


def _summary(result) -> str:
    failed = [c.key for c in result.checks if c.status == "fail"]
    lines = [f"title:    {result.title}", f"year:     {result.report_year}",
             f"template: {result.template}", f"issuer:   {result.header.issuer}",
             f"cells:    {len(result.cells)}",
             f"checks:   {sum(c.status == 'pass' for c in result.checks)} pass, {len(failed)} fail, "
             f"{sum(c.status == 'not_assessable' for c in result.checks)} not assessable"]
    lines += [f"  fail: {k}" for k in failed]
    lines += [f"warning:  {w.code} at {w.where}: {w.message}" for w in result.warnings]
    return "\n".join(lines)


def cmd_parse(args) -> int:
    page = load_source(args.source)
    result = parse_page(page)
    if args.store:
        from govreports.store import Store
        status = Store(config.database_url(explicit=args.db)).save(page, result)
        print(f"stored ({status}) in {config.database_url(explicit=args.db)}", file=sys.stderr)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(_summary(result))
    return 0


def cmd_export(args) -> int:
    from govreports.export import ExportError, export
    try:
        paths = export(config.database_url(explicit=args.db), args.out, province=args.province,
                       year=args.year, template=args.template, fmt=args.format,
                       primary_only=args.primary_only, progress=not args.no_progress)
    except (ExportError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def cmd_stats(args) -> int:
    from govreports import stats
    from govreports.store import Store
    with Store(config.database_url(explicit=args.db)) as store:
        figures = stats.compute(store)
    print(stats.render(figures))
    if args.plot:
        try:
            for path in stats.plot(figures, args.plot):
                print(f"plot: {path}")
        except stats.PlotError as exc:
            raise CliError(str(exc)) from exc
    return 0


def cmd_demo(args) -> int:
    from govreports import demo
    demo.run(out_dir=args.out, db_url=args.db)
    return 0


def cmd_db(args) -> int:
    from govreports import migrate
    from govreports.deadletter import safe_url
    from govreports.store import create_store_engine
    url = config.database_url(explicit=args.db)
    engine = create_store_engine(url)
    try:
        before = migrate.describe(engine)
        if args.db_command == "current":
            state = ("up to date" if before["up_to_date"] else
                     "un-versioned (opening it stamps or upgrades it)" if before["unversioned"] else
                     "empty" if before["current"] is None else "behind: run `db upgrade`")
            print(f"{safe_url(url)}: revision {before['current']}, code's head {before['head']} ({state})")
            return 0
        if args.db_command == "check":
            with engine.connect() as conn:
                diffs = migrate.differences(conn)
            for d in diffs:
                print(d)
            print(f"{len(diffs)} difference(s) between the models and {safe_url(url)}", file=sys.stderr)
            return 1 if diffs else 0
        from govreports.store import Store
        # Through Store, which also puts back what follows the schema (govreports.views).
        with Store(url) as store:
            action = store.schema_action
        after = migrate.describe(engine)
        print(f"{safe_url(url)}: {before['current'] or '(none)'} -> {after['current']} "
              f"({action or 'already up to date'})")
        return 0
    except migrate.SchemaError as exc:
        raise CliError(str(exc)) from exc
    finally:
        engine.dispose()


def cmd_replay(args) -> int:
    from govreports import deadletter
    from govreports.store import Store
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"no such file: {path}")

    def show(lineno: int, outcome: str, url: Optional[str], error: Optional[str]) -> None:
        if not args.quiet:
            print(f"{lineno}\t{outcome}\t{url or ''}" + (f"\t{error}" if error else ""))

    with Store(config.database_url(explicit=args.db)) as store:
        summary = deadletter.replay(store, path, args.failed_out, on_line=show,
                                    progress=not args.no_progress)
    print(f"{path}: {summary['lines']} line(s), {summary['stored']} stored "
          f"({summary['new']} new, {summary['changed']} changed, {summary['unchanged']} unchanged), "
          f"{summary['failed']} failed" + (f" -> {summary['failed_file']}" if summary["failed_file"] else ""))
    return 1 if summary["failed"] else 0


def cmd_reparse(args) -> int:
    from govreports.reparse import reparse
    from govreports.store import Store
    with Store(config.database_url(explicit=args.db)) as store:
        summary = reparse(store, current_only=args.current_only, stale_only=args.stale,
                          progress=not args.no_progress)
    parts = ", ".join(f"{k} {v}" for k, v in summary["parts"].items() if v)
    print(f"reparsed {summary['versions']} version(s): {summary['changed']} changed"
          + (f" ({parts})" if parts else "") + f", {summary['unchanged']} unchanged, "
          f"{summary['failed']} failed")
    for f in summary["failures"]:
        print(f"  version {f['version_id']}: {f['error']}")
    return 1 if summary["failed"] else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m govreports", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("parse", help="parse one report URL or saved file")
    sp.add_argument("source", help="http(s) URL, file:// URL or path of a saved page/PDF/DOCX/text")
    sp.add_argument("--json", action="store_true", help="print the contract's JSON")
    sp.add_argument("--store", action="store_true", help="also store the result in the database")
    sp.add_argument("--db", help="SQLAlchemy URL (default: $GOVREPORTS_DATABASE_URL or the SQLite file)")
    sp.set_defaults(func=cmd_parse)

    ep = sub.add_parser("export", help="write CSVs (UTF-8 with BOM) or Parquet of the stored reports: "
                                       "reports, cells, checks, warnings, wide, columns")
    ep.add_argument("--out", required=True, help="output folder")
    ep.add_argument("--db", help="SQLAlchemy URL")
    ep.add_argument("--province", help="name (福建省, 福建) or division code prefix (35)")
    ep.add_argument("--year", type=int)
    ep.add_argument("--template", choices=("2019", "2021", "pre2019", "unknown"))
    ep.add_argument("--format", choices=("csv", "parquet"), default="csv",
                    help="csv (default) or parquet (needs pyarrow)")
    ep.add_argument("--primary-only", action="store_true",
                    help="one report per issuer and year (the primary of each report group)")
    ep.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    ep.set_defaults(func=cmd_export)

    stp = sub.add_parser("stats", help="print the dataset's figures: coverage, tables found, "
                                       "check failures, requests and outcomes per year")
    stp.add_argument("--db", help="SQLAlchemy URL")
    stp.add_argument("--plot", metavar="DIR", help="also draw PNG charts into DIR (needs matplotlib)")
    stp.set_defaults(func=cmd_stats)

    dbp = sub.add_parser("db", help="the database's schema revision (Alembic)")
    dbp.add_argument("db_command", choices=("upgrade", "current", "check"),
                     help="upgrade: bring the database to this code's schema, keeping every row; "
                          "current: show its revision; check: compare it with the models")
    dbp.add_argument("--db", help="SQLAlchemy URL")
    dbp.set_defaults(func=cmd_db)

    rp = sub.add_parser("replay", help="store the items of a dead-letter file (idempotent)")
    rp.add_argument("file", help="dead-letter file, e.g. data/deadletter.jsonl")
    rp.add_argument("--db", help="SQLAlchemy URL")
    rp.add_argument("--failed-out", help="where lines that fail again go "
                                         "(default: FILE.failed-<time>.jsonl beside FILE)")
    rp.add_argument("--quiet", action="store_true", help="no line per item, only the summary")
    rp.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    rp.set_defaults(func=cmd_replay)

    rpp = sub.add_parser("reparse", help="re-run the current parser over the stored raw pages "
                                         "(no network) and update the stored parse")
    rpp.add_argument("--db", help="SQLAlchemy URL")
    rpp.add_argument("--current-only", action="store_true", help="only current versions")
    rpp.add_argument("--stale", action="store_true",
                     help="only versions another parser version made (govreports.PARSER_VERSION)")
    rpp.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    rpp.set_defaults(func=cmd_reparse)

    dp = sub.add_parser("demo", help="crawl a simulated portal on 127.0.0.1, store and export it")
    dp.add_argument("--out", default="out/demo", help="output folder for the CSVs")
    dp.add_argument("--db", help="SQLAlchemy URL (default: sqlite:///data/demo.sqlite)")
    dp.set_defaults(func=cmd_demo)

    # The scheduled job's commands: crawl (with exit codes), seed and crawl-status (distributed).
    from govreports import jobs
    jobs.add_commands(sub)
    return p


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
