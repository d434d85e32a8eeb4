"""`python -m govreports stats`: exact figures of a small stored dataset, the text tables, the charts."""
from __future__ import annotations

import pytest

from govreports import cli, stats
from govreports.model import Cell, Check, Header, ParseResult
from govreports.stats import NO_CODE, FamilyFigures
from govreports.store import Store
from tests.test_store import make_page

PNG = b"\x89PNG\r\n\x1a\n"


def report(year, template, issuer, totals, checks):
    """A parse with table 三's 总计 column given as {row: value} and checks as {key: status}."""
    return ParseResult(title=f"{issuer or ''}{year}年政府信息公开工作年度报告", report_year=year, template=template,
                       header=Header(issuer=issuer),
                       cells=[Cell("requests", row, "total", v, str(v)) for row, v in totals.items()],
                       checks=[Check(k, s, 1 if s != "not_assessable" else None,
                                     1 if s == "pass" else (2 if s == "fail" else None))
                               for k, s in checks.items()])


def fill(db_url):
    with Store(db_url) as store:
        # Jiangxi 2019: outcomes add up (6 + 2 + 1 + 1 = 10).
        guixi = lambda: report(
            2019, "2019", "贵溪市人民政府",
            {"new": 10, "carried_over": 2, "disclosed": 6, "partly_disclosed": 2, "withheld_law": 1,
             "rejected_repeat": 1, "total": 10, "carried_forward": 2},
            {"requests.balance.total": "pass", "requests.outcomes.total": "pass",
             "requests.row_total.new": "fail", "appeals.review_total": "not_assessable"})
        store.save(make_page(b"a", url="https://jx/2019", portal_code="360681"), guixi())
        # The same report reposted at another URL of the portal: a page, not another report.
        store.save(make_page(b"a2", url="https://jx/repost", portal_code="360681",
                             fetched_at="2024-06-01T08:00:00+00:00"), guixi())
        # Fujian 2019, whose old version (1000 requests) was replaced: only the new one counts.
        store.save(make_page(b"old", url="https://fj/2019", portal_code="350128"),
                   report(2019, "2019", "平潭县人民政府", {"new": 1000}, {"requests.balance.total": "fail"}))
        # Fujian 2019: outcomes add up (3 + 1 + 1 = 5); the balance fails twice.
        store.save(make_page(b"b", url="https://fj/2019", portal_code="350128"), report(
            2019, "2019", "平潭县人民政府",
            {"new": 5, "disclosed": 3, "unavailable_not_held": 1, "other": 1, "total": 5},
            {"requests.balance.total": "fail", "requests.balance.natural_person": "fail",
             "requests.outcomes.total": "pass", "values.domain": "pass"}))
        # Fujian 2021: outcomes do not add up (10 + 5 ≠ 16): counted for requests, not for shares.
        store.save(make_page(b"c", url="https://fj/2021", portal_code="350128"), report(
            2021, "2021", "平潭县人民政府", {"new": 20, "disclosed": 10, "other_misc": 5, "total": 16},
            {"requests.outcomes.total": "fail"}))
        # A report stored without a portal code, with no table found.
        store.save(make_page(b"d", url="https://x/2012", portal_code=None),
                   report(2012, "pre2019", None, {}, {}))
    return db_url


@pytest.fixture
def dataset(db_url):
    return fill(db_url)


@pytest.fixture
def figures(dataset):
    with Store(dataset) as store:
        return stats.compute(store)


@pytest.fixture
def sqlite_dataset(tmp_path):
    # Charts and the command line do not depend on the backend: SQLite only, to stay fast.
    return fill(f"sqlite:///{tmp_path}/stats.sqlite")


@pytest.fixture
def sqlite_figures(sqlite_dataset):
    with Store(sqlite_dataset) as store:
        return stats.compute(store)


def test_coverage_and_tables_found(figures):
    assert (figures.n_pages, figures.n_reports, figures.n_issuers, figures.n_portals) == (5, 4, 2, 2)
    assert figures.by_template == {"2019": 2, "2021": 1, "pre2019": 1}
    assert figures.coverage == {("江西省", 2019): 1, ("福建省", 2019): 1, ("福建省", 2021): 1,
                                (NO_CODE, 2012): 1}
    assert figures.tables_found == {2019: (2, 2), 2021: (1, 1), 2012: (1, 0)}


def test_check_failure_rates_per_family(figures):
    assert figures.checks == {
        "requests.balance": FamilyFigures(assessed=3, failed=2, not_assessable=0, reports_failing=1),
        "requests.row_total": FamilyFigures(assessed=1, failed=1, not_assessable=0, reports_failing=1),
        "requests.outcomes": FamilyFigures(assessed=3, failed=1, not_assessable=0, reports_failing=1),
        "appeals.totals": FamilyFigures(assessed=0, failed=0, not_assessable=1, reports_failing=0),
        "values.domain": FamilyFigures(assessed=1, failed=0, not_assessable=0, reports_failing=0),
    }
    assert list(figures.checks)[:3] == ["requests.balance", "requests.row_total", "requests.outcomes"]
    assert figures.checks["requests.balance"].failure_rate == pytest.approx(2 / 3)
    assert figures.checks["appeals.totals"].failure_rate is None
    assert figures.reports_failing_any == 3
    assert figures.blocked is None


def test_requests_and_outcome_shares_per_year(figures):
    assert figures.requests == {2019: (2, 15, 2), 2021: (1, 20, 0)}
    # Only the two balanced 2019 reports: 15 requests handled.
    assert list(figures.outcomes) == [2019]
    n, sums, handled = figures.outcomes[2019]
    assert (n, handled) == (2, 15)
    assert sums == {"disclosed": 9, "partly_disclosed": 2, "withheld": 1, "unavailable": 1,
                    "rejected": 1, "other": 1}
    assert figures.share(2019, "disclosed") == pytest.approx(0.6)


def test_text_tables(figures):
    text = stats.render(figures)
    lines = [line.split() for line in text.splitlines()]
    assert "Reports (one per issuer and year): 4   pages (reposts included): 5" in text
    assert ["Issuers:", "2", "portals:", "2"] in lines
    assert ["province", "2012", "2019", "2021", "total"] in lines
    assert ["江西省", "-", "1", "-", "1"] in lines
    assert ["福建省", "-", "1", "1", "2"] in lines
    assert [*NO_CODE.split(), "1", "-", "-", "1"] in lines
    assert ["total", "1", "2", "1", "4"] in lines
    assert ["2012", "1", "0", "0.0%"] in lines and ["all", "4", "3", "75.0%"] in lines
    assert ["requests.balance", "3", "2", "66.7%", "0", "1"] in lines
    assert ["appeals.totals", "0", "0", "-", "1", "0"] in lines
    assert ["2019", "2", "15", "2"] in lines and ["2021", "1", "20", "0"] in lines
    assert ["2019", "2", "15", "60.0%", "13.3%", "6.7%", "6.7%", "6.7%", "6.7%"] in lines
    assert "Blocked fetches: not recorded" in text
    # Chinese text is aligned by display width: the province table's columns line up.
    table = text.split("Reports by province and year\n")[1].split("\n\n")[0].splitlines()
    widths = {stats._width(line.rstrip()) for line in table if not line.startswith("-")}
    assert len(widths) == 1, table


def test_plots_are_png_files(sqlite_figures, tmp_path):
    paths = stats.plot(sqlite_figures, tmp_path / "plots")
    assert [p.name for p in paths] == ["coverage.png", "requests_per_year.png", "outcome_shares.png"]
    for p in paths:
        data = p.read_bytes()
        assert data.startswith(PNG) and len(data) > 5000


def test_plots_without_a_chinese_font_use_province_codes(sqlite_figures, tmp_path, monkeypatch):
    monkeypatch.setattr(stats, "cjk_font", lambda: None)
    for p in stats.plot(sqlite_figures, tmp_path / "plots"):
        assert p.read_bytes().startswith(PNG)


def test_cli_stats(sqlite_dataset, tmp_path, capsys):
    assert cli.main(["stats", "--db", sqlite_dataset, "--plot", str(tmp_path / "png")]) == 0
    out = capsys.readouterr().out
    assert "Reports by province and year" in out and "requests.outcomes" in out
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [
        "coverage.png", "outcome_shares.png", "requests_per_year.png"]
