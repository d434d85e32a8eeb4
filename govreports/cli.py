"""Command line: `python -m govreports parse|export|demo …`.

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
    from govreports.export import export_csv
    paths = export_csv(config.database_url(explicit=args.db), args.out, province=args.province,
                       year=args.year, template=args.template)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def cmd_demo(args) -> int:
    from govreports import demo
    demo.run(out_dir=args.out, db_url=args.db)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m govreports", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("parse", help="parse one report URL or saved file")
    sp.add_argument("source", help="http(s) URL, file:// URL or path of a saved page/PDF/DOCX/text")
    sp.add_argument("--json", action="store_true", help="print the contract's JSON")
    sp.add_argument("--store", action="store_true", help="also store the result in the database")
    sp.add_argument("--db", help="SQLAlchemy URL (default: $GOVREPORTS_DATABASE_URL or the SQLite file)")
    sp.set_defaults(func=cmd_parse)

    ep = sub.add_parser("export", help="write CSVs (UTF-8 with BOM) of the stored reports")
    ep.add_argument("--out", required=True, help="output folder")
    ep.add_argument("--db", help="SQLAlchemy URL")
    ep.add_argument("--province")
    ep.add_argument("--year", type=int)
    ep.add_argument("--template", choices=("2019", "2021", "pre2019", "unknown"))
    ep.set_defaults(func=cmd_export)

    dp = sub.add_parser("demo", help="crawl a simulated portal on 127.0.0.1, store and export it")
    dp.add_argument("--out", default="out/demo", help="output folder for the CSVs")
    dp.add_argument("--db", help="SQLAlchemy URL (default: sqlite:///data/demo.sqlite)")
    dp.set_defaults(func=cmd_demo)
    return p


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
