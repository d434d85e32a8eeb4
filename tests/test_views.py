"""The browsing views (govreports.views) on SQLite and PostgreSQL: current versions only, province
from the portal code, check families as in Python, and never in the way of a schema change."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect, text

from govreports import migrate
from govreports.model import Check
from govreports.store import Store
from govreports.views import VIEWS, check_family
from tests.test_store import make_page, make_result


def rows(store, sql, **params):
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def test_views_show_current_versions_with_province(db_url):
    with Store(db_url) as store:
        store.save(make_page(b"v1", url="https://jx/1"), make_result(new_natural=64))
        store.save(make_page(b"v2", url="https://jx/1"), make_result(new_natural=70))
        store.save(make_page(b"x", url="https://x/1", portal_code=None), make_result(year=2021))
        # A repost of the Jiangxi report, fetched later: a page of its own, not the one that counts.
        store.save(make_page(b"v2", url="https://jx/copy", fetched_at="2024-07-01T00:00:00+00:00"),
                   make_result(new_natural=70))
        reports = {r["url"]: r for r in rows(store, "SELECT * FROM current_reports")}
        assert set(reports) == {"https://jx/1", "https://jx/copy", "https://x/1"}
        assert {u: bool(r["is_primary"]) for u, r in reports.items()} == {
            "https://jx/1": True, "https://jx/copy": False, "https://x/1": True}
        jx = reports["https://jx/1"]
        assert (jx["province_code"], jx["province"], jx["issuer"], jx["report_year"]) == \
            ("36", "江西省", "贵溪市人民政府", 2019)
        assert (jx["n_cells"], jx["n_checks_failed"], jx["n_warnings"]) == (5, 1, 2)
        assert reports["https://x/1"]["province"] is None

        cells = {(r["url"], r["cell_key"]): r
                 for r in rows(store, "SELECT * FROM current_cells WHERE is_primary")}
        assert len(cells) == 10
        assert cells["https://jx/1", "requests.new.natural_person"]["value"] == 70   # not the old 64
        amount = cells["https://jx/1", "active.procurement.amount_wan_yuan"]
        assert (amount["value"], amount["value_exact"]) == (24252.311082, "24252.311082")
        assert cells["https://jx/1", "requests.new.business"]["value"] is None
        assert cells["https://jx/1", "active.penalty.change"]["value"] == -12
        if store.is_sqlite:
            # Whole numbers read back as integers (Datasette shows 70, not 70.0).
            assert type(cells["https://jx/1", "requests.new.natural_person"]["value"]) is int

        checks = rows(store, "SELECT check_key, check_family FROM current_checks WHERE is_primary")
        assert len(checks) == 6
        assert {r["check_key"]: r["check_family"] for r in checks} == {
            "requests.balance.total": "requests.balance", "requests.row_total.new": "requests.row_total",
            "appeals.review_total": "appeals.totals"}
        assert len(rows(store, "SELECT * FROM current_warnings WHERE code = 'row_incomplete'")) == 3


def test_check_families_agree_between_sql_and_python(db_url):
    keys = ["requests.balance.natural_person", "requests.outcomes.total", "requests.continuity.total",
            "appeals.suit_direct_total", "values.domain", "legacy.channels.year", "legacy.replies.cumulative",
            "legacy.cumulative", "something.else"]
    result = make_result()
    result.checks = [Check(k, "pass", 1, 1) for k in keys]
    with Store(db_url) as store:
        store.save(make_page(), result)
        sql = {r["check_key"]: r["check_family"] for r in rows(store, "SELECT * FROM current_checks")}
    assert sql == {k: check_family(k) for k in keys}
    assert sql["something.else"] == "something.else" and sql["legacy.replies.cumulative"] == "legacy.replies"


def test_a_changed_view_definition_is_replaced_on_open(db_url):
    with Store(db_url) as store:
        store.save(make_page(), make_result())
        with store.engine.begin() as conn:
            conn.execute(text("DROP VIEW current_cells"))
            conn.execute(text("CREATE VIEW current_cells AS SELECT 1 AS stale"))
    with Store(db_url) as store:
        columns = {c["name"] for c in inspect(store.engine).get_columns("current_cells")}
        assert {"cell_key", "value", "province"} <= columns and "stale" not in columns
        assert set(inspect(store.engine).get_view_names()) >= set(VIEWS)


def test_views_do_not_block_a_schema_change(db_url):
    # SQLite cannot rename a table a view names (batch migrations do), and PostgreSQL cannot
    # drop a column a view uses: the migration drops the views, the store makes them again.
    with Store(db_url) as store:
        store.save(make_page(), make_result(new_natural=Decimal("64")))
        migrate.downgrade(store.engine, migrate.BASELINE)
    with Store(db_url) as store:
        assert store.schema_action == "upgraded"
        assert rows(store, "SELECT value FROM current_cells WHERE cell_key = 'requests.new.natural_person'") \
            == [{"value": 64}]
