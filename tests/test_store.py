"""The SQL store against SQLite and PostgreSQL: idempotent saves, versions, all-or-nothing writes.

The `db_url` fixture (SQLite and PostgreSQL) is tests/conftest.py's; the `make_page` /
`make_result` builders are imported by the export and pipeline tests too.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event, inspect, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from govreports import store as store_module
from govreports.items import Attachment, ReportPage
from govreports.model import Cell, Check, Header, ParseResult, Section, Source, Warning
from govreports.store import Base, RawPage, ReportVersion, Store

URL = "https://www.guixi.gov.cn/art/2020/1/16/art_1_1.html"


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def make_page(body: bytes = b"<html>report</html>", url: str = URL, fetched_at: str = "2024-05-01T08:00:00+00:00",
              **kw) -> ReportPage:
    kw.setdefault("portal_code", "360681")
    kw.setdefault("headers", {"content-type": "text/html; charset=utf-8"})
    return ReportPage(url=url, body=body, fetched_at=fetched_at, **kw)


def make_result(title: str = "贵溪市人民政府2019年政府信息公开工作年度报告", year: int = 2019,
                new_natural: int = 64, **kw) -> ParseResult:
    return ParseResult(
        source=Source(url=URL, encoding="utf-8", media_type="text/html"),
        title=title, report_year=year, template=kw.pop("template", "2019"),
        header=Header(index_no="Y01000/2020-14842", issuer=kw.pop("issuer", "贵溪市人民政府"),
                      written_date="2020-01-16", subject="市场监管、安全生产监管", category="信息公开年报",
                      raw={"索引号": "Y01000/2020-14842", "发文机关": "贵溪市人民政府", "有效性": "有效"}),
        sections=[Section(1, "总体情况", "2019年，我市……"), Section(2, "主动公开政府信息情况", "")],
        cells=[Cell("requests", "new", "natural_person", new_natural, str(new_natural)),
               Cell("requests", "new", "business", None, "/"),
               Cell("active", "procurement", "amount_wan_yuan", Decimal("24252.311082"), "24252.311082"),
               Cell("active", "penalty", "change", -12, "减12"),
               Cell("requests", "carried_over", "total", 9, "9", inferred=True, origin="text")],
        checks=[Check("requests.balance.total", "pass", 73, 73, "new + carried_over = total + carried_forward"),
                Check("requests.row_total.new", "fail", 64, 65, "the six columns add up to 64, total says 65"),
                Check("appeals.review_total", "not_assessable", None, None, "empty cells")],
        warnings=[Warning("row_incomplete", "requests.withheld_query", "2 numbers for 7 columns", ["1", "2"]),
                  Warning("local_row", "requests.小计", "row not on the official form")],
        **kw)


def _comparable(result: ParseResult) -> dict:
    d = result.to_dict()
    d.pop("source")
    return d


def test_first_save_is_new_and_reads_back_exactly(store):
    result = make_result()
    assert store.save(make_page(), result) == "new"
    back = store.result_for(URL)
    assert _comparable(back) == _comparable(result)
    # Not just equal as floats: the exact Decimal and the int come back as such.
    assert back.value("active", "procurement", "amount_wan_yuan") == Decimal("24252.311082")
    assert type(back.value("requests", "new", "natural_person")) is int
    assert back.value("requests", "new", "business") is None
    assert back.source.sha256 == store_module.sha256_hex(b"<html>report</html>")
    assert store.raw_body(URL) == b"<html>report</html>"


def test_saving_the_same_page_twice_changes_no_rows(store):
    assert store.save(make_page(), make_result()) == "new"
    before = store.counts()
    assert before["cells"] == 5 and before["report_versions"] == 1
    later = make_page(fetched_at="2024-06-01T08:00:00+00:00")
    assert store.save(later, make_result()) == "unchanged"
    assert store.counts() == before
    (v,) = store.versions(URL)
    assert v.is_current and v.fetched_at.isoformat() == "2024-05-01T08:00:00+00:00"
    report = store.current_reports()[0]
    assert report["first_seen"].isoformat() == "2024-05-01T08:00:00+00:00"
    assert report["last_seen"].isoformat() == "2024-06-01T08:00:00+00:00"


def test_a_changed_body_is_a_new_version_and_the_old_one_is_kept(store):
    old_page, new_page = make_page(b"v1"), make_page(b"v2", fetched_at="2024-06-01T08:00:00+00:00")
    assert store.save(old_page, make_result(new_natural=64)) == "new"
    assert store.save(new_page, make_result(new_natural=70)) == "changed"

    counts = store.counts()
    assert counts["reports"] == 1 and counts["report_versions"] == 2 and counts["cells"] == 10
    old, new = store.versions(URL)
    assert (old.is_current, new.is_current) == (False, True)
    assert store.current_reports()[0]["version_id"] == new.id
    # The current version by default; the old one by its sha256, cells intact.
    assert store.result_for(URL).value("requests", "new", "natural_person") == 70
    old_cells = store.cells_for(URL, sha256=store_module.sha256_hex(b"v1"))
    assert len(old_cells) == 5
    assert [c.value for c in old_cells if c.row == "new" and c.col == "natural_person"] == [64]
    assert store.raw_body(URL, sha256=old.sha256) == b"v1"


def test_content_seen_before_becomes_current_again_without_new_rows(store):
    store.save(make_page(b"A"), make_result(new_natural=1))
    store.save(make_page(b"B"), make_result(new_natural=2))
    counts = store.counts()
    assert store.save(make_page(b"A"), make_result(new_natural=1)) == "changed"
    assert store.counts() == counts
    assert [v.is_current for v in store.versions(URL)] == [True, False]
    assert store.result_for(URL).value("requests", "new", "natural_person") == 1


def test_a_replaced_attachment_behind_the_same_page_is_a_new_version(store):
    pdf = lambda body: [Attachment("https://www.guixi.gov.cn/files/report.pdf", body, name="年报.pdf")]
    assert store.save(make_page(attachments=pdf(b"%PDF-1")), make_result()) == "new"
    assert store.save(make_page(attachments=pdf(b"%PDF-1")), make_result()) == "unchanged"
    assert store.save(make_page(attachments=pdf(b"%PDF-2")), make_result()) == "changed"
    assert store.counts()["raw_pages"] == 4
    assert store.raw_body(URL, role="attachment") == b"%PDF-2"
    # Both versions carry the same page sha256; they differ in content_sha256.
    v1, v2 = store.versions(URL)
    assert v1.sha256 == v2.sha256 and v1.content_sha256 != v2.content_sha256


def _record_inserts(store: Store) -> list[str]:
    seen: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cur, statement, *a: seen.append(statement.split("(")[0].strip()))
    return seen


def test_a_failure_mid_save_leaves_nothing_written(store, monkeypatch):
    empty = store.counts()

    def boom(*a, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_module, "_check_values", boom)
    statements = _record_inserts(store)
    bulk = []
    real_bulk_insert = store_module.bulk_insert
    monkeypatch.setattr(store_module, "bulk_insert",
                        lambda s, model, *rows: bulk.append(model.__tablename__) or real_bulk_insert(s, model, *rows))
    with pytest.raises(RuntimeError, match="disk full"):
        store.save(make_page(), make_result())
    # The failure came after the report, version, raw page and cells were written ...
    assert "INSERT INTO raw_pages" in statements and bulk == ["cells"]
    # ... and none of it is left.
    assert store.counts() == empty


def test_a_failed_change_keeps_the_old_version_current(store, monkeypatch):
    store.save(make_page(b"v1"), make_result())
    before = store.counts()
    last_seen = store.current_reports()[0]["last_seen"]
    monkeypatch.setattr(store_module, "_warning_rows", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        store.save(make_page(b"v2", fetched_at="2024-07-01T00:00:00+00:00"), make_result(new_natural=99))
    assert store.counts() == before
    (v,) = store.versions(URL)
    assert v.is_current
    assert store.current_reports()[0]["last_seen"] == last_seen


def test_duplicate_cell_keys_are_refused_as_a_whole(store):
    result = make_result()
    result.cells.append(Cell("requests", "new", "natural_person", 1, "1"))
    with pytest.raises(IntegrityError):
        store.save(make_page(), result)
    assert set(store.counts().values()) == {0}


def test_the_database_allows_one_current_version_per_report(store):
    store.save(make_page(b"v1"), make_result())
    store.save(make_page(b"v2"), make_result())
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(update(ReportVersion).values(is_current=True))


def test_export_filters_select_current_versions(store):
    store.save(make_page(b"a", url="https://a/1"), make_result(year=2019))
    store.save(make_page(b"b", url="https://b/2", portal_code="350128"), make_result(year=2021, template="2021"))
    assert [r["url"] for r in store.current_reports(year=2021)] == ["https://b/2"]
    assert [r["url"] for r in store.current_reports(template="2019")] == ["https://a/1"]
    assert [r["url"] for r in store.current_reports(code_prefix="35")] == ["https://b/2"]
    assert store.current_reports(code_prefix="%") == []
    assert sorted(store.count_cells().values()) == [5, 5]


def test_every_constraint_and_index_has_a_stable_name():
    # Alembic cannot alter or drop an unnamed constraint portably.
    for table in Base.metadata.sorted_tables:
        for c in list(table.constraints) + list(table.indexes):
            assert c.name, (table.name, c)


def test_sqlite_file_gets_its_folder_foreign_keys_and_wal(tmp_path):
    with Store(f"sqlite:///{tmp_path}/new/folder/x.sqlite") as s:
        assert (tmp_path / "new" / "folder" / "x.sqlite").exists()
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert set(inspect(s.engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}


def test_save_many_rolls_back_a_failing_report_alone(store):
    bad = make_result()
    bad.cells.append(Cell("requests", "new", "natural_person", 1, "1"))
    outcomes = store.save_many([(make_page(b"v1"), make_result()),
                                (make_page(b"x", url="https://x.gov.cn/bad"), bad),
                                (make_page(b"v1"), make_result()),
                                (make_page(b"v2"), make_result(new_natural=70))])
    assert outcomes[0] == "new" and isinstance(outcomes[1], IntegrityError)
    assert outcomes[2:] == ["unchanged", "changed"]
    assert store.version("https://x.gov.cn/bad") is None
    assert store.result_for(URL).value("requests", "new", "natural_person") == 70
    assert store.counts()["report_versions"] == 2


def test_save_many_stores_nothing_when_the_database_fails(store, monkeypatch):
    real_save = store_module._save
    calls = []

    def failing_second(conn, *a, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real_save(conn, *a, **kw)

    monkeypatch.setattr(store_module, "_save", failing_second)
    with pytest.raises(OperationalError):
        store.save_many([(make_page(b"a", url="https://a/1"), make_result()),
                         (make_page(b"b", url="https://b/2"), make_result()),
                         (make_page(b"c", url="https://c/3"), make_result())])
    assert len(calls) == 2  # the third was not tried
    assert set(store.counts().values()) == {0}  # the first went with the transaction


def test_a_packed_page_is_stored_from_its_packed_bytes(store):
    """What a parse worker packed is what is written; a pack that no longer fits the page (a
    body changed after packing) is not used."""
    from govreports.packing import pack
    page = make_page(b"<html>packed</html>", attachments=[Attachment("https://x.gov.cn/a.pdf", b"%PDF-1")])
    page.packed = pack(page)
    page.packed.shas[1] = "f" * 64  # marks that the pack, not a new hash, was used
    store.save(page, make_result())
    assert store.raw_body(URL) == b"<html>packed</html>"
    assert store.raw_body(URL, role="attachment", file_url="https://x.gov.cn/a.pdf") == b"%PDF-1"
    with store.session() as s:
        shas = sorted(s.scalars(select(RawPage.sha256)))
    assert shas == sorted([store_module.sha256_hex(b"<html>packed</html>"), "f" * 64])

    stale = make_page(b"<html>v2</html>", url="https://x.gov.cn/2")
    stale.packed = pack(make_page(b"<html>other</html>"))
    store.save(stale, make_result())
    assert store.raw_body("https://x.gov.cn/2") == b"<html>v2</html>"
    assert store.version("https://x.gov.cn/2").sha256 == store_module.sha256_hex(b"<html>v2</html>")


def test_save_many_after_a_failed_report_keeps_what_it_stored_when_the_database_goes(store, monkeypatch):
    """The batch fails on a bad report, so each is saved again alone; the database goes away
    during that: the reports stored before stay stored, the rest get the database's error."""
    real_save = store_module._save
    seen: list[str] = []

    def going_away(conn, page, *a, **kw):
        seen.append(page.url)
        if page.url == "https://c/3":
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real_save(conn, page, *a, **kw)

    monkeypatch.setattr(store_module, "_save", going_away)
    bad = make_result()
    bad.cells.append(Cell("requests", "new", "natural_person", 1, "1"))
    outcomes = store.save_many([(make_page(b"x", url="https://x/bad"), bad),
                                (make_page(b"b", url="https://b/2"), make_result()),
                                (make_page(b"c", url="https://c/3"), make_result()),
                                (make_page(b"d", url="https://d/4"), make_result())])
    assert isinstance(outcomes[0], IntegrityError) and outcomes[1] == "new"
    assert isinstance(outcomes[2], OperationalError) and outcomes[3] is outcomes[2]
    assert [r["url"] for r in store.current_reports()] == ["https://b/2"]
    # The batch stopped at the bad report; one by one, nothing was tried after the failure.
    assert seen == ["https://x/bad", "https://x/bad", "https://b/2", "https://c/3"]


class _Conflict(Exception):
    sqlstate = "40P01"  # PostgreSQL's deadlock_detected


def _conflict() -> OperationalError:
    return OperationalError("INSERT", {}, _Conflict("deadlock detected"))


def test_a_conflict_with_another_transaction_is_tried_again_not_the_databases_failure(store, monkeypatch):
    real_save = store_module._save
    calls: list[str] = []
    fail = {"https://a/1": 1, "https://c/3": 99}  # times each fails: once, and for good

    def conflicting(conn, page, *a, **kw):
        calls.append(page.url)
        if fail.get(page.url, 0) > 0:
            fail[page.url] -= 1
            raise _conflict()
        return real_save(conn, page, *a, **kw)

    monkeypatch.setattr(store_module, "_save", conflicting)
    outcomes = store.save_many([(make_page(b"a", url="https://a/1"), make_result()),
                                (make_page(b"b", url="https://b/2"), make_result()),
                                (make_page(b"c", url="https://c/3"), make_result())])
    assert outcomes[:2] == ["new", "new"] and store_module.is_conflict(outcomes[2])
    # The batch, then one by one: a/1 a second time, c/3 three times before giving up.
    assert calls == ["https://a/1", "https://a/1", "https://b/2"] + ["https://c/3"] * 3
    assert sorted(r["url"] for r in store.current_reports()) == ["https://a/1", "https://b/2"]
    assert not store_module.is_conflict(OperationalError("x", {}, Exception("server closed")))


def test_two_batches_of_the_same_issuers_in_opposite_orders_wait_instead_of_deadlocking(db_url, monkeypatch):
    """Each save locks its issuer on PostgreSQL; a batch takes all its locks first, in one
    order. Each report is saved once: no batch met a deadlock and went again one by one."""
    import threading
    import time
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's write lock serialises whole transactions")
    real_save = store_module._save
    calls: list[str] = []

    def slow(conn, page, *a, **kw):
        calls.append(page.url)
        outcome = real_save(conn, page, *a, **kw)
        time.sleep(0.3)  # both batches hold their first report's locks at once, were they taken one by one
        return outcome

    monkeypatch.setattr(store_module, "_save", slow)

    def report(issuer: str, year: int):
        url = f"https://x.gov.cn/{issuer}/{year}"
        return (make_page(url.encode(), url=url, portal_code="350128"),
                make_result(title=f"{issuer}{year}年政府信息公开工作年度报告", year=year, issuer=issuer))

    first = [report("甲县人民政府", 2019), report("乙县人民政府", 2019)]
    second = [report("乙县人民政府", 2020), report("甲县人民政府", 2020)]
    results: dict[str, list] = {}
    stores = [Store(db_url), Store(db_url)]
    try:
        threads = [threading.Thread(target=lambda n=n, b=b, s=s: results.__setitem__(n, s.save_many(b)))
                   for n, b, s in (("first", first, stores[0]), ("second", second, stores[1]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        for s in stores:
            s.close()
    assert results == {"first": ["new", "new"], "second": ["new", "new"]}
    assert sorted(calls) == sorted(page.url for page, _ in first + second)
