"""SQL views over the store: the current version of every report, with its context, ready to query.

The tables keep every version of every report; most questions are about the current ones, with
the province and the year beside each number. These views answer that without joins, in
Datasette (govreports/datasette/metadata.yml: facets and canned queries use them) and in any SQL
client, on SQLite and PostgreSQL alike (portable SQL: substr, CASE, LIKE, ||; on SQLite a whole
number comes back as an integer, 3119 rather than 3119.0):

- `current_reports`  one row per report: its current version's header, province, counts;
- `current_cells`    every cell of a current version, with issuer, province, year, template;
- `current_checks`   every check of a current version, with its family (requests.balance …);
- `current_warnings` every warning of a current version.

`is_primary` marks the one current version that counts for its issuer and year (a report reposted
at several URLs is one group: govreports.groups); sums over reports should keep to it.
`province` comes from the first two digits of `reports.portal_code` (GB/T 2260), so it is null
for a report stored without a portal code (a single `-a url=` fetch, the demo's column crawl).

Views hold no data: `ensure_views` (run by `Store`) creates them, and replaces one whose
definition changed, so an existing database follows the code.
"""
from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from govreports.export import PROVINCES

# Families of checks.checks keys, in the order a summary lists them: a family is one identity of
# the form, tested per column or per block. A key not listed is its own family.
CHECK_FAMILIES = (
    ("requests.balance", "requests.balance.%"),
    ("requests.row_total", "requests.row_total.%"),
    ("requests.outcomes", "requests.outcomes.%"),
    ("requests.continuity", "requests.continuity.%"),
    ("appeals.totals", "appeals.%"),
    ("values.domain", "values.domain%"),
    ("legacy.channels", "legacy.channels.%"),
    ("legacy.replies", "legacy.replies.%"),
    ("legacy.cumulative", "legacy.cumulative%"),
)

# Tag in a PostgreSQL view comment: SQLite keeps the CREATE text to compare, PostgreSQL does not.
_TAG = "govreports view "


def check_family(key: str) -> str:
    """The family of a check key, as the views compute it (requests.balance.total → requests.balance)."""
    for family, pattern in CHECK_FAMILIES:
        prefix = pattern.rstrip("%")
        if key.startswith(prefix):
            return family
    return key


def province_sql(code_expr: str) -> str:
    whens = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in PROVINCES.items())
    return f"CASE substr({code_expr}, 1, 2) {whens} END"


def _family_sql(key_expr: str) -> str:
    whens = " ".join(f"WHEN {key_expr} LIKE '{pattern}' THEN '{family}'"
                     for family, pattern in CHECK_FAMILIES)
    return f"CASE {whens} ELSE {key_expr} END"


# The context every per-version view repeats, from `reports r` and its current version `v`.
_CONTEXT = f"""r.id AS report_id, v.id AS version_id, r.url, r.portal_code,
    substr(r.portal_code, 1, 2) AS province_code, {province_sql('r.portal_code')} AS province,
    v.issuer, v.report_year, v.template, v.is_primary"""
_CURRENT = "reports r JOIN report_versions v ON v.id = r.current_version_id"


def _number(expr: str, dialect: str) -> str:
    # SQLite keeps a column's REAL as 3119.0; a whole number handed back as INTEGER reads (and
    # sums, in Datasette) as 3119. PostgreSQL types a column once: left as double precision.
    if dialect != "sqlite":
        return expr
    return f"CASE WHEN {expr} = CAST({expr} AS INTEGER) THEN CAST({expr} AS INTEGER) ELSE {expr} END"


def view_sql(name: str, dialect: str = "sqlite") -> str:
    """The SELECT of one view for one SQL dialect ("sqlite" or "postgresql")."""
    if name == "current_reports":
        return f"""SELECT {_CONTEXT},
    v.title, v.index_no, v.written_date, v.published_date, v.doc_no, v.subject, v.category,
    v.media_type, v.fetched_at, r.first_seen, r.last_seen, v.parser_version,
    (SELECT count(*) FROM cells c WHERE c.version_id = v.id) AS n_cells,
    (SELECT count(*) FROM checks k WHERE k.version_id = v.id AND k.status = 'fail') AS n_checks_failed,
    (SELECT count(*) FROM warnings w WHERE w.version_id = v.id) AS n_warnings
FROM {_CURRENT}"""
    if name == "current_cells":
        return f"""SELECT {_CONTEXT},
    c.table_key, c.row_key, c.col_key, c.table_key || '.' || c.row_key || '.' || c.col_key AS cell_key,
    {_number('c.value', dialect)} AS value, c.value_exact, c.raw, c.inferred, c.origin, c.position
FROM {_CURRENT} JOIN cells c ON c.version_id = v.id"""
    if name == "current_checks":
        return f"""SELECT {_CONTEXT},
    {_family_sql('k.check_key')} AS check_family, k.check_key, k.status,
    {_number('k.left_value', dialect)} AS left_value, {_number('k.right_value', dialect)} AS right_value,
    k.left_exact, k.right_exact, k.message, k.position
FROM {_CURRENT} JOIN checks k ON k.version_id = v.id"""
    if name == "current_warnings":
        return f"""SELECT {_CONTEXT},
    w.code, w.location, w.message, w.raw, w.position
FROM {_CURRENT} JOIN warnings w ON w.version_id = v.id"""
    raise KeyError(name)


VIEWS = ("current_reports", "current_cells", "current_checks", "current_warnings")


def _create(name: str, dialect: str) -> str:
    return f"CREATE VIEW {name} AS\n{view_sql(name, dialect)}"


def _tag(name: str) -> str:
    return _TAG + hashlib.sha256(_create(name, "postgresql").encode()).hexdigest()[:16]


def _installed(conn: Any, dialect: str, name: str) -> Any:
    if dialect == "sqlite":
        return conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = :n"),
                            {"n": name}).scalar()
    return conn.execute(text("SELECT obj_description(c.oid, 'pg_class') FROM pg_class c "
                             "WHERE c.relkind = 'v' AND c.relname = :n "
                             "AND c.relnamespace = current_schema()::regnamespace"),
                        {"n": name}).scalar()


def _wanted(dialect: str, name: str) -> str:
    return _create(name, dialect) if dialect == "sqlite" else _tag(name)


def ensure_views(engine: Engine) -> list[str]:
    """Create the views that are missing or out of date; return the names (re)created."""
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return []
    if set(inspect(engine).get_view_names()) >= set(VIEWS):
        with engine.connect() as conn:
            if all(_installed(conn, dialect, n) == _wanted(dialect, n) for n in VIEWS):
                return []
    # Writers serialise: SQLite's write lock (BEGIN IMMEDIATE in the store), PostgreSQL an advisory
    # lock, so two processes opening a new database do not both create the same view.
    engine = engine.execution_options(govreports_write=True)
    changed = []
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('govreports.views'))"))
        for name in VIEWS:
            if _installed(conn, dialect, name) == _wanted(dialect, name):
                continue
            conn.execute(text(f"DROP VIEW IF EXISTS {name}"))
            conn.execute(text(_create(name, dialect)))
            if dialect == "postgresql":
                conn.execute(text(f"COMMENT ON VIEW {name} IS '{_tag(name)}'"))
            changed.append(name)
    return changed


def drop_views(conn: Any) -> None:
    """Drop the views (before a schema change; `ensure_views` makes them again)."""
    for name in VIEWS:
        conn.execute(text(f"DROP VIEW IF EXISTS {name}"))
