"""The SQL store: reports, their versions, raw bytes and parsed rows, in SQLite or PostgreSQL.

One row in `reports` per URL. Every distinct content fetched at that URL is a row in
`report_versions`, kept for good with its raw bytes (`raw_pages`) and what the parser made of it
(`cells`, `checks`, `warnings`, `sections`); exactly one version per report is current. Values
keep the contract's keys (shared/schema/tables.md) as data: `cells.table_key` holds "requests".

The schema is published to researchers: change it only through a migration. All models live on
`Base.metadata` with a naming convention, so Alembic autogenerate sees stable constraint names.
"""
from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, Double, ForeignKey, Index,
                        LargeBinary, MetaData, Select, String, Text, UniqueConstraint,
                        create_engine, event, func, select, text, update)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

import govreports
from govreports.items import ReportPage
from govreports.model import (Cell, Check, Header, Number, ParseResult, Section, Source, Warning,
                              to_number)

NEW, UNCHANGED, CHANGED = "new", "unchanged", "changed"

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


class ReportVersion(Base):
    """One distinct content of a report URL, and the parse of it."""
    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("report_id", "content_sha256"),
        # At most one current version per report, enforced by the database.
        Index("ix_report_versions_one_current", "report_id", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
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


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_sha256(page: ReportPage) -> str:
    """The version identity: the page body's sha256, extended by the attachments' if any."""
    page_sha = sha256_hex(page.body)
    if not page.attachments:
        return page_sha
    h = hashlib.sha256(page_sha.encode())
    for url, sha in sorted((a.url, sha256_hex(a.body)) for a in page.attachments):
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


def _cell_rows(version_id: int, result: ParseResult) -> list[dict[str, Any]]:
    return [dict(version_id=version_id, position=i, table_key=c.table, row_key=c.row, col_key=c.col,
                 value=_double(c.value), value_exact=exact_text(c.value), raw=c.raw,
                 inferred=bool(c.inferred), origin=c.origin)
            for i, c in enumerate(result.cells)]


def _check_rows(version_id: int, result: ParseResult) -> list[dict[str, Any]]:
    return [dict(version_id=version_id, position=i, check_key=c.key, status=c.status,
                 left_value=_double(c.left), left_exact=exact_text(c.left),
                 right_value=_double(c.right), right_exact=exact_text(c.right), message=c.message or "")
            for i, c in enumerate(result.checks)]


def _warning_rows(version_id: int, result: ParseResult) -> list[dict[str, Any]]:
    return [dict(version_id=version_id, position=i, code=w.code, location=w.where,
                 message=w.message, raw=w.raw)
            for i, w in enumerate(result.warnings)]


def _section_rows(version_id: int, result: ParseResult) -> list[dict[str, Any]]:
    return [dict(version_id=version_id, position=i, no=s.no, heading=s.heading, text=s.text)
            for i, s in enumerate(result.sections)]


def _raw_rows(version_id: int, page: ReportPage) -> list[dict[str, Any]]:
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
        r.update(sha256=sha256_hex(body), size=len(body), compression="zlib",
                 body=zlib.compress(body, 6), headers=dict(r["headers"] or {}),
                 fetched_at=_timestamp(r["fetched_at"]))
    return rows


class Store:
    """One database (SQLAlchemy URL): `save` parse results, read them back for export and tests."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        sa_url = make_url(url)
        self.is_sqlite = sa_url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo, "json_serializer": _json_dumps}
        if self.is_sqlite:
            if sa_url.database and sa_url.database != ":memory:" and not sa_url.database.startswith("file:"):
                Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
            # A crawl and a CLI `--store` may write at once: wait for the lock, not fail.
            kwargs["connect_args"] = {"timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        # Writes take SQLite's write lock up front, so a read-then-write save never fails halfway
        # on a lock upgrade.
        self._writer = sessionmaker(self.engine.execution_options(govreports_write=True),
                                    expire_on_commit=False)
        Base.metadata.create_all(self.engine)

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

    def save(self, page: ReportPage, result: ParseResult) -> str:
        """Store one fetched report and its parse in one transaction; 'new', 'unchanged' or 'changed'.

        The same content at the same URL adds no row (only reports.last_seen moves on). New content
        adds a version and makes it current; older versions stay with all their rows. Content seen
        before (A -> B -> A) makes that older version current again.
        """
        fetched = _timestamp(page.fetched_at)
        digest = content_sha256(page)
        with self._writer() as s, s.begin():
            report = s.scalar(select(Report).where(Report.url == page.url))
            if report is None:
                report = Report(url=page.url, portal_code=page.portal_code, list_url=page.list_url,
                                first_seen=fetched, last_seen=fetched)
                s.add(report)
                s.flush()
                outcome = NEW
            else:
                report.first_seen = min(report.first_seen, fetched)
                report.last_seen = max(report.last_seen, fetched)
                report.portal_code = page.portal_code or report.portal_code
                report.list_url = page.list_url or report.list_url
                outcome = CHANGED
            version = s.scalar(select(ReportVersion).where(ReportVersion.report_id == report.id,
                                                           ReportVersion.content_sha256 == digest))
            if version is not None:
                if version.is_current:
                    return UNCHANGED
                _make_current(s, report, version)
                return CHANGED
            version = _version_row(report.id, page, result, fetched, digest)
            s.add(version)
            s.flush()
            s.execute(RawPage.__table__.insert(), _raw_rows(version.id, page))
            for model, rows in ((CellRow, _cell_rows), (CheckRow, _check_rows),
                                (WarningRow, _warning_rows), (SectionRow, _section_rows)):
                data = rows(version.id, result)
                if data:
                    s.execute(model.__table__.insert(), data)
            _make_current(s, report, version)
            return outcome

    # -- reading ---------------------------------------------------------------------------

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
                        code_prefix: Optional[str] = None) -> list[dict[str, Any]]:
        """The current version of every report matching the filters, with its report's fields."""
        stmt = _current(select(Report, ReportVersion), year, template, code_prefix)
        stmt = stmt.order_by(Report.portal_code, ReportVersion.report_year, Report.url)
        out = []
        with self._session() as s:
            for report, v in s.execute(stmt):
                row = {c.key: getattr(v, c.key) for c in ReportVersion.__table__.columns}
                row.update(version_id=v.id, url=report.url, portal_code=report.portal_code,
                           list_url=report.list_url, first_seen=report.first_seen,
                           last_seen=report.last_seen)
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
             code_prefix: Optional[str] = None) -> Select:
    """Restrict a select over ReportVersion to current versions matching the export filters."""
    stmt = stmt.join(Report, Report.current_version_id == ReportVersion.id)
    if year is not None:
        stmt = stmt.where(ReportVersion.report_year == year)
    if template is not None:
        stmt = stmt.where(ReportVersion.template == template)
    if code_prefix:
        stmt = stmt.where(Report.portal_code.startswith(code_prefix, autoescape=True))
    return stmt


def _version_row(report_id: int, page: ReportPage, result: ParseResult, fetched: datetime,
                 digest: str) -> ReportVersion:
    h = result.header
    return ReportVersion(
        report_id=report_id, sha256=sha256_hex(page.body), content_sha256=digest, fetched_at=fetched,
        status=page.status, title=result.title, report_year=result.report_year,
        template=result.template, issuer=h.issuer, index_no=h.index_no,
        written_date=_date(h.written_date), published_date=_date(h.published_date),
        doc_no=h.doc_no, subject=h.subject, category=h.category, header_raw=dict(h.raw or {}),
        encoding=result.source.encoding, media_type=result.source.media_type, is_current=False,
        parsed_at=datetime.now(timezone.utc), parser_version=govreports.__version__)


def _make_current(s: Session, report: Report, version: ReportVersion) -> None:
    # Unmark the old version first: the partial unique index allows one current row at a time.
    s.execute(update(ReportVersion)
              .where(ReportVersion.report_id == report.id, ReportVersion.is_current,
                     ReportVersion.id != version.id)
              .values(is_current=False)
              .execution_options(synchronize_session=False))
    version.is_current = True
    report.current_version_id = version.id
    s.flush()


def _sqlite_setup(engine: Engine) -> None:
    """Foreign keys, WAL, and real transactions (sqlite3's legacy mode skips BEGIN before a SELECT,
    which would let a save read and write in different transactions)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("govreports_write")
                             else "BEGIN")
