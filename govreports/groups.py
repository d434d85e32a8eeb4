"""What is known across reports: report groups, the primary report of each, continuity checks.

Issuer. A report's issuer name is the part of its title before the report year ("贵溪市人民政府"
in "贵溪市人民政府2019年政府信息公开工作年度报告"), else the header's issuer (发文机关 / 发布机构 /
来源). The title comes first because it names whose report it is and stays the same across the
reposts, image and PDF versions of one report, while the header names who posted the page (often
the government's office, or the paper a repost came from). The name is compared in its matching
form (govreports.normalize.norm: NFKC, simplified script, no spaces, unified brackets) with
人民政府 shortened to 政府, and scoped by the portal's division code:

    issuer_key = "<portal_code>|<name>"          e.g. "360681|贵溪市政府"

The portal code keeps a bare "县财政局" of two counties apart; the price is that a copy of a report
on another portal (the prefecture's, say) is a group of its own.

Group. Versions with the same issuer_key and report_year are one group (report_groups, group_key
"<issuer_key>|<year>"). A version whose issuer or year is unknown is a group of its own (group_key
"url|<url>"), so every version has a group and every group with a current version has a primary.

Primary. Among a group's current versions the primary is the one with the most cells, then the
report fetched first (reports.first_seen), then the lowest report id. Per-issuer/year figures
count primary versions only (report_versions.is_primary, the export's is_primary column).

Continuity. requests.continuity.<col> (govreports.checks.continuity) compares each current version
of (issuer, N) with the primary of (issuer, N-1) and is stored on the later version, in `checks`
after its parse checks, with previous_version_id naming the version compared with. It is
recomputed whenever either year's group changes (a save, a re-parse, a migration) and dropped from
versions that stop being current. A pair where either side has no requests table gets none, as
checks.run gives no requests checks to a report without one.

Every function takes a Session or a Connection inside the caller's transaction and works on a
set of groups (None: all of them, for the rebuild after a migration) with set-based statements.
The statements a save runs are built once, with expanding parameters, and run on the Connection:
a save must not be slowed by building SQL (bench/store.py).
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, NamedTuple, Optional, Union

from sqlalchemy import (and_, bindparam, delete, exists, func, insert, null, select, text, true,
                        union_all, update)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from govreports import checks
from govreports.model import Cell, ParseResult, to_number
from govreports.normalize import norm
from govreports.store import (CellRow, CheckRow, Report, ReportGroup, ReportVersion, bulk_insert,
                              exact_text)

Executor = Union[Session, Connection]
V, G = ReportVersion, ReportGroup
_YEAR = re.compile(r"(?:19|20)\d{2}年")
# Words around the issuer in titles such as "关于XX县2019年…" or "XX县人民政府关于2019年…".
_AROUND = re.compile(r"^关于|关于$|[《》<>(),:：、]+")
_CONTINUITY_ROWS = ("carried_over", "carried_forward")
# Bind parameters per IN list: well under SQLite's limit.
_CHUNK = 500


def issuer_name(title: Optional[str], issuer: Optional[str]) -> Optional[str]:
    """The issuer as the title names it before the year, else the header's issuer."""
    if title:
        t = norm(title)
        m = _YEAR.search(t)
        if m:
            name = _AROUND.sub("", t[:m.start()])
            if len(name) >= 2:
                return name
    if issuer and issuer.strip():
        return issuer.strip()
    return None


def issuer_key(portal_code: Optional[str], title: Optional[str], issuer: Optional[str]) -> Optional[str]:
    name = issuer_name(title, issuer)
    if not name:
        return None
    name = norm(name).replace("人民政府", "政府")
    return f"{portal_code or ''}|{name}" if name else None


def group_key(key: Optional[str], year: Optional[int], url: str) -> str:
    return f"{key}|{year}" if key and year is not None else f"url|{url}"


def _chunks(items: Iterable[Any], n: int = _CHUNK) -> Iterator[list[Any]]:
    items = list(items)
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _conn(x: Executor) -> Connection:
    # Core statements skip the ORM's execution layer, which costs more than the query here.
    return x.connection() if isinstance(x, Session) else x


_IDS = bindparam("ids", expanding=True)
_Vt, _Gt, _Ct = V.__table__, G.__table__, CheckRow.__table__


# -- groups --------------------------------------------------------------------------------

_GROUP_BY_KEY = select(_Gt.c.id).where(_Gt.c.group_key == bindparam("key"))


class GroupRef(NamedTuple):
    """A group as a save resolved it: `created` when this transaction made it."""
    id: int
    created: bool
    issuer_key: Optional[str]
    report_year: Optional[int]


_ADVISORY = text("SELECT pg_advisory_xact_lock(:k)")


def lock_issuers(conn: Connection, keys: Iterable[str]) -> None:
    """On PostgreSQL, hold every issuer's lock (issuer_key, or group_key of a group of one) until
    the transaction ends. Two crawls saving one issuer's 2019 and 2020 reports at once would
    otherwise each miss the other's uncommitted group and store no continuity check at all; row
    locks cannot help, as the rows do not exist yet. SQLite's write lock already serialises."""
    if conn.dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        digest = hashlib.blake2b(key.encode(), digest_size=8, person=b"govreports").digest()
        conn.execute(_ADVISORY, {"k": int.from_bytes(digest, "big", signed=True)})


def _keys(url: str, portal_code: Optional[str], title: Optional[str], issuer: Optional[str],
          year: Optional[int]) -> tuple[Optional[str], str, Optional[int]]:
    """(issuer key, group key, year) of a parse; issuer key and year are None when the group
    is the URL's alone."""
    ikey = issuer_key(portal_code, title, issuer)
    gkey = group_key(ikey, year, url)
    return (ikey, gkey, year) if ikey is not None and year is not None else (None, gkey, None)


def lock_key(*, url: str, portal_code: Optional[str], title: Optional[str], issuer: Optional[str],
             year: Optional[int]) -> str:
    """What group_for locks for a parse with these fields (lock_issuers)."""
    ikey, gkey, _ = _keys(url, portal_code, title, issuer, year)
    return ikey or gkey


def group_for(x: Executor, *, url: str, portal_code: Optional[str], title: Optional[str],
              issuer: Optional[str], year: Optional[int]) -> GroupRef:
    """The group a parse with these fields belongs to, made if it does not exist yet."""
    conn = _conn(x)
    ikey, gkey, year = _keys(url, portal_code, title, issuer, year)
    lock_issuers(conn, [ikey or gkey])
    gid = conn.execute(_GROUP_BY_KEY, {"key": gkey}).scalar()
    if gid is not None:
        return GroupRef(gid, False, ikey, year)
    row = {"group_key": gkey, "issuer_key": ikey, "report_year": year}
    if conn.dialect.name in ("postgresql", "sqlite"):
        gid = conn.execute(_insert_ignore(conn.dialect.name, returning=True), row).scalar()
        if gid is not None:
            return GroupRef(gid, True, ikey, year)
        # Another crawl made it a moment ago (PostgreSQL): not ours, so not fresh either.
        return GroupRef(conn.execute(_GROUP_BY_KEY, {"key": gkey}).scalar_one(), False, ikey, year)
    return GroupRef(_group_ids(conn, {(gkey, ikey, year)}, load_all=False)[gkey], True, ikey, year)


@lru_cache(maxsize=4)
def _insert_ignore(dialect: str, returning: bool = False) -> Any:
    """INSERT into report_groups that does nothing when the group_key exists (two crawls may
    create the same group at once)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(_Gt).on_conflict_do_nothing(index_elements=["group_key"])
    return stmt.returning(_Gt.c.id) if returning else stmt


def assign(x: Executor, version_ids: Optional[Iterable[int]] = None) -> set[int]:
    """Put versions (None: all) into their groups. Returns the groups they left and joined."""
    conn = _conn(x)
    stmt = (select(_Vt.c.id, _Vt.c.title, _Vt.c.issuer, _Vt.c.report_year, _Vt.c.group_id,
                   Report.url, Report.portal_code)
            .join(Report, _Vt.c.report_id == Report.id))
    rows = []
    if version_ids is None:
        rows = conn.execute(stmt).all()
    else:
        for chunk in _chunks(version_ids):
            rows += conn.execute(stmt.where(_Vt.c.id.in_(chunk))).all()
    wanted = {}
    for r in rows:
        key = issuer_key(r.portal_code, r.title, r.issuer)
        keyed = key is not None and r.report_year is not None
        wanted[r.id] = (group_key(key, r.report_year, r.url), key if keyed else None,
                        r.report_year if keyed else None)
    ids = _group_ids(conn, set(wanted.values()), load_all=version_ids is None)
    affected: set[int] = set()
    changes = []
    for r in rows:
        gid = ids[wanted[r.id][0]]
        if r.group_id != gid:
            changes.append({"vid": r.id, "gid": gid})
            affected.update(g for g in (r.group_id, gid) if g is not None)
        else:
            affected.add(gid)
    if changes:
        conn.execute(update(_Vt).where(_Vt.c.id == bindparam("vid")).values(group_id=bindparam("gid")),
                     changes)
    return affected


def _group_ids(conn: Connection, keys: set[tuple[str, Optional[str], Optional[int]]],
               load_all: bool) -> dict[str, int]:
    """group_key -> id, creating the groups that do not exist yet."""
    def load() -> dict[str, int]:
        if load_all:
            return dict(conn.execute(select(_Gt.c.group_key, _Gt.c.id)).all())
        out: dict[str, int] = {}
        for chunk in _chunks(k for k, _, _ in keys):
            out.update(conn.execute(select(_Gt.c.group_key, _Gt.c.id).where(_Gt.c.group_key.in_(chunk))).all())
        return out

    ids = load()
    missing = [{"group_key": k, "issuer_key": ik, "report_year": y} for k, ik, y in keys if k not in ids]
    if missing:
        stmt = _insert_ignore(conn.dialect.name) if conn.dialect.name in ("postgresql", "sqlite") else insert(_Gt)
        conn.execute(stmt, missing)
        ids = load()
    return ids


_GROUP_OF = select(_Vt.c.group_id).where(_Vt.c.id.in_(_IDS))


def group_ids_of(x: Executor, version_ids: Iterable[Optional[int]]) -> set[int]:
    vids = [v for v in version_ids if v is not None]
    if not vids:
        return set()
    return {g for (g,) in _conn(x).execute(_GROUP_OF, {"ids": vids}) if g is not None}


_GROUPS = select(_Gt.c.id, _Gt.c.issuer_key, _Gt.c.report_year, _Gt.c.group_key).where(_Gt.c.id.in_(_IDS))
_NEIGHBOURS = select(_Gt.c.id, _Gt.c.issuer_key, _Gt.c.report_year).where(
    _Gt.c.issuer_key.in_(bindparam("keys", expanding=True)),
    _Gt.c.report_year.in_(bindparam("years", expanding=True)))


def refresh(x: Executor, group_ids: Iterable[Optional[int]], *, known: Iterable[GroupRef] = ()) -> None:
    """Recompute the primaries of these groups, and the continuity checks that depend on them
    (theirs, and those of the same issuer's next year).

    `known`: groups the caller resolved (no need to read them again); a `created` one holds only
    the version being saved, which the caller made its primary, and no continuity check yet.
    """
    ids = {g for g in group_ids if g is not None}
    if not ids:
        return
    conn = _conn(x)
    known = [r for r in known if r.id in ids]
    fresh = {r.id for r in known if r.created}
    info = {r.id: (r.issuer_key, r.report_year) for r in known}
    if ids - info.keys():
        rows = conn.execute(_GROUPS, {"ids": sorted(ids - info.keys())}).all()
        # Before reading the neighbours, so another crawl's work on these issuers is committed.
        lock_issuers(conn, [r.issuer_key or r.group_key for r in rows])
        info.update((r.id, (r.issuer_key, r.report_year)) for r in rows)
    keyed = {g: (k, y) for g, (k, y) in info.items() if k and y is not None}
    later: set[int] = set()
    with_previous: set[int] = set()
    if keyed:
        found = conn.execute(_NEIGHBOURS, {"keys": sorted({k for k, _ in keyed.values()}),
                                           "years": sorted({y + d for _, y in keyed.values() for d in (-1, 1)})})
        present = {(r.issuer_key, r.report_year): r.id for r in found}
        later = {present[k, y + 1] for k, y in keyed.values() if (k, y + 1) in present}
        with_previous = {g for g, (k, y) in keyed.items() if (k, y - 1) in present}
    if ids - fresh:
        choose_primaries(conn, ids - fresh)
    # A fresh group needs continuity checks only when its issuer has the year before.
    continuity = {g for g in ids if g not in fresh or g in with_previous} | later
    if continuity:
        recompute_continuity(conn, continuity, fresh=fresh)


def rebuild(x: Executor) -> None:
    """Every group, primary and continuity check again from the stored versions."""
    conn = _conn(x)
    assign(conn, None)
    conn.execute(delete(_Gt).where(~exists(select(_Vt.c.id).where(_Vt.c.group_id == _Gt.c.id))))
    choose_primaries(conn, None)
    recompute_continuity(conn, None)


# -- primaries -----------------------------------------------------------------------------

def _candidates(group_filter: Any) -> tuple[Any, Any]:
    """(current versions of the groups with their cell counts and report, versions marked primary)."""
    members = select(_Vt.c.id).where(_Vt.c.is_current, group_filter)
    n_cells = (select(CellRow.version_id, func.count().label("n"))
               .where(CellRow.version_id.in_(members)).group_by(CellRow.version_id).subquery())
    stmt = (select(_Vt.c.id, _Vt.c.group_id, func.coalesce(n_cells.c.n, 0).label("n"), Report.first_seen,
                   Report.id.label("report_id"))
            .join(Report, _Vt.c.report_id == Report.id)
            .outerjoin(n_cells, n_cells.c.version_id == _Vt.c.id)
            .where(_Vt.c.is_current, group_filter))
    return stmt, select(_Vt.c.id).where(_Vt.c.is_primary, group_filter)


_SOME_CANDIDATES, _SOME_MARKED = _candidates(_Vt.c.group_id.in_(_IDS))
_ALL_CANDIDATES, _ALL_MARKED = _candidates(_Vt.c.group_id.is_not(None))
_SET_PRIMARY = update(_Vt).where(_Vt.c.id.in_(_IDS)).values(is_primary=bindparam("flag"))


def choose_primaries(x: Executor, group_ids: Optional[set[int]]) -> None:
    conn = _conn(x)
    if group_ids is None:
        candidates, marked = conn.execute(_ALL_CANDIDATES), conn.execute(_ALL_MARKED).scalars()
    else:
        params = {"ids": list(group_ids)}
        candidates, marked = conn.execute(_SOME_CANDIDATES, params), conn.execute(_SOME_MARKED, params).scalars()
    best: dict[int, tuple[Any, ...]] = {}
    for r in candidates:
        rank = (-r.n, r.first_seen, r.report_id, r.id)
        if r.group_id not in best or rank < best[r.group_id]:
            best[r.group_id] = rank
    chosen = {rank[3] for rank in best.values()}
    now = set(marked)
    # Unmark first: the partial unique index allows one primary per group at any moment.
    for ids, flag in ((now - chosen, False), (chosen - now, True)):
        for chunk in _chunks(sorted(ids)):
            conn.execute(_SET_PRIMARY, {"ids": chunk, "flag": flag})


# -- continuity ----------------------------------------------------------------------------

def _pairs(group_filter: Any) -> Any:
    """(current version of a later group, primary of the same issuer's year before) pairs."""
    later, earlier, prev = aliased(G), aliased(G), aliased(V)
    return (select(V.id, V.report_year, prev.id.label("prev_id"), prev.report_year.label("prev_year"))
            .join(later, V.group_id == later.id)
            .join(earlier, and_(earlier.issuer_key == later.issuer_key,
                                earlier.report_year == later.report_year - 1))
            .join(prev, and_(prev.group_id == earlier.id, prev.is_primary))
            .where(V.is_current, group_filter(later)))


_SOME_PAIRS = _pairs(lambda g: g.id.in_(_IDS))
_ALL_PAIRS = _pairs(lambda g: g.id.is_not(None))
_SOME_STALE = delete(_Ct).where(_Ct.c.previous_version_id.is_not(None),
                                _Ct.c.version_id.in_(select(_Vt.c.id).where(_Vt.c.group_id.in_(_IDS))))
_ALL_STALE = delete(_Ct).where(_Ct.c.previous_version_id.is_not(None))


def _requests_statement(version_filter: Any) -> Any:
    """The carried-over/forward cells of versions, and one row with a null row_key per version
    that has a requests table at all: one statement for both."""
    carried = select(CellRow.version_id, CellRow.row_key, CellRow.col_key, CellRow.value_exact,
                     CellRow.raw).where(CellRow.table_key == "requests",
                                        CellRow.row_key.in_(_CONTINUITY_ROWS), version_filter)
    having = (select(CellRow.version_id, null(), null(), null(), null())
              .where(CellRow.table_key == "requests", version_filter).group_by(CellRow.version_id))
    return union_all(carried, having)


_REQUESTS = _requests_statement(true())
_SOME_REQUESTS = _requests_statement(CellRow.version_id.in_(_IDS))
_TOP = select(_Ct.c.version_id, func.max(_Ct.c.position)).group_by(_Ct.c.version_id)
_SOME_TOP = _TOP.where(_Ct.c.version_id.in_(_IDS))


def recompute_continuity(x: Executor, group_ids: Optional[set[int]], *, fresh: Iterable[int] = ()) -> None:
    """Replace the continuity checks of the versions in these groups (None: all); `fresh`
    groups were made in this transaction and have none to drop."""
    conn = _conn(x)
    # Dropped from every version of the groups, current or not; written again on current ones.
    if group_ids is None:
        conn.execute(_ALL_STALE)
        pairs = conn.execute(_ALL_PAIRS).all()
    else:
        if group_ids - set(fresh):
            conn.execute(_SOME_STALE, {"ids": sorted(group_ids - set(fresh))})
        pairs = conn.execute(_SOME_PAIRS, {"ids": sorted(group_ids)}).all()
    if not pairs:
        return
    whole = group_ids is None
    cells, with_requests = _requests_cells(conn, None if whole else {p.id for p in pairs} | {p.prev_id for p in pairs})
    bases = _next_positions(conn, None if whole else {p.id for p in pairs})
    rows = []
    for p in pairs:
        if p.id not in with_requests or p.prev_id not in with_requests:
            continue
        current = ParseResult(report_year=p.report_year, cells=cells.get(p.id, []))
        previous = ParseResult(report_year=p.prev_year, cells=cells.get(p.prev_id, []))
        base = bases.get(p.id, 0)
        for i, c in enumerate(checks.continuity(previous, current)):
            rows.append(dict(version_id=p.id, position=base + i, check_key=c.key, status=c.status,
                             left_value=None if c.left is None else float(c.left),
                             left_exact=exact_text(c.left),
                             right_value=None if c.right is None else float(c.right),
                             right_exact=exact_text(c.right), message=c.message,
                             previous_version_id=p.prev_id))
    if rows:
        bulk_insert(conn, CheckRow, rows)


def _requests_cells(conn: Connection, version_ids: Optional[set[int]]) -> tuple[dict[int, list[Cell]], set[int]]:
    """The carried-over/forward cells of these versions, and which of them have a requests table."""
    cells: dict[int, list[Cell]] = defaultdict(list)
    with_requests: set[int] = set()
    chunks = [None] if version_ids is None else list(_chunks(sorted(version_ids)))
    for chunk in chunks:
        rows = conn.execute(_REQUESTS) if chunk is None else conn.execute(_SOME_REQUESTS, {"ids": chunk})
        for vid, row, col, exact, raw in rows:
            if row is None:
                with_requests.add(vid)
            else:
                cells[vid].append(Cell("requests", row, col, to_number(exact), raw))
    return cells, with_requests


def _next_positions(conn: Connection, version_ids: Optional[set[int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    chunks = [None] if version_ids is None else list(_chunks(sorted(version_ids)))
    for chunk in chunks:
        rows = conn.execute(_TOP) if chunk is None else conn.execute(_SOME_TOP, {"ids": chunk})
        out.update({vid: top + 1 for vid, top in rows})
    return out
