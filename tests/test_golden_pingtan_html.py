"""Golden test: the Pingtan 2019 and 2021 report pages (TRS, real bytes as served), every cell of
tables 二, 三 and 四, the header, title, year, template, sections, warnings and check statuses.

The expected values were read off the pages' HTML tables cell by cell (an lxml dump of each
<td>, independent of the parser) and agree with the archive's tag-stripped page text
("一、本年新收政府信息公开申请数量640020470", "政府集中采购13575394432.52元", templates.md §7.2).
"""
import pytest

from govreports.parse import read
from tests import golden
from tests.fixture_pages import load_page, parse_fixture

R19 = parse_fixture("pingtan-2019.html")
R21 = parse_fixture("pingtan-2021.html")
REPORTS = {"2019": R19, "2021": R21}

COLS = ("natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total")

# The hand-read cells, title and header: tests/golden/pingtan-2019.json and pingtan-2021.json.
GOLDEN = {era: golden.load(f"pingtan-{era}.html") for era in REPORTS}
ACTIVE = {era: {k: (c["value"], c["raw"]) for k, c in golden.by_key(g, "active").items()}
          for era, g in GOLDEN.items()}
REQUESTS = {era: golden.rows(g, "requests", COLS) for era, g in GOLDEN.items()}
APPEAL_KEYS = [f"{b}_{o}" for b in ("review", "suit_direct", "suit_after_review")
               for o in ("upheld", "corrected", "other", "pending", "total")]
APPEALS = {era: golden.rows(g, "appeals", APPEAL_KEYS)["all"] for era, g in GOLDEN.items()}


# ---------------------------------------------------------------- cells, one by one
@pytest.mark.parametrize("era,row,col", [(e, r, c) for e in ACTIVE for (r, c) in ACTIVE[e]])
def test_active_cell(era, row, col):
    cell = REPORTS[era].cell("active", row, col)
    assert cell is not None, (row, col)
    assert (cell.value, cell.raw) == ACTIVE[era][(row, col)]
    assert not cell.inferred and cell.origin == "table"


@pytest.mark.parametrize("era,row,col", [(e, r, c) for e in REQUESTS for r in REQUESTS[e] for c in COLS])
def test_requests_cell(era, row, col):
    cell = REPORTS[era].cell("requests", row, col)
    assert cell is not None, (row, col)
    value = REQUESTS[era][row][COLS.index(col)]
    assert (cell.value, cell.raw) == (value, str(value))
    assert not cell.inferred


@pytest.mark.parametrize("era,col", [(e, c) for e in APPEALS for c in APPEAL_KEYS])
def test_appeals_cell(era, col):
    cell = REPORTS[era].cell("appeals", "all", col)
    assert cell is not None, col
    value = APPEALS[era][APPEAL_KEYS.index(col)]
    assert (cell.value, cell.raw) == (value, str(value))


@pytest.mark.parametrize("era", ["2019", "2021"])
def test_exactly_the_published_cells(era):
    r = REPORTS[era]
    assert {(c.row, c.col) for c in r.cells if c.table == "active"} == set(ACTIVE[era])
    assert {(c.row, c.col) for c in r.cells if c.table == "requests"} == {
        (row, col) for row in REQUESTS[era] for col in COLS}
    assert {c.col for c in r.cells if c.table == "appeals"} == set(APPEAL_KEYS)
    counts = {"2019": 22 + 23 * 7 + 15, "2021": 10 + 25 * 7 + 15}
    # Figures stated in the prose (origin "text") are another extractor's; these are the tables'.
    assert len([c for c in r.cells if c.origin == "table"]) == counts[era]


# ---------------------------------------------------------------- header, title, sections
@pytest.mark.parametrize("era,published,raw_date", [("2019", "2020-01-20", "2020-01-20 15:22"),
                                                    ("2021", "2022-02-08", "2022-02-08 16:34")])
def test_header(era, published, raw_date):
    h, g = REPORTS[era].header, GOLDEN[era]
    # The page shows only "来源：平潭县人民政府 时间：…" and the TRS <meta name="PubDate">; its
    # <meta name="ContentSource"> is empty, so it adds nothing.
    assert (g["header"]["published_date"], g["header_raw"]["时间"]) == (published, raw_date)
    assert h.issuer == g["header"]["issuer"] == "平潭县人民政府"
    assert h.published_date == published
    fields = ("index_no", "written_date", "doc_no", "subject", "category")
    assert tuple(getattr(h, f) for f in fields) == tuple(g["header"][f] for f in fields) == (None,) * 5
    assert g["header_raw_complete"] and h.raw == g["header_raw"]


@pytest.mark.parametrize("era", ["2019", "2021"])
def test_title_year_template_source(era):
    r, g = REPORTS[era], GOLDEN[era]
    assert r.title == g["title"] == f"平潭综合实验区{era}年度政府信息公开工作年度报告"
    assert r.report_year == g["report_year"] == int(era)
    assert r.template == g["template"] == era
    assert (r.source.media_type, r.source.encoding) == ("text/html", "utf-8")
    assert r.source.url.startswith("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/")


HEADINGS = [(1, "总体情况"), (2, "主动公开政府信息情况"), (3, "收到和处理政府信息公开申请情况"),
            (4, "政府信息公开行政复议、行政诉讼情况"), (5, "存在的主要问题及改进情况"), (6, "其他需要报告的事项")]


@pytest.mark.parametrize("era,last", [("2019", "无其他需要报告的事项"), ("2021", "2021年，无收取信息处理费情况。")])
def test_sections(era, last):
    r = REPORTS[era]
    assert [(s.no, s.heading) for s in r.sections] == HEADINGS
    # Sections 二 to 四 are their tables only: no cell leaks into the prose.
    assert [s.text for s in r.sections[1:4]] == ["", "", ""]
    assert r.sections[5].text == last


def test_section_prose():
    assert R19.sections[0].text.startswith("2019年，在省政府办公厅、省公开办等部门的关心和指导下")
    assert "（一）基本情况" in R19.sections[0].text
    assert "我区政府信息公开单位共公布政府信息2599条" in R19.sections[0].text
    assert R19.sections[4].text.startswith("2019年，我区政府信息公开工作取得了明显进展")
    assert "全年主动公开我区各级单位政府信息2645条" in R21.sections[0].text
    assert R21.sections[4].text.startswith("（一）存在的主要问题:政策解读形式不够丰富")


# ---------------------------------------------------------------- warnings and checks
@pytest.mark.parametrize("era", ["2019", "2021"])
def test_no_warnings(era):
    # The 2021 header row gives 自然人 and 商业企业 colspan=2 over an empty header cell, and the
    # data rows give 商业企业's value colspan=2: the grid columns do not line up, the order of the
    # values in each row does (templates.md §7.6), so nothing is lost and nothing to flag.
    assert REPORTS[era].warnings == []


@pytest.mark.parametrize("era,n_rows", [("2019", 23), ("2021", 25)])
def test_every_check_passes(era, n_rows):
    r = REPORTS[era]
    keys = [c.key for c in r.checks]
    assert len(keys) == len(set(keys)) == 7 + n_rows + 7 + 3 + 1
    assert {f"requests.balance.{c}" for c in COLS} <= set(keys)
    assert {f"requests.outcomes.{c}" for c in COLS} <= set(keys)
    assert {f"requests.row_total.{row}" for row in REQUESTS[era]} <= set(keys)
    assert {"appeals.review_total", "appeals.suit_direct_total", "appeals.suit_after_review_total",
            "values.domain"} <= set(keys)
    assert [c.key for c in r.checks if c.status != "pass"] == []


def test_check_evidence():
    def check(r, key):
        (c,) = [c for c in r.checks if c.key == key]
        return c.status, c.left, c.right
    assert check(R19, "requests.balance.total") == ("pass", 23, 23)
    assert check(R19, "requests.outcomes.total") == ("pass", 23, 23)
    assert check(R21, "requests.balance.natural_person") == ("pass", 64, 64)
    assert check(R21, "requests.balance.total") == ("pass", 70, 70)
    assert check(R21, "requests.outcomes.natural_person") == ("pass", 63, 63)
    assert check(R21, "requests.outcomes.other_org") == ("pass", 4, 4)
    assert check(R21, "appeals.review_total") == ("pass", 3, 3)
    assert check(R21, "appeals.suit_direct_total") == ("pass", 12, 12)


# ---------------------------------------------------------------- the document itself
@pytest.mark.parametrize("name", ["pingtan-2019.html", "pingtan-2021.html"])
def test_document_shape(name):
    doc = read(load_page(name))
    assert doc.encoding == "utf-8" and doc.warnings == []
    assert doc.meta["ArticleTitle"].startswith("平潭综合实验区") and doc.meta["ContentSource"] == ""
    assert doc.title_candidates[0] == doc.meta["ArticleTitle"]
    assert doc.header_lines == [f"来源：平潭县人民政府 时间：{doc.meta['PubDate']}"]
    # Three data tables, nothing from the portal's chrome (menus, scripts, the empty 全真版 tab:
    # its viewer address is a template, {{qzbFile}}, filled only when a PDF exists).
    assert len({t.table_no for t in doc.tokens if t.kind == "cell"}) == 3
    assert not [t for t in doc.tokens if "首页" in t.text or "qzbFile" in t.text]
    assert doc.links == []
