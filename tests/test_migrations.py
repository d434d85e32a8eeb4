"""Schema revisions on SQLite and PostgreSQL: a new database is built by the migrations, the models
and the migrations agree, rows survive upgrades (batch table rebuilds included), un-versioned
databases are stamped or upgraded, and a database newer than the code is refused."""
from __future__ import annotations

import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text

from govreports import cli, migrate
from govreports.model import Cell
from govreports.store import (Base, Store, _cell_rows, _check_rows, _section_rows, _warning_rows,
                              create_store_engine)
from tests.test_store import make_result

TEST_REVISIONS = [str(Path(__file__).parent / "migration_versions")]
T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
PARENT = "https://www.guixi.gov.cn/art/2020/1/16/art_1_1.html"
CHILD = "https://www.guixi.gov.cn/art/2021/1/20/art_1_2.html"


@pytest.fixture
def engine(db_url):
    e = create_store_engine(db_url)
    yield e
    e.dispose()


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("reports", "report_versions", "raw_pages", "cells", "checks", "warnings",
                          "sections")}


def _seed_baseline(engine) -> None:
    """Two reports of one issuer (2019, 2020), as the pre-migration code stored them, at BASELINE."""
    with engine.begin() as conn:
        md = MetaData()
        md.reflect(conn)
        t = md.tables
        for rid, (url, year) in enumerate(((PARENT, 2019), (CHILD, 2020)), 1):
            conn.execute(t["reports"].insert(), dict(id=rid, url=url, portal_code="360681", list_url=None,
                                                     first_seen=T0, last_seen=T0, current_version_id=None))
            result = make_result(year=year, title=f"贵溪市人民政府{year}年政府信息公开工作年度报告")
            if year == 2019:
                # 5 carried forward into 2020, whose report says 9 were carried over (make_result):
                # a failing continuity check after the upgrade.
                result.cells.append(Cell("requests", "carried_forward", "total", 5, "5"))
            conn.execute(t["report_versions"].insert(), dict(
                id=rid, report_id=rid, sha256="a" * 64, content_sha256="a" * 64, fetched_at=T0, status=200,
                title=result.title, report_year=year, template="2019", issuer="贵溪市人民政府",
                index_no=None, written_date=None, published_date=None, doc_no=None, subject=None,
                category=None, header_raw={"发文机关": "贵溪市人民政府"}, encoding="utf-8",
                media_type="text/html", is_current=True, parsed_at=T0, parser_version="0.1.0"))
            conn.execute(t["reports"].update().where(t["reports"].c.id == rid).values(current_version_id=rid))
            conn.execute(t["raw_pages"].insert(), dict(
                version_id=rid, role="page", url=url, name=None, sha256="a" * 64, size=5,
                compression="zlib", body=zlib.compress(b"<p/>"), headers={}, status=200, fetched_at=T0))
            for table, rows in (("cells", _cell_rows), ("checks", _check_rows),
                                ("warnings", _warning_rows), ("sections", _section_rows)):
                conn.execute(t[table].insert(), rows(rid, result))
        # A view over a table the batch migrations rebuild (govreports.views makes such views).
        conn.execute(text("CREATE VIEW test_current AS SELECT id, title FROM report_versions WHERE is_current"))


def test_a_new_database_is_built_by_the_migrations(db_url):
    with Store(db_url) as store:
        assert store.schema_action == "created"
        with store.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head()
    with Store(db_url) as again:
        assert again.schema_action is None


def test_models_and_migrations_agree(engine):
    migrate.upgrade(engine, "head")
    with engine.connect() as conn:
        assert migrate.differences(conn) == []
    # ... and the comparison does see a difference when there is one.
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_checks_check_key"))
    with engine.connect() as conn:
        assert [d[0] for d in migrate.differences(conn)] == ["add_index"]


def test_rows_survive_the_upgrade_and_derived_data_is_built(engine, db_url):
    migrate.upgrade(engine, migrate.BASELINE)
    _seed_baseline(engine)
    before = _counts(engine)
    with Store(db_url) as store:
        assert store.schema_action == "upgraded"
        after = store.counts()
        result = store.result_for(CHILD)
        v2019, v2020 = store.versions(PARENT)[0], store.versions(CHILD)[0]
    # Every row is still there, plus the continuity checks the upgrade derived (one per column).
    assert {k: after[k] for k in before} == {**before, "checks": before["checks"] + 7}
    assert after["report_groups"] == 2
    assert result.value("requests", "new", "natural_person") == 64
    # Title hints of old rows are their titles; every report is the primary of its group.
    assert v2020.title_hint == v2020.title and v2019.is_primary and v2020.is_primary
    continuity = {c.key: c for c in result.checks if c.key.startswith("requests.continuity.")}
    assert (continuity["requests.continuity.total"].status, continuity["requests.continuity.total"].left,
            continuity["requests.continuity.total"].right) == ("fail", 9, 5)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM test_current")).scalar() == 2
        assert migrate.differences(conn) == []


def test_rows_survive_a_further_revision_that_rebuilds_parent_tables(engine, db_url):
    migrate.upgrade(engine, migrate.BASELINE)
    _seed_baseline(engine)
    with Store(db_url):
        pass
    before = _counts(engine)
    cells_before = _cells(engine)
    migrate.upgrade(engine, "9001", version_locations=TEST_REVISIONS)
    assert _counts(engine) == before
    assert _cells(engine) == cells_before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT DISTINCT note FROM reports")).scalars().all() == ["none"]
        assert migrate.current_revision(conn) == "9001"
    # A code that does not know 9001 refuses the database rather than guess.
    with pytest.raises(migrate.SchemaError, match="9001"):
        Store(db_url)
    migrate.downgrade(engine, migrate.head(), version_locations=TEST_REVISIONS)
    assert _counts(engine) == before
    with Store(db_url) as store:
        assert store.schema_action is None
        assert store.result_for(PARENT).value("active", "penalty", "change") == -12


def _cells(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_id, table_key, row_key, col_key, value_exact, raw "
                                 "FROM cells ORDER BY id")).all()


def test_an_unversioned_database_of_the_first_release_is_upgraded(engine, db_url):
    migrate.upgrade(engine, migrate.BASELINE)
    _seed_baseline(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    before = _counts(engine)
    with Store(db_url) as store:
        assert store.schema_action == "upgraded"
        assert store.counts()["cells"] == before["cells"]
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head()


def test_an_unversioned_database_of_the_current_models_is_stamped(engine, db_url):
    Base.metadata.create_all(engine)
    with Store(db_url) as store:
        assert store.schema_action == "stamped"
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head()


def test_the_sqlite_foreign_keys_are_back_on_after_a_migration(tmp_path):
    with Store(f"sqlite:///{tmp_path}/x.sqlite") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA legacy_alter_table").scalar() == 0


def test_db_commands(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    engine = create_store_engine(url)
    migrate.upgrade(engine, migrate.BASELINE)
    engine.dispose()
    assert cli.main(["db", "current", "--db", url]) == 0
    assert f"revision {migrate.BASELINE}" in capsys.readouterr().out
    assert cli.main(["db", "upgrade", "--db", url]) == 0
    assert f"{migrate.BASELINE} -> {migrate.head()} (upgraded)" in capsys.readouterr().out
    assert cli.main(["db", "upgrade", "--db", url]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert cli.main(["db", "check", "--db", url]) == 0
