"""Report groups, primaries and continuity checks (govreports.groups), on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from govreports.groups import issuer_key
from govreports.model import Cell
from govreports.store import CheckRow, ReportGroup, ReportVersion, Store
from tests.test_store import make_page, make_result

HTML, IMAGE, PDF = "https://gx.gov.cn/2019.html", "https://gx.gov.cn/2019-img.html", "https://gx.gov.cn/2019.pdf"
Y2020 = "https://gx.gov.cn/2020.html"
T1, T2, T3 = "2024-05-01T08:00:00+00:00", "2024-05-02T08:00:00+00:00", "2024-05-03T08:00:00+00:00"


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def report(year: int, *, cells: int = 5, carried_over=None, carried_forward=None, **kw):
    """A result of 贵溪市人民政府 for `year` with `cells` cells, plus the continuity rows given."""
    r = make_result(year=year, title=f"贵溪市人民政府{year}年政府信息公开工作年度报告", **kw)
    base = [c for c in r.cells if c.row not in ("carried_over", "carried_forward")]
    r.cells = (base + [Cell("appeals", "all", f"c{i}", i, str(i)) for i in range(len(base), cells)])[:cells]
    for row, values in (("carried_over", carried_over), ("carried_forward", carried_forward)):
        for col, v in (values or {}).items():
            r.cells.append(Cell("requests", row, col, v, "" if v is None else str(v)))
    return r


def current(store: Store, url: str) -> ReportVersion:
    return store.version(url)


def continuity(store: Store, url: str) -> dict[str, CheckRow]:
    v = current(store, url)
    with store.session() as s:
        return {c.check_key: c for c in s.scalars(select(CheckRow).where(
            CheckRow.version_id == v.id, CheckRow.previous_version_id.is_not(None)))}


@pytest.mark.parametrize("portal,title,issuer,key", [
    ("360681", "贵溪市人民政府2019年政府信息公开工作年度报告", "贵溪市人民政府办公室", "360681|贵溪市政府"),
    # Full-width digits, spaces, 關於 and traditional script come to the same key.
    ("360681", "關於貴溪市人民政府 ２０１９年 政府信息公开工作年度报告", None, "360681|贵溪市政府"),
    # No issuer before the year: the header's.
    ("360681", "2019年政府信息公开工作年度报告", "贵溪市财政局", "360681|贵溪市财政局"),
    ("350128", "2019年政府信息公开工作年度报告", "县财政局", "350128|县财政局"),
    (None, None, "贵溪市人民政府", "|贵溪市政府"),
    ("360681", "政府信息公开工作年度报告", None, None),
])
def test_issuer_key(portal, title, issuer, key):
    assert issuer_key(portal, title, issuer) == key


def test_one_report_at_three_urls_is_one_group_with_the_fullest_version_primary(store):
    store.save(make_page(b"html", url=HTML, fetched_at=T1), report(2019, cells=5))
    store.save(make_page(b"img", url=IMAGE, fetched_at=T2), report(2019, cells=0))
    store.save(make_page(b"pdf", url=PDF, fetched_at=T3), report(2019, cells=8))
    html, image, pdf = (current(store, u) for u in (HTML, IMAGE, PDF))
    assert html.group_id == image.group_id == pdf.group_id is not None
    assert [v.is_primary for v in (html, image, pdf)] == [False, False, True]
    with store.session() as s:
        group = s.get(ReportGroup, pdf.group_id)
    assert (group.group_key, group.issuer_key, group.report_year) == \
        ("360681|贵溪市政府|2019", "360681|贵溪市政府", 2019)
    # Figures per issuer and year count the group once.
    assert [r["url"] for r in store.current_reports(primary_only=True)] == [PDF]
    assert sum(store.count_cells(primary_only=True).values()) == 8
    assert {r["report_group"] for r in store.current_reports()} == {"360681|贵溪市政府|2019"}


def test_equal_cells_prefer_the_report_fetched_first_and_the_primary_follows_changes(store):
    store.save(make_page(b"a", url=IMAGE, fetched_at=T2), report(2019, cells=5))
    store.save(make_page(b"b", url=HTML, fetched_at=T1), report(2019, cells=5))
    assert [current(store, u).is_primary for u in (HTML, IMAGE)] == [True, False]
    # The HTML page is replaced by an empty one: the image version takes over.
    store.save(make_page(b"b2", url=HTML, fetched_at=T3), report(2019, cells=0))
    assert [current(store, u).is_primary for u in (HTML, IMAGE)] == [False, True]
    # The old HTML version is no longer current, and no longer primary either.
    assert [v.is_primary for v in store.versions(HTML)] == [False, False]


def test_a_report_without_issuer_or_year_is_a_group_of_its_own(store):
    store.save(make_page(b"x", url=HTML), _no_issuer())
    store.save(make_page(b"y", url=IMAGE), _no_issuer())
    a, b = current(store, HTML), current(store, IMAGE)
    assert a.group_id != b.group_id and a.is_primary and b.is_primary


def _no_issuer():
    r = make_result(title="政府信息公开工作年度报告", issuer=None)
    r.report_year = None
    return r


def test_the_database_allows_one_primary_per_group(store):
    store.save(make_page(b"a", url=HTML), report(2019))
    store.save(make_page(b"b", url=IMAGE), report(2019))
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(update(ReportVersion).values(is_primary=True))


def test_continuity_is_stored_on_the_later_report_whichever_is_saved_first(store):
    store.save(make_page(b"2020", url=Y2020), report(2020, carried_over={"total": 9, "natural_person": 4}))
    assert continuity(store, Y2020) == {}
    store.save(make_page(b"2019", url=HTML), report(2019, carried_forward={"total": 9, "natural_person": 5}))
    checks = continuity(store, Y2020)
    assert len(checks) == 7 and continuity(store, HTML) == {}
    assert (checks["requests.continuity.total"].status, checks["requests.continuity.total"].left_exact,
            checks["requests.continuity.total"].right_exact) == ("pass", "9", "9")
    assert checks["requests.continuity.natural_person"].status == "fail"
    assert checks["requests.continuity.business"].status == "not_assessable"
    assert {c.previous_version_id for c in checks.values()} == {current(store, HTML).id}
    # They follow the parse checks, and come back with the report.
    result = store.result_for(Y2020)
    assert [c.key for c in result.checks][-7:] == sorted(checks, key=lambda k: checks[k].position)
    assert min(c.position for c in checks.values()) == len(make_result().checks)


def test_continuity_is_recomputed_when_either_year_changes(store):
    store.save(make_page(b"2019", url=HTML, fetched_at=T1), report(2019, carried_forward={"total": 9}))
    store.save(make_page(b"2020", url=Y2020, fetched_at=T1), report(2020, carried_over={"total": 9}))
    old_2020 = current(store, Y2020)
    assert continuity(store, Y2020)["requests.continuity.total"].status == "pass"
    # The earlier year changes.
    store.save(make_page(b"2019b", url=HTML, fetched_at=T2), report(2019, carried_forward={"total": 8}))
    assert continuity(store, Y2020)["requests.continuity.total"].status == "fail"
    # A fuller copy of 2019 elsewhere becomes primary and is what 2020 is compared with.
    store.save(make_page(b"pdf", url=PDF, fetched_at=T2), report(2019, cells=9, carried_forward={"total": 9}))
    checks = continuity(store, Y2020)
    assert checks["requests.continuity.total"].status == "pass"
    assert {c.previous_version_id for c in checks.values()} == {current(store, PDF).id}
    # The later year changes: the new version gets the checks, the old one loses them.
    store.save(make_page(b"2020b", url=Y2020, fetched_at=T3), report(2020, carried_over={"total": 1}))
    assert continuity(store, Y2020)["requests.continuity.total"].status == "fail"
    with store.session() as s:
        assert s.scalars(select(CheckRow).where(CheckRow.version_id == old_2020.id,
                                                CheckRow.previous_version_id.is_not(None))).all() == []
    # Saving the same pages again changes nothing.
    counts = store.counts()
    store.save(make_page(b"2020b", url=Y2020, fetched_at=T3), report(2020, carried_over={"total": 1}))
    assert store.counts() == counts


def test_no_continuity_without_a_requests_table_on_both_sides(store):
    r2019 = report(2019)
    r2019.cells = [c for c in r2019.cells if c.table != "requests"]
    store.save(make_page(b"2019", url=HTML), r2019)
    store.save(make_page(b"2020", url=Y2020), report(2020, carried_over={"total": 9}))
    assert continuity(store, Y2020) == {}


def test_other_issuers_and_years_are_not_compared(store):
    store.save(make_page(b"2018", url=HTML), report(2018, carried_forward={"total": 9}))
    store.save(make_page(b"2020", url=Y2020), report(2020, carried_over={"total": 9}))
    other = report(2019, carried_forward={"total": 9})
    other.title = "鹰潭市人民政府2019年政府信息公开工作年度报告"
    store.save(make_page(b"other", url=PDF), other)
    assert continuity(store, Y2020) == {}


def test_the_export_marks_primary_reports_and_can_keep_only_them(store, tmp_path):
    import csv

    from govreports.export import export

    store.save(make_page(b"html", url=HTML, fetched_at=T1), report(2019, cells=5))
    store.save(make_page(b"pdf", url=PDF, fetched_at=T2), report(2019, cells=8))

    def read(path):
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))

    paths = export(store, tmp_path / "all")
    reports = {r["url"]: r for r in read(paths["reports"])}
    assert {u: (r["report_group"], r["is_primary"]) for u, r in reports.items()} == {
        HTML: ("360681|贵溪市政府|2019", "false"), PDF: ("360681|贵溪市政府|2019", "true")}
    cells = read(paths["cells"])
    assert {(c["url"], c["is_primary"]) for c in cells} == {(HTML, "false"), (PDF, "true")}

    only = export(store, tmp_path / "primary", primary_only=True)
    assert [r["url"] for r in read(only["reports"])] == [PDF]
    assert len(read(only["cells"])) == 8


def test_two_crawls_saving_one_issuer_at_once_are_serialised(db_url, monkeypatch):
    """The 2019 save is held open after it made its group; the 2020 save in another connection
    must wait for it, or it would miss the uncommitted 2019 group and store no continuity."""
    import threading

    from govreports import groups

    held, release = threading.Event(), threading.Event()
    real_group_for = groups.group_for

    def slow_group_for(*a, **kw):
        ref = real_group_for(*a, **kw)
        if threading.current_thread().name == "crawl-2019":
            held.set()
            release.wait(10)
        return ref

    monkeypatch.setattr(groups, "group_for", slow_group_for)
    first, second = Store(db_url), Store(db_url)
    try:
        a = threading.Thread(name="crawl-2019", target=first.save, args=(
            make_page(b"2019", url=HTML), report(2019, carried_forward={"total": 9})))
        b = threading.Thread(name="crawl-2020", target=second.save, args=(
            make_page(b"2020", url=Y2020), report(2020, carried_over={"total": 9})))
        a.start()
        assert held.wait(10)
        b.start()
        b.join(0.5)
        assert b.is_alive()  # waiting for the 2019 transaction
        release.set()
        a.join(10)
        b.join(10)
        assert not a.is_alive() and not b.is_alive()
        assert continuity(first, Y2020)["requests.continuity.total"].status == "pass"
    finally:
        release.set()
        first.close()
        second.close()
