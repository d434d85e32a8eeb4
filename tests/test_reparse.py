"""Re-parse from the archive (govreports.reparse): broken parses are repaired from the stored bytes
(attachments included, no network), unchanged rows stay as they are, nothing is counted twice."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import govreports
from govreports import cli
from govreports.items import Attachment, ReportPage
from govreports.model import ParseResult, Source
from govreports.parse import parse_page
from govreports.reparse import reparse
from govreports.store import CellRow, Store
from tests.fixture_pages import load_page

HUAIAN = "https://www.huaian.gov.cn/art/2025/1/10/art_1.html"


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def _pingtan(name: str) -> ReportPage:
    page = load_page(name)
    page.portal_code = "350128"
    return page


def _broken(page: ReportPage) -> ParseResult:
    """What a buggy parser might have stored: no cells, no checks, no year."""
    return ParseResult(source=Source(url=page.url), title="年报", template="unknown")


def _huaian() -> ReportPage:
    """A report page whose numbers are only in its PDF attachment."""
    pdf = load_page("huaian-city-2024.pdf")
    title = "淮安市人民政府2024年政府信息公开工作年度报告"
    return ReportPage(url=HUAIAN, body=f"<html><body><h1>{title}</h1><a href='nb.pdf'>附件</a></body></html>".encode(),
                      headers={"content-type": "text/html; charset=utf-8"}, portal_code="320800",
                      attachments=[Attachment("https://www.huaian.gov.cn/nb.pdf", pdf.body,
                                              headers={"content-type": "application/pdf"}, name="年报.pdf")])


def _cell_ids(store: Store, url: str) -> list[int]:
    with store.session() as s:
        return list(s.scalars(select(CellRow.id).where(CellRow.version_id == store.version(url).id)
                              .order_by(CellRow.id)))


def test_reparse_repairs_broken_parses_and_leaves_good_ones_alone(store):
    broken, good, pdf = _pingtan("pingtan-2019.html"), _pingtan("pingtan-2021.html"), _huaian()
    store.save(broken, _broken(broken))
    store.save(good, parse_page(good))
    store.save(pdf, _broken(pdf))
    expected = {p.url: parse_page(p) for p in (broken, pdf)}
    good_ids = _cell_ids(store, good.url)
    assert store.count_cells() == {store.version(good.url).id: len(parse_page(good).cells)}

    summary = reparse(store, progress=False)
    assert (summary["versions"], summary["changed"], summary["unchanged"], summary["failed"]) == (3, 2, 1, 0)
    assert summary["parts"]["cells"] == 2 and summary["parts"]["header"] == 2

    for url, result in expected.items():
        stored = store.result_for(url)
        assert len(stored.cells) == len(result.cells) > 150
        assert (stored.title, stored.report_year, stored.template) == \
            (result.title, result.report_year, result.template)
        assert [c.key for c in stored.checks] == [c.key for c in result.checks]
    assert store.version(HUAIAN).parser_version == govreports.PARSER_VERSION
    # The good report's rows were not rewritten; nothing was added twice.
    assert _cell_ids(store, good.url) == good_ids
    counts = store.counts()
    assert counts["cells"] == sum(len(r.cells) for r in expected.values()) + len(good_ids)
    assert counts["report_versions"] == 3

    again = reparse(store, progress=False)
    assert (again["changed"], again["unchanged"]) == (0, 3)
    assert store.counts() == counts


def test_reparse_regroups_and_keeps_continuity_checks(store):
    # Both pingtan reports stored broken (no year): no group, no continuity.
    p2019, p2021 = _pingtan("pingtan-2019.html"), _pingtan("pingtan-2021.html")
    p2020 = _pingtan("pingtan-2021.html")
    p2020.url, p2020.body = p2020.url + "?y=2020", p2020.body.replace("2021年".encode(), "2020年".encode())
    for page in (p2019, p2020, p2021):
        store.save(page, _broken(page))
    reparse(store, progress=False)
    groups = {r["url"]: r["report_group"] for r in store.current_reports()}
    assert groups[p2021.url].endswith("|2021") and groups[p2020.url].endswith("|2020")
    keys = [c.key for c in store.result_for(p2021.url).checks]
    assert sum(k.startswith("requests.continuity.") for k in keys) == 7
    # A second reparse rewrites nothing, the derived checks included.
    counts = store.counts()
    assert reparse(store, progress=False)["changed"] == 0
    assert store.counts() == counts


def test_stale_only_skips_what_this_parser_made(store, monkeypatch):
    old, new = _pingtan("pingtan-2019.html"), _pingtan("pingtan-2021.html")
    monkeypatch.setattr(govreports, "PARSER_VERSION", "0.1.0")
    store.save(old, _broken(old))
    monkeypatch.undo()
    store.save(new, _broken(new))
    summary = reparse(store, stale_only=True, progress=False)
    assert summary["versions"] == 1
    assert store.result_for(old.url).cells and not store.result_for(new.url).cells


def test_reparse_command(db_url, capsys):
    page = _pingtan("pingtan-2019.html")
    with Store(db_url) as store:
        store.save(page, _broken(page))
    assert cli.main(["reparse", "--db", db_url, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "reparsed 1 version(s): 1 changed (header 1, cells 1, checks 1" in out
