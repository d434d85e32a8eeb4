"""A report published twice (the page's tables and an attached copy, or two attachments): the
copy stored is the page's, or the first attachment with tables, and every other copy is set
against it cell by cell (govreports.sources)."""
from govreports.items import Attachment, ReportPage
from govreports.parse import parse_page
from tests.fixture_pages import FIXTURES

PAGE_URL = "http://www.pingtan.gov.cn/zwgk/ndbg/202201/t20220125_1.htm"
PAGE = (FIXTURES / "real" / "pingtan-2021.html").read_bytes()
DOC = (FIXTURES / "doc" / "pingtan-2021.doc").read_bytes()
HONGZE = (FIXTURES / "real" / "huaian-hongze-2023.pdf").read_bytes()
HTML = {"content-type": "text/html; charset=utf-8"}


def _parse(body, attachments=(), url=PAGE_URL):
    return parse_page(ReportPage(url=url, body=body, headers=HTML, attachments=list(attachments)))


def _cells(result):
    return {(c.table, c.row, c.col): c.value for c in result.cells if c.origin == "table"}


def _warnings(result, *codes):
    return [w for w in result.warnings if w.code in codes]


def test_an_attached_copy_that_agrees_adds_no_warning():
    alone = _parse(PAGE)
    both = _parse(PAGE, [Attachment(url="http://www.pingtan.gov.cn/u/P0.doc", body=DOC)])
    assert len(_cells(both)) == 200 and _cells(both) == _cells(alone)
    assert not _warnings(both, "attachment_disagrees", "attachment_cells_unused")


def test_an_attached_copy_that_disagrees_is_recorded_with_its_evidence():
    # The same page served as the attachment, with one published figure changed: 63 -> 68.
    assert PAGE.count(b">63<") == 1
    copy = Attachment(url="http://www.pingtan.gov.cn/u/copy.html", body=PAGE.replace(b">63<", b">68<"),
                      headers=HTML)
    r = _parse(PAGE, [copy])
    alone = _cells(_parse(PAGE))
    assert _cells(r) == alone  # the page's figures are the ones stored
    [w] = _warnings(r, "attachment_disagrees", "attachment_cells_unused")
    assert w.code == "attachment_disagrees" and copy.url in w.message
    assert "for 1 of the 200 cells both have" in w.message and w.message.endswith("the stored figures are the page's")
    [evidence] = w.raw
    key = next(k for k, v in alone.items() if v == 63 and ".".join(k) in evidence)
    assert evidence == f"{'.'.join(key)}: 63 stored, 68 in the attachment"


def test_two_reports_attached_to_one_page_the_second_is_set_against_the_first():
    stub = ("<html><head><meta charset='utf-8'><title>年度报告</title></head><body><div id='zoom'>"
            "<p>附件：报告</p></div></body></html>").encode("utf-8")
    hongze = Attachment(url="http://www.example.gov.cn/a.pdf", body=HONGZE,
                        headers={"content-type": "application/pdf"})
    pingtan = Attachment(url="http://www.example.gov.cn/b.doc", body=DOC)
    r = _parse(stub, [hongze, pingtan], url="http://www.example.gov.cn/c.html")
    assert _cells(r) == _cells(_parse(stub, [hongze], url="http://www.example.gov.cn/c.html"))
    codes = [w.code for w in r.warnings]
    assert "tables_from_attachment" in codes and "attachment_disagrees" in codes
    disagree = _warnings(r, "attachment_disagrees")[0]
    assert pingtan.url in disagree.message and disagree.message.endswith(f"the stored figures are the attachment {hongze.url}'s")
    assert 0 < len(disagree.raw) <= 20
    # Keys the stored copy lacks are listed, not stored.
    stored, other = _cells(r), _cells(_parse(DOC, url=pingtan.url))
    missing = sorted(set(other) - set(stored))
    unused = _warnings(r, "attachment_cells_unused")
    assert bool(missing) == bool(unused)
    if unused:
        assert f"has {len(missing)} cells" in unused[0].message
        assert all(line.split(":")[0] in {".".join(k) for k in missing} for line in unused[0].raw)


def test_a_pre2019_statistics_table_attached_twice_is_checked_the_same_way():
    text = (FIXTURES / "real" / "pingtan-county-2011-archive-text.txt").read_bytes()
    plain = {"content-type": "text/plain; charset=utf-8"}
    assert text.count("政府公报公开条77".encode()) == 1
    copy = Attachment(url="http://www.pingtan.gov.cn/u/tongji.txt", headers=plain,
                      body=text.replace("政府公报公开条77".encode(), "政府公报公开条78".encode()))
    alone = parse_page(ReportPage(url="http://www.pingtan.gov.cn/a.htm", body=text, headers=plain))
    r = parse_page(ReportPage(url="http://www.pingtan.gov.cn/a.htm", body=text, headers=plain,
                              attachments=[copy]))
    assert r.template == "pre2019" and _cells(r) == _cells(alone) and len(_cells(r)) == 30
    [w] = _warnings(r, "attachment_disagrees", "attachment_cells_unused")
    assert w.code == "attachment_disagrees" and copy.url in w.message
    [evidence] = w.raw
    assert evidence == "legacy.proactive_gazette.cumulative: 7 (inferred) stored, 8 in the attachment"
