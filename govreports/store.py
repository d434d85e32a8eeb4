"""The SQL store: reports, their versions, raw bytes and parsed rows, in SQLite or PostgreSQL.

One row in `reports` per URL. Every distinct content fetched at that URL is a row in
`report_versions`, kept for good with its raw bytes (`raw_pages`) and what the parser made of it
(`cells`, `checks`, `warnings`, `sections`); exactly one version per report is current. Values
keep the contract's keys (shared/schema/tables.md) as data: `cells.table_key` holds "requests".

The schema is published to researchers: change it only through a migration. All models live on
`Base.metadata` with a naming convention, so Alembic autogenerate sees stable constraint names.
"""
from __future__ import annotations

import logging

import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Union

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, Double, ForeignKey, Index,
                        LargeBinary, MetaData, Select, String, Text, UniqueConstraint, bindparam,
                        create_engine, delete, event, false, func, insert, select, text, update)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

import govreports
from govreports.items import Attachment, ReportPage
from govreports.packing import ZLIB_LEVEL, Packed, bodies as _bodies, sha256_hex
from govreports.model import (Cell, Check, Header, Number, ParseResult, Section, Source, Warning,
                              to_number)

NEW, UNCHANGED, CHANGED = "new", "unchanged", "changed"
# Failures of the database itself, not of the report being saved (Store.save_many).
_CONNECTION_ERRORS = (OperationalError, InterfaceError)
# PostgreSQL's answers to two transactions in each other's way (deadlock, serialization failure):
# the transaction failed, not the database, and doing it again succeeds.
_CONFLICTS = ("40P01", "40001")


def is_conflict(exc: BaseException) -> bool:
    """A failure that doing the same transaction again may not meet (see _CONFLICTS)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in _CONFLICTS

# Stable constraint names: Alembic needs them to alter or drop a constraint later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps in UTC on every backend; SQLite stores no offset, so one is put back on read."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store only takes aware timestamps")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# JSONB on PostgreSQL so researchers can query header labels; plain JSON text elsewhere.
JsonType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime, date: Date, str: Text, float: Double,
                           dict[str, Any]: JsonType, list[str]: JsonType}


class Report(Base):
    """A report page, identified by its URL, whatever its content was over time."""
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(unique=True)
    # The portal's 6-digit administrative division code (GB/T 2260); its first two digits are
    # the province.
    portal_code: Mapped[Optional[str]] = mapped_column(String(12), index=True)
    list_url: Mapped[Optional[str]]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    # Also marked by report_versions.is_current; the FK closes a cycle, hence use_alter.
    current_version_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("report_versions.id", use_alter=True, ondelete="SET NULL"))
    # The page's validators as last fetched (HTTP ETag / Last-Modified), even when the content was
    # unchanged: what a conditional re-fetch sends back (Store.validators).
    etag: Mapped[Optional[str]]
    last_modified: Mapped[Optional[str]]


class ReportGroup(Base):
    """One issuer's report for one year, however many URLs it was found at (a repost, an image
    version, a PDF version). Rules and keys: govreports.groups."""
    __tablename__ = "report_groups"
    __table_args__ = (Index("ix_report_groups_issuer_key_report_year", "issuer_key", "report_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<issuer_key>|<year>", or "url|<url>" when the issuer or the year is unknown (a group of one).
    group_key: Mapped[str] = mapped_column(unique=True)
    issuer_key: Mapped[Optional[str]]
    report_year: Mapped[Optional[int]]


class ReportVersion(Base):
    """One distinct content of a report URL, and the parse of it."""
    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("report_id", "content_sha256"),
        # At most one current version per report, enforced by the database.
        Index("ix_report_versions_one_current", "report_id", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
        # At most one primary version per group: the one per-issuer/year figures count.
        Index("ix_report_versions_one_primary", "group_id", unique=True,
              sqlite_where=text("is_primary"), postgresql_where=text("is_primary")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    # sha256 of the page body as fetched (the contract's source.sha256).
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # What makes a version distinct: the page body and its attachments' bodies (equal to sha256
    # when there is no attachment), so a replaced PDF behind an unchanged page is a new version.
    content_sha256: Mapped[str] = mapped_column(String(64))
    # When this content was first fetched.
    fetched_at: Mapped[datetime]
    status: Mapped[int]
    title: Mapped[Optional[str]]
    report_year: Mapped[Optional[int]] = mapped_column(index=True)
    template: Mapped[str] = mapped_column(String(16))
    issuer: Mapped[Optional[str]]
    index_no: Mapped[Optional[str]]
    written_date: Mapped[Optional[date]]
    published_date: Mapped[Optional[date]]
    doc_no: Mapped[Optional[str]]
    subject: Mapped[Optional[str]]
    category: Mapped[Optional[str]]
    # Every header label the portal showed, as published (header.raw of the contract).
    header_raw: Mapped[dict[str, Any]]
    encoding: Mapped[Optional[str]] = mapped_column(String(32))
    media_type: Mapped[Optional[str]] = mapped_column(String(100))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    parsed_at: Mapped[datetime]
    # Which parser made the rows below, so a later re-parse of raw_pages can be told apart.
    parser_version: Mapped[str] = mapped_column(String(32))
    # The link text the report was listed under: a parse input beside the bytes, kept so a
    # re-parse sees what the crawl saw.
    title_hint: Mapped[Optional[str]]
    # Set on every version with a parse; the group's primary is chosen among current versions.
    group_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("report_groups.id", ondelete="SET NULL"), index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RawPage(Base):
    """The bytes behind a version: the page itself and each attachment, zlib-compressed."""
    __tablename__ = "raw_pages"
    __table_args__ = (
        UniqueConstraint("version_id", "url"),
        CheckConstraint("role IN ('page', 'attachment')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    url: Mapped[str]
    name: Mapped[Optional[str]]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    compression: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, Any]]
    status: Mapped[int]
    fetched_at: Mapped[datetime]


class CellRow(Base):
    """One cell of an official table. The value is kept twice: exact decimal text, and a double
    for SQL arithmetic (sum `value_exact` cast to NUMERIC when every digit matters)."""
    __tablename__ = "cells"
    __table_args__ = (UniqueConstraint("version_id", "table_key", "row_key", "col_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    table_key: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(String(64))
    col_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[Optional[float]]
    value_exact: Mapped[Optional[str]] = mapped_column(String(64))
    raw: Mapped[str]
    inferred: Mapped[bool] = mapped_column(Boolean)
    origin: Mapped[str] = mapped_column(String(16))


class CheckRow(Base):
    """One 勾稽关系 identity tested on a version, with both sides as evidence."""
    __tablename__ = "checks"
    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        CheckConstraint("status IN ('pass', 'fail', 'not_assessable')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    check_key: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    left_value: Mapped[Optional[float]]
    left_exact: Mapped[Optional[str]] = mapped_column(String(64))
    right_value: Mapped[Optional[float]]
    right_exact: Mapped[Optional[str]] = mapped_column(String(64))
    message: Mapped[str]
    # Set on checks across reports (requests.continuity.*): the version this one was compared
    # with. Such checks are derived (govreports.groups), not parse output.
    previous_version_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("report_versions.id", ondelete="CASCADE"))


class WarningRow(Base):
    """Something the parser could not map cleanly; `raw` keeps the published text it concerns."""
    __tablename__ = "warnings"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(64), index=True)
    # The contract's `where` (a reserved word in SQL).
    location: Mapped[str]
    message: Mapped[str]
    raw: Mapped[Optional[list[str]]]


class SectionRow(Base):
    """A numbered section (一 … 六) of the report's prose."""
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    no: Mapped[int]
    heading: Mapped[str]
    text: Mapped[str]


class FetchLogRow(Base):
    """A fetch that gave no report, one row per event: an anti-bot answer (`blocked`, reason from
    govreports.antibot), a redirect off the allowed hosts (`offsite`), a failure after retries
    (`failed`: http_<status>, the exception's name, robots_txt), or an https address fetched over
    http because the host's TLS failed (`fallback`). Written by the FetchLog extension
    (spiders/crawling/fetchlog.py), read back through govreports.fetchlog."""
    __tablename__ = "fetch_log"
    __table_args__ = (
        CheckConstraint("outcome IN ('blocked', 'offsite', 'failed', 'fallback')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(index=True)
    portal_code: Mapped[Optional[str]] = mapped_column(String(12), index=True)
    # What the URL was fetched as: list, report or attachment (null: robots.txt and the like).
    role: Mapped[Optional[str]] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[Optional[int]]
    # Body size of the answer, where there was one (a stub of 300 bytes tells its own story).
    size: Mapped[Optional[int]]
    # The redirect target, the fallback address, the error message.
    detail: Mapped[Optional[str]]
    logged_at: Mapped[datetime]


class ColumnWalk(Base):
    """The latest walk of a list (a 年报 column, from its first page on) by the crawl: when it
    started, and when the crawl that walked it to its end closed normally (null: unfinished,
    killed or broken). An incremental crawl stops paging a list early only after a finished walk
    (govreports.incremental)."""
    __tablename__ = "column_walks"

    url: Mapped[str] = mapped_column(primary_key=True)
    portal_code: Mapped[Optional[str]] = mapped_column(String(12))
    started_at: Mapped[datetime]
    finished_at: Mapped[Optional[datetime]]


Shas = dict[int, str]


def body_shas(page: ReportPage) -> Shas:
    """The sha256 of the page's and its attachments' bodies, by id(body): a save needs each for
    the content key, the version and the raw rows, and hashes it once."""
    return {id(b): sha256_hex(b) for b in _bodies(page)}


def _unpacked(page: ReportPage) -> tuple[Shas, dict[int, bytes]]:
    """(shas, zlib bytes) by id(body): from page.packed when it fits the page, else the shas
    computed here and no zlib bytes (_raw_rows compresses)."""
    bodies, packed = _bodies(page), page.packed
    if isinstance(packed, Packed) and packed.sizes == [len(b) for b in bodies]:
        return ({id(b): s for b, s in zip(bodies, packed.shas)},
                {id(b): z for b, z in zip(bodies, packed.zipped)})
    return body_shas(page), {}


def _sha(body: bytes, shas: Optional[Shas]) -> str:
    return shas[id(body)] if shas and id(body) in shas else sha256_hex(body)


def content_sha256(page: ReportPage, shas: Optional[Shas] = None) -> str:
    """The version identity: the page body's sha256, extended by the attachments' if any."""
    page_sha = _sha(page.body, shas)
    if not page.attachments:
        return page_sha
    h = hashlib.sha256(page_sha.encode())
    for url, sha in sorted((a.url, _sha(a.body, shas)) for a in page.attachments):
        h.update(f"\n{url} {sha}".encode())
    return h.hexdigest()


def _timestamp(iso: str) -> datetime:
    ts = datetime.fromisoformat(iso)
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def _date(iso: Optional[str]) -> Optional[date]:
    # The parser emits ISO dates; anything else stays readable in header_raw.
    try:
        return date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def exact_text(v: Optional[Number]) -> Optional[str]:
    """A contract number as text with every published digit and no exponent."""
    if v is None:
        return None
    return format(v, "f") if isinstance(v, Decimal) else str(int(v))


def _double(v: Optional[Number]) -> Optional[float]:
    return None if v is None else float(v)


def _json_dumps(o: Any) -> str:
    # Chinese labels stay readable in SQLite's JSON text.
    return json.dumps(o, ensure_ascii=False)


# A report's cells and checks, hundreds of rows, are built as tuples in these columns' order and
# go to executemany as they are (bulk_insert); dicts of them cost a tenth of a save more.
_CELL_COLUMNS = ("version_id", "position", "table_key", "row_key", "col_key", "value",
                 "value_exact", "raw", "inferred", "origin")
_CHECK_COLUMNS = ("version_id", "position", "check_key", "status", "left_value", "left_exact",
                  "right_value", "right_exact", "message")


def _cell_values(version_id: int, result: ParseResult) -> list[tuple]:
    return [(version_id, i, c.table, c.row, c.col, _double(c.value), exact_text(c.value), c.raw,
             bool(c.inferred), c.origin)
            for i, c in enumerate(result.cells)]


def _check_values(version_id: int, result: ParseResult) -> list[tuple]:
    return [(version_id, i, c.key, c.status, _double(c.left), exact_text(c.left), _double(c.right),
             exact_text(c.right), c.message or "")
            for i, c in enumerate(result.checks)]


def _cell_rows(version_id: int, result: ParseResult) -> list[dict[str, Any]]:
    return [dict(zip(_CELL_COLUMNS, v)) for v in _cell_values(version_id, result)]


def _check_rows(version_id: int, result: ParseResult) -> list[dict[str, Any]]:
    return [dict(zip(_CHECK_COLUMNS, v)) for v in _check_values(version_id, result)]


def _warning_rows(version_id: int, result: ParseResult) -> list[dict[str, Any]]:
    return [dict(version_id=version_id, position=i, code=w.code, location=w.where,
                 message=w.message, raw=w.raw)
            for i, w in enumerate(result.warnings)]


def _section_rows(version_id: int, result: ParseResult) -> list[dict[str, Any]]:
    return [dict(version_id=version_id, position=i, no=s.no, heading=s.heading, text=s.text)
            for i, s in enumerate(result.sections)]


def _raw_rows(version_id: int, page: ReportPage, shas: Optional[Shas] = None,
              zipped: Optional[dict[int, bytes]] = None) -> list[dict[str, Any]]:
    rows = [dict(version_id=version_id, role="page", url=page.url, name=None, body=page.body,
                 headers=page.headers, status=page.status, fetched_at=page.fetched_at)]
    seen = {page.url}
    for a in page.attachments:
        if a.url not in seen:  # a file linked twice is one file
            seen.add(a.url)
            rows.append(dict(version_id=version_id, role="attachment", url=a.url, name=a.name,
                             body=a.body, headers=a.headers, status=a.status, fetched_at=a.fetched_at))
    for r in rows:
        body = r["body"]
        packed = zipped.get(id(body)) if zipped else None
        r.update(sha256=_sha(body, shas), size=len(body), compression="zlib",
                 body=packed if packed is not None else zlib.compress(body, ZLIB_LEVEL),
                 headers=dict(r["headers"] or {}),
                 fetched_at=_timestamp(r["fetched_at"]))
    return rows


class Store:
    """One database (SQLAlchemy URL): `save` parse results, read them back for export and tests."""

    def __init__(self, url: str, *, echo: bool = False, migrate: bool = True) -> None:
        """Open the database and bring its schema to the current revision (govreports.migrate).

        `migrate=False` is for tools that manage the revision themselves (tests, `db` commands).
        """
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine: Engine = create_store_engine(url, echo=echo)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        # Writes take SQLite's write lock up front, so a read-then-write save never fails halfway
        # on a lock upgrade.
        self._write_engine = self.engine.execution_options(govreports_write=True)
        self._writer = sessionmaker(self._write_engine, expire_on_commit=False)
        # What opening did to the schema: None (already current), "created", "stamped", "upgraded".
        self.schema_action: Optional[str] = None
        if migrate:
            from govreports import migrate as _migrate
            try:
                self.schema_action = _migrate.ensure_current(self.engine)
                # The browsing views (govreports.views) follow the schema; migrations drop them.
                from govreports.views import ensure_views
                ensure_views(self.engine)
            except BaseException:
                self.engine.dispose()
                raise

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (for queries the helpers below do not cover)."""
        with self._session() as s:
            yield s

    # -- writing ---------------------------------------------------------------------------

    def save(self, page: ReportPage, result: ParseResult, *, parser_version: Optional[str] = None) -> str:
        """Store one fetched report and its parse in one transaction; 'new', 'unchanged' or 'changed'.

        The same content at the same URL adds no row (only reports.last_seen moves on). New content
        adds a version and makes it current; older versions stay with all their rows. Content seen
        before (A -> B -> A) makes that older version current again. A page fetched before the
        report was last seen (a dead letter replayed late) never displaces the current version:
        new content is kept as history ('changed'), known content is 'unchanged'.
        The report's group, its primary and the continuity checks around it are updated in the
        same transaction (govreports.groups). `parser_version` names the parser that made
        `result` when it is not this code's (a replayed dead letter).
        """
        with self._write_engine.begin() as conn:
            return _save(conn, page, result, parser_version)

    def save_many(self, pages: Iterable[tuple[ReportPage, ParseResult]], *,
                  parser_version: Optional[str] = None) -> list[Union[str, Exception]]:
        """`save` of each (page, result) in turn: for each, what `save` returns or the exception
        it raised.

        They go in one transaction: on SQLite a commit costs more than a report's rows, and one
        commit for several reports is what lets a crawl's store keep up. Each report stays all or
        nothing: if one fails, that transaction is rolled back and each report is saved again in
        a transaction of its own, so only the failing one is left out. (Savepoints would do the
        same at a cost on every batch: SQLite copies each page a savepoint changes.)
        A failure of the database rather than of a report (OperationalError, InterfaceError)
        raises when it ends the shared transaction, and then none is stored; when it comes while
        they are saved one by one, the reports not stored by then get it as their outcome. A
        conflict with another transaction (`is_conflict`: a deadlock) is no failure of the
        database: the reports are saved one by one, each tried up to three times.
        """
        from govreports import groups
        pages = list(pages)
        if len(pages) > 1:
            try:
                with self._write_engine.begin() as conn:
                    # Each save locks its issuer (PostgreSQL; govreports.groups). Taken for the
                    # whole batch first, in one order, two workers' batches wait for each other
                    # instead of each holding what the other needs.
                    groups.lock_issuers(conn, [groups.lock_key(
                        url=page.url, portal_code=page.portal_code, title=result.title,
                        issuer=result.header.issuer, year=result.report_year) for page, result in pages])
                    return [_save(conn, page, result, parser_version) for page, result in pages]
            except _CONNECTION_ERRORS as exc:
                if not is_conflict(exc):
                    raise
            except Exception:  # a report failed: find which, and store the others
                pass
        out: list[Union[str, Exception]] = []
        down: Optional[Exception] = None
        for page, result in pages:
            if down is not None:
                out.append(down)
                continue
            try:
                out.append(self._save_once(page, result, parser_version))
            except _CONNECTION_ERRORS as exc:
                if is_conflict(exc):  # tried again already: this report's outcome, not the database's
                    out.append(exc)
                    continue
                if len(pages) == 1:
                    raise
                down = exc
                out.append(exc)
            except Exception as exc:
                out.append(exc)
        return out

    def _save_once(self, page: ReportPage, result: ParseResult, parser_version: Optional[str],
                   tries: int = 3) -> str:
        """`save`, again after a conflict with another transaction (deadlock, serialization)."""
        attempt = 1
        while True:
            try:
                return self.save(page, result, parser_version=parser_version)
            except _CONNECTION_ERRORS as exc:
                if attempt >= tries or not is_conflict(exc):
                    raise
                attempt += 1

    def log_fetch(self, url: str, outcome: str, reason: str, *, portal_code: Optional[str] = None,
                  role: Optional[str] = None, status: Optional[int] = None,
                  size: Optional[int] = None, detail: Optional[str] = None,
                  logged_at: Optional[datetime] = None) -> None:
        """Add one fetch_log row (FetchLogRow)."""
        with self._writer() as s, s.begin():
            s.add(FetchLogRow(url=url, outcome=outcome, reason=reason, portal_code=portal_code,
                              role=role, status=status, size=size, detail=detail,
                              logged_at=logged_at or datetime.now(timezone.utc)))

    def walks(self, urls: Iterable[str]) -> dict[str, ColumnWalk]:
        """The column_walks rows of those of `urls` that were ever walked."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, ColumnWalk] = {}
        with self._session() as s:
            for i in range(0, len(wanted), 500):
                for w in s.scalars(select(ColumnWalk).where(ColumnWalk.url.in_(wanted[i:i + 500]))):
                    found[w.url] = w
        return found

    def start_walk(self, url: str, portal_code: Optional[str], at: datetime) -> None:
        """A walk of the list at `url` begins. An unfinished earlier walk keeps its start, so
        what happened since then (govreports.fetchlog) still counts against this one."""
        with self._writer() as s, s.begin():
            walk = s.get(ColumnWalk, url)
            if walk is None:
                s.add(ColumnWalk(url=url, portal_code=portal_code, started_at=at, finished_at=None))
            elif walk.finished_at is not None:
                walk.started_at, walk.finished_at, walk.portal_code = at, None, portal_code

    def finish_walks(self, urls: Iterable[str], at: datetime) -> None:
        """The walks of these lists ended with the crawl that made them closing normally."""
        urls = list(dict.fromkeys(urls))
        with self._writer() as s, s.begin():
            for i in range(0, len(urls), 500):
                s.execute(update(ColumnWalk).where(ColumnWalk.url.in_(urls[i:i + 500]))
                          .values(finished_at=at))

    # -- re-parsing ------------------------------------------------------------------------

    def version_ids(self, *, current_only: bool = False, stale_only: bool = False) -> list[int]:
        """Ids of stored versions, oldest first; `stale_only`: made by another parser version."""
        stmt = select(ReportVersion.id).order_by(ReportVersion.id)
        if current_only:
            stmt = stmt.where(ReportVersion.is_current)
        if stale_only:
            stmt = stmt.where(ReportVersion.parser_version != govreports.PARSER_VERSION)
        with self._session() as s:
            return list(s.scalars(stmt))

    def page_of(self, version_id: int) -> ReportPage:
        """The ReportPage a version was saved from, rebuilt from raw_pages (attachments included)."""
        with self._session() as s:
            v, report = s.execute(select(ReportVersion, Report).join(Report, ReportVersion.report_id == Report.id)
                                  .where(ReportVersion.id == version_id)).one()
            raws = list(s.scalars(select(RawPage).where(RawPage.version_id == version_id).order_by(RawPage.id)))
        page_raw = next(r for r in raws if r.role == "page")
        return ReportPage(
            url=report.url, body=_body(page_raw), headers=dict(page_raw.headers or {}),
            status=page_raw.status, fetched_at=page_raw.fetched_at.isoformat(),
            portal_code=report.portal_code, list_url=report.list_url, title_hint=v.title_hint,
            attachments=[Attachment(url=r.url, body=_body(r), headers=dict(r.headers or {}), status=r.status,
                                    fetched_at=r.fetched_at.isoformat(), name=r.name)
                         for r in raws if r.role == "attachment"])

    def replace_parse(self, version_id: int, result: ParseResult) -> list[str]:
        """Put a new parse of a stored version in place of the old one, in one transaction.

        Only what differs is rewritten (a table's rows for that version, or header fields), so
        rows that did not change keep their ids. Returns what changed: any of "header", "cells",
        "checks", "warnings", "sections". parser_version and parsed_at are always updated.
        """
        from govreports import groups
        changed: list[str] = []
        with self._writer() as s, s.begin():
            v = s.get(ReportVersion, version_id)
            fields = _header_fields(result)
            if any(getattr(v, k) != val for k, val in fields.items()):
                changed.append("header")
                for k, val in fields.items():
                    setattr(v, k, val)
            v.parser_version = govreports.PARSER_VERSION
            v.parsed_at = datetime.now(timezone.utc)
            s.flush()
            for name, model, rows in (("cells", CellRow, _cell_rows), ("checks", CheckRow, _check_rows),
                                      ("warnings", WarningRow, _warning_rows),
                                      ("sections", SectionRow, _section_rows)):
                new = rows(version_id, result)
                if _stored_rows(s, model, version_id) != new:
                    changed.append(name)
                    # All of a version's checks go, the derived ones too: positions follow the
                    # parse checks, and groups.refresh below writes the continuity ones again.
                    s.execute(delete(model.__table__).where(model.__table__.c.version_id == version_id))
                    bulk_insert(s, model, new)
            if changed:
                before = groups.group_ids_of(s, [version_id])
                groups.refresh(s, before | groups.assign(s, [version_id]))
        return changed

    # -- reading ---------------------------------------------------------------------------

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of `urls` stored as reports (any version): the crawl's cheap incremental test."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        with self._session() as s:
            for i in range(0, len(wanted), 500):  # well under every backend's parameter limit
                found.update(s.scalars(select(Report.url).where(Report.url.in_(wanted[i:i + 500]))))
        return found

    def validators(self, urls: Iterable[str]) -> dict[str, dict[str, str]]:
        """Those of `urls` stored as reports whose page was last served with an etag or
        last-modified header, with those headers: what a conditional re-fetch sends back
        (govreports.incremental). A report saved before the reports table kept them (revision
        0005) has them from its current version's raw page."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, dict[str, str]] = {}
        stmt = (select(Report.url, Report.etag, Report.last_modified, RawPage.headers)
                .outerjoin(RawPage, (RawPage.version_id == Report.current_version_id)
                           & (RawPage.role == "page")))
        with self._session() as s:
            for i in range(0, len(wanted), 500):
                for url, etag, modified, headers in s.execute(stmt.where(Report.url.in_(wanted[i:i + 500]))):
                    if etag or modified:
                        kept = {"etag": etag, "last-modified": modified}
                    else:  # none kept yet, or none sent: an old validator costs a 200 at worst
                        kept = {k: v for k, v in (headers or {}).items() if k in ("etag", "last-modified")}
                    kept = {k: str(v) for k, v in kept.items() if v}
                    if kept:
                        found[url] = kept
        return found

    def touch(self, urls: Union[str, Iterable[str]], when: datetime) -> int:
        """The reports at `urls` were seen unchanged at `when` (an HTTP 304): their last_seen
        moves on, never back. Returns how many reports moved."""
        urls = [urls] if isinstance(urls, str) else list(dict.fromkeys(urls))
        moved = 0
        with self._writer() as s, s.begin():
            for i in range(0, len(urls), 500):
                moved += s.execute(update(Report).where(Report.url.in_(urls[i:i + 500]),
                                                        Report.last_seen < when)
                                   .values(last_seen=when)).rowcount or 0
        return moved

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self._session() as s:
            return {t.name: s.scalar(select(func.count()).select_from(t))
                    for t in Base.metadata.sorted_tables}

    def versions(self, url: str) -> list[ReportVersion]:
        """Every version of a report URL, oldest first."""
        with self._session() as s:
            return list(s.scalars(select(ReportVersion).join(Report, ReportVersion.report_id == Report.id)
                                  .where(Report.url == url).order_by(ReportVersion.id)))

    def version(self, url: str, sha256: Optional[str] = None) -> Optional[ReportVersion]:
        """The current version of a URL, or the latest one whose page (or content) has this sha256."""
        stmt = select(ReportVersion).join(Report, ReportVersion.report_id == Report.id).where(Report.url == url)
        if sha256 is None:
            stmt = stmt.where(ReportVersion.is_current)
        else:
            stmt = stmt.where((ReportVersion.sha256 == sha256) | (ReportVersion.content_sha256 == sha256))
        with self._session() as s:
            return s.scalar(stmt.order_by(ReportVersion.id.desc()).limit(1))

    def cells_for(self, url: str, sha256: Optional[str] = None) -> list[Cell]:
        v = self.version(url, sha256)
        return [] if v is None else [c for _, c in self.iter_cells(version_id=v.id)]

    def result_for(self, url: str, sha256: Optional[str] = None) -> Optional[ParseResult]:
        """A stored version read back as the ParseResult it was saved from."""
        v = self.version(url, sha256)
        if v is None:
            return None
        with self._session() as s:
            sections = [Section(no=r.no, heading=r.heading, text=r.text) for r in s.scalars(
                select(SectionRow).where(SectionRow.version_id == v.id).order_by(SectionRow.position))]
        return ParseResult(
            source=Source(url=url, sha256=v.sha256, encoding=v.encoding, media_type=v.media_type),
            title=v.title, report_year=v.report_year, template=v.template,
            header=Header(index_no=v.index_no, issuer=v.issuer,
                          written_date=v.written_date.isoformat() if v.written_date else None,
                          published_date=v.published_date.isoformat() if v.published_date else None,
                          doc_no=v.doc_no, subject=v.subject, category=v.category,
                          raw=dict(v.header_raw or {})),
            sections=sections,
            cells=[c for _, c in self.iter_cells(version_id=v.id)],
            checks=[c for _, c in self.iter_checks(version_id=v.id)],
            warnings=[w for _, w in self.iter_warnings(version_id=v.id)],
        )

    def raw_body(self, url: str, sha256: Optional[str] = None, role: str = "page",
                 file_url: Optional[str] = None) -> Optional[bytes]:
        """The bytes as fetched: the page, or the attachment at `file_url`."""
        v = self.version(url, sha256)
        if v is None:
            return None
        stmt = select(RawPage).where(RawPage.version_id == v.id, RawPage.role == role)
        if file_url is not None:
            stmt = stmt.where(RawPage.url == file_url)
        with self._session() as s:
            raw = s.scalar(stmt.order_by(RawPage.id).limit(1))
        return None if raw is None else zlib.decompress(raw.body)

    def current_reports(self, *, year: Optional[int] = None, template: Optional[str] = None,
                        code_prefix: Optional[str] = None, primary_only: bool = False) -> list[dict[str, Any]]:
        """The current version of every report matching the filters, with its report's fields
        and its group's key (`report_group`); `primary_only`: one report per issuer and year."""
        stmt = _current(select(Report, ReportVersion, ReportGroup.group_key), year, template, code_prefix,
                        primary_only)
        stmt = (stmt.outerjoin(ReportGroup, ReportVersion.group_id == ReportGroup.id)
                .order_by(Report.portal_code, ReportVersion.report_year, Report.url))
        out = []
        with self._session() as s:
            for report, v, group in s.execute(stmt):
                row = {c.key: getattr(v, c.key) for c in ReportVersion.__table__.columns}
                row.update(version_id=v.id, url=report.url, portal_code=report.portal_code,
                           list_url=report.list_url, first_seen=report.first_seen,
                           last_seen=report.last_seen, report_group=group)
                out.append(row)
        return out

    def iter_cells(self, *, version_id: Optional[int] = None, **filters: Any) -> Iterator[tuple[int, Cell]]:
        """(version_id, Cell) of one version, or of every current version matching the filters."""
        for r in self._stream(CellRow, version_id, filters):
            yield r.version_id, Cell(table=r.table_key, row=r.row_key, col=r.col_key,
                                     value=to_number(r.value_exact), raw=r.raw,
                                     inferred=r.inferred, origin=r.origin)

    def iter_checks(self, *, version_id: Optional[int] = None, **filters: Any) -> Iterator[tuple[int, Check]]:
        for r in self._stream(CheckRow, version_id, filters):
            yield r.version_id, Check(key=r.check_key, status=r.status, left=to_number(r.left_exact),
                                      right=to_number(r.right_exact), message=r.message)

    def iter_warnings(self, *, version_id: Optional[int] = None, **filters: Any) -> Iterator[tuple[int, Warning]]:
        for r in self._stream(WarningRow, version_id, filters):
            yield r.version_id, Warning(code=r.code, where=r.location, message=r.message, raw=r.raw)

    def count_cells(self, **filters: Any) -> dict[int, int]:
        """Cells per current version matching the filters."""
        stmt = _current(select(CellRow.version_id, func.count())
                        .join(ReportVersion, CellRow.version_id == ReportVersion.id), **filters)
        with self._session() as s:
            return {vid: n for vid, n in s.execute(stmt.group_by(CellRow.version_id))}

    def _stream(self, model: Any, version_id: Optional[int], filters: dict[str, Any]) -> Iterator[Any]:
        stmt = select(model)
        if version_id is not None:
            stmt = stmt.where(model.version_id == version_id)
            order = (model.position,)
        else:
            stmt = _current(stmt.join(ReportVersion, model.version_id == ReportVersion.id), **filters)
            order = (Report.portal_code, ReportVersion.report_year, Report.url, model.position)
        with self._session() as s:
            # Server-side batches: a national export is millions of cells.
            yield from s.scalars(stmt.order_by(*order).execution_options(yield_per=2000))


def _current(stmt: Select, year: Optional[int] = None, template: Optional[str] = None,
             code_prefix: Optional[str] = None, primary_only: bool = False) -> Select:
    """Restrict a select over ReportVersion to current versions matching the export filters;
    `primary_only` keeps one per report group, for figures per issuer and year."""
    stmt = stmt.join(Report, Report.current_version_id == ReportVersion.id)
    if primary_only:
        stmt = stmt.where(ReportVersion.is_primary)
    if year is not None:
        stmt = stmt.where(ReportVersion.report_year == year)
    if template is not None:
        stmt = stmt.where(ReportVersion.template == template)
    if code_prefix:
        stmt = stmt.where(Report.portal_code.startswith(code_prefix, autoescape=True))
    return stmt


# Tables whose rows hold only plain values (int, float, str, bool, None): their rows can go to the
# driver as they are.
_PLAIN_ROWS = frozenset({"cells", "checks", "sections"})
# Rows from which COPY beats executemany on PostgreSQL (its fixed cost is one more round trip).
_COPY_FROM = 16


def bulk_insert(s: Union[Session, Any], model: Any, rows: list[dict[str, Any]],
                columns: Optional[tuple[str, ...]] = None) -> None:
    """Insert many rows of one table with one executemany: dicts, or tuples in `columns`' order.

    The parse's rows (hundreds of cells per report) go to the DB-API cursor's executemany as
    tuples: SQLAlchemy's insert(table) with a list of dicts spends some microseconds per row
    processing parameters, more than the database takes to store it (bench/store.py). On
    PostgreSQL (psycopg) a larger batch goes by COPY FROM STDIN in the same transaction, which
    is several times faster than even a pipelined executemany. Tables with JSON or timestamp
    columns keep SQLAlchemy's processing. Every dict must have the keys of the first, in the
    same order (the _*_rows builders make them so).
    """
    if not rows:
        return
    table = model.__table__
    conn = s.connection() if isinstance(s, Session) else s
    mark = {"sqlite": "?", "postgresql": "%s"}.get(conn.dialect.name)
    if table.name not in _PLAIN_ROWS or mark is None:
        conn.execute(table.insert(), rows if columns is None else [dict(zip(columns, r)) for r in rows])
        return
    if columns is None:
        columns, rows = tuple(rows[0]), [tuple(r.values()) for r in rows]
    quote = conn.dialect.identifier_preparer.quote
    if mark == "%s" and len(rows) >= _COPY_FROM and conn.dialect.driver == "psycopg":
        with conn.connection.driver_connection.cursor() as cur, cur.copy(
                f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return
    conn.exec_driver_sql(_insert_sql(conn.dialect, table.name, columns, mark), rows)


@lru_cache(maxsize=64)
def _insert_sql(dialect: Any, table: str, cols: tuple[str, ...], mark: str) -> str:
    quote = dialect.identifier_preparer.quote
    return (f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in cols)}) "
            f"VALUES ({', '.join([mark] * len(cols))})")


def _header_fields(result: ParseResult) -> dict[str, Any]:
    """The version columns that come from the parse (not from the fetch)."""
    h = result.header
    return dict(title=result.title, report_year=result.report_year, template=result.template,
                issuer=h.issuer, index_no=h.index_no, written_date=_date(h.written_date),
                published_date=_date(h.published_date), doc_no=h.doc_no, subject=h.subject,
                category=h.category, header_raw=dict(h.raw or {}), encoding=result.source.encoding,
                media_type=result.source.media_type)


def _version_values(report_id: int, page: ReportPage, result: ParseResult, fetched: datetime,
                    digest: str, parser_version: Optional[str] = None,
                    shas: Optional[Shas] = None) -> dict[str, Any]:
    return dict(report_id=report_id, sha256=_sha(page.body, shas), content_sha256=digest,
                fetched_at=fetched, status=page.status, title_hint=page.title_hint,
                parsed_at=datetime.now(timezone.utc),
                parser_version=parser_version or govreports.PARSER_VERSION, **_header_fields(result))


def _stored_rows(s: Session, model: Any, version_id: int) -> list[dict[str, Any]]:
    """A version's parse rows as the dicts _cell_rows & co. make, for comparing with a new parse."""
    table = model.__table__
    cols = [c for c in table.columns if c.key not in ("id", "previous_version_id")]
    stmt = select(*cols).where(table.c.version_id == version_id).order_by(table.c.position)
    if "previous_version_id" in table.c:
        stmt = stmt.where(table.c.previous_version_id.is_(None))
    return [dict(r._mapping) for r in s.execute(stmt)]


def _body(raw: "RawPage") -> bytes:
    if raw.compression != "zlib":
        raise ValueError(f"raw page {raw.id}: unknown compression {raw.compression!r}")
    return zlib.decompress(raw.body)


_R, _V = Report.__table__, ReportVersion.__table__
_REPORT_BY_URL = select(_R).where(_R.c.url == bindparam("url"))
_VERSION_BY_CONTENT = select(_V.c.id, _V.c.is_current, _V.c.group_id).where(
    _V.c.report_id == bindparam("report_id"), _V.c.content_sha256 == bindparam("digest"))
# Built once: building a statement costs more than running it. The columns come from the
# parameters (for the UPDATE: every key but rid).
_INSERT_REPORT = insert(_R).returning(_R.c.id)
_INSERT_VERSION = insert(_V).returning(_V.c.id)
_UPDATE_REPORT = update(_R).where(_R.c.id == bindparam("rid"))
_INSERT_RAW = insert(RawPage.__table__)


def _save(conn: Any, page: ReportPage, result: ParseResult, parser_version: Optional[str]) -> str:
    """Store.save's work, on a connection in a write transaction."""
    from govreports import groups
    fetched = _timestamp(page.fetched_at)
    shas, zipped = _unpacked(page)
    digest = content_sha256(page, shas)
    # Core statements on one connection, not the ORM: this runs once per crawled report and
    # the unit of work would cost more than the database does (bench/store.py).
    report = conn.execute(_REPORT_BY_URL, {"url": page.url}).first()
    late = False
    if report is None:
        portal_code, current = page.portal_code, None
        report_id = conn.execute(_INSERT_REPORT, dict(
            url=page.url, portal_code=page.portal_code, list_url=page.list_url,
            first_seen=fetched, last_seen=fetched, **_validators(page))).scalar_one()
        outcome = NEW
    else:
        report_id, current = report.id, report.current_version_id
        late = fetched < report.last_seen
        portal_code = page.portal_code or report.portal_code
        conn.execute(_UPDATE_REPORT, dict(
            rid=report_id, first_seen=min(report.first_seen, fetched),
            last_seen=max(report.last_seen, fetched), portal_code=portal_code,
            list_url=page.list_url or report.list_url,
            # A late page (a dead letter replayed) has older validators than those stored.
            **(_validators(page) if not late else dict(etag=report.etag,
                                                       last_modified=report.last_modified))))
        outcome = CHANGED
        known = conn.execute(_VERSION_BY_CONTENT, {"report_id": report_id, "digest": digest}).first()
        if known is not None:
            if known.is_current or late:
                return UNCHANGED
            _make_current(conn, report_id, known.id)
            groups.refresh(conn, groups.group_ids_of(conn, [current]) | {known.group_id})
            return CHANGED
    group = groups.group_for(conn, url=page.url, portal_code=portal_code, title=result.title,
                             issuer=result.header.issuer, year=result.report_year)
    if current is not None and not late:
        _unmark_current(conn, report_id)
    # Inserted as what it will be, rather than updated after: fewer statements per save.
    # A group made for this version has no other member, so it is its primary.
    version_id = conn.execute(_INSERT_VERSION, dict(
        **_version_values(report_id, page, result, fetched, digest, parser_version, shas),
        group_id=group.id, is_current=not late, is_primary=group.created and not late,
    )).scalar_one()
    conn.execute(_INSERT_RAW, _raw_rows(version_id, page, shas, zipped))
    bulk_insert(conn, CellRow, _cell_values(version_id, result), _CELL_COLUMNS)
    bulk_insert(conn, CheckRow, _check_values(version_id, result), _CHECK_COLUMNS)
    for model, rows in ((WarningRow, _warning_rows), (SectionRow, _section_rows)):
        bulk_insert(conn, model, rows(version_id, result))
    if late:
        return CHANGED
    conn.execute(_UPDATE_REPORT, dict(rid=report_id, current_version_id=version_id))
    groups.refresh(conn, groups.group_ids_of(conn, [current]) | {group.id}, known=[group])
    return outcome


def _validators(page: ReportPage) -> dict[str, Optional[str]]:
    headers = {k.lower(): v for k, v in (page.headers or {}).items()}
    return dict(etag=headers.get("etag") or None, last_modified=headers.get("last-modified") or None)


def _unmark_current(conn: Any, report_id: int, keep: Optional[int] = None) -> None:
    # Before marking another: the partial unique index allows one current row at a time.
    stmt = update(_V).where(_V.c.report_id == report_id, _V.c.is_current)
    if keep is not None:
        stmt = stmt.where(_V.c.id != keep)
    conn.execute(stmt.values(is_current=False))


def _make_current(conn: Any, report_id: int, version_id: int) -> None:
    _unmark_current(conn, report_id, keep=version_id)
    conn.execute(update(_V).where(_V.c.id == version_id).values(is_current=True))
    conn.execute(update(_R).where(_R.c.id == report_id).values(current_version_id=version_id))


def create_store_engine(url: str, *, echo: bool = False) -> Engine:
    """The engine every store connection goes through: SQLite gets its folder, a lock timeout,
    foreign keys, WAL and real transactions; JSON keeps Chinese text readable."""
    sa_url = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "json_serializer": _json_dumps}
    is_sqlite = sa_url.get_backend_name() == "sqlite"
    if is_sqlite:
        if sa_url.database and sa_url.database != ":memory:" and not sa_url.database.startswith("file:"):
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        # A crawl and a CLI `--store` may write at once: wait for the lock, not fail.
        kwargs["connect_args"] = {"timeout": 30}
    elif sa_url.get_backend_name() == "postgresql" and "connect_timeout" not in sa_url.query:
        # A server that drops packets would otherwise hold the crawl for minutes per item.
        kwargs["connect_args"] = {"connect_timeout": 10}
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        _sqlite_setup(engine)
    return engine


def _sqlite_setup(engine: Engine) -> None:
    """Foreign keys, WAL, and real transactions (sqlite3's legacy mode skips BEGIN before a SELECT,
    which would let a save read and write in different transactions)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the crawl
        # loses nothing committed, a power cut at most the last reports (fetched again by the next
        # run, as they are not stored); the database is never corrupted. FULL's fsync per report
        # was the store's largest cost in a crawl (bench/crawl.py).
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("govreports_write")
                             else "BEGIN")


class LazyStore:
    """A Store opened on first use, and tried once: for the crawl's helpers to which the database
    is a help, not a need (the fetch log, the incremental check). A database that cannot be
    opened is said once in the log, with what the crawl does without it, and then left alone."""

    def __init__(self, url: str, what: str, without: str) -> None:
        self.url, self.what, self.without = url, what, without
        self._store: Optional[Store] = None
        self._failed = False

    def get(self) -> Optional[Store]:
        if self._store is None and not self._failed:
            try:
                self._store = Store(self.url)
            except Exception as exc:
                self._failed = True
                logging.getLogger(__name__).warning(
                    "%s: database unavailable (%s: %s); %s", self.what, type(exc).__name__, exc,
                    self.without)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
