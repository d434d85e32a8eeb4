"""The Excel readers: an XLSX with merged header and group cells read cell by cell (horizontal
merges once, vertical merges inherited), numbers written as the form writes them, an HTML page
taking its tables from an attached workbook; hostile or broken files giving warnings.

The XLS (BIFF8) reader is tested on LibreOffice conversions (tests/fixtures/xls/README.md): the
XLSX fixture as .xls gives the XLSX's tokens and cells, and the real Pingtan 2021 report's table
三 as .xls gives its golden cells; and with broken, disguised and OLE-sniffed bodies."""
import io
import zipfile

import pytest

from govreports import docx as docx_reader
from govreports.documents import CELL, ROW_END, XLS, XLSX, sniff_media_type
from govreports.items import Attachment, ReportPage
from govreports.parse import parse_page, read
from govreports.spreadsheet import cell_text
from tests.fixture_pages import FIXTURES, load_page, parse_fixture
from tests.fixtures.xlsx import make_xlsx as spec

XLSX_BYTES = (FIXTURES / "xlsx" / "songlin-2022.xlsx").read_bytes()
R = parse_fixture("songlin-2022.xlsx", "xlsx")


def _codes(result):
    return [(w.code, w.where) for w in result.warnings]


def _parse(body, url="http://x.gov.cn/a.xlsx", headers=None, **kw):
    return parse_page(ReportPage(url=url, body=body, headers=headers or {}, **kw))


def test_fixture_is_what_the_script_builds():
    assert spec.build() == XLSX_BYTES


@pytest.mark.parametrize("key,values", [(k, v) for k, _, _, v in spec.REQUESTS])
def test_requests_row(key, values):
    assert [(R.value("requests", key, c), R.cell("requests", key, c).raw) for c in spec.COLS] == [
        (v, str(v)) for v in values]


def test_every_requests_cell_and_nothing_else():
    requests = [c for c in R.cells if c.table == "requests"]
    assert len(requests) == 7 * len(spec.REQUESTS)
    assert len({(c.row, c.col) for c in requests}) == len(requests)
    assert [c.value for c in R.cells if c.table == "appeals"] == list(spec.APPEALS)
    assert {c.origin for c in R.cells} == {"table"}


def test_report_fields_and_checks():
    assert R.source.media_type == XLSX
    assert R.title == spec.TITLE and (R.report_year, R.template) == (2022, "2021")
    assert R.warnings == []
    checks = {c.key: c.status for c in R.checks}
    assert len([k for k in checks if k.startswith("requests.")]) == 7 + len(spec.REQUESTS) + 7
    assert set(checks.values()) == {"pass"}


def _rows(doc, table_no):
    rows, row = [], []
    for t in doc.tokens:
        if t.kind == CELL and t.table_no == table_no:
            row.append((t.text, t.inherited))
        elif t.kind == ROW_END and t.table_no == table_no:
            rows.append(row)
            row = []
    return rows


@pytest.fixture(scope="module")
def doc():
    return read(load_page("songlin-2022.xlsx", "xlsx"))


def test_merged_cells_once_per_row_vertical_merges_inherited(doc):
    rows = _rows(doc, 0)
    assert rows[0] == [(spec.TITLE + "——收到和处理政府信息公开申请情况", False)]
    assert rows[1] == [(spec.NOTE, False), ("申请人情况", False)]
    assert rows[2] == [(spec.NOTE, True), ("自然人", False), ("法人或其他组织", False), ("总计", False)]
    assert rows[3] == [(spec.NOTE, True), ("自然人", True), ("商业企业", False), ("科研机构", False),
                       ("社会公益组织", False), ("法律服务机构", False), ("其他", False), ("总计", True)]
    group = [r[0] for r in rows if r[0][0] == "三、本年度办理结果"]
    assert group[0] == ("三、本年度办理结果", False) and len(group) == 22
    assert all(inh for _, inh in group[1:])
    withheld = [r[1] for r in rows if len(r) > 1 and r[1][0] == "（三）不予公开"]
    assert [inh for _, inh in withheld] == [False] + [True] * 7
    # A label merged across B:C is one cell; numbers stored as floats (31.0) are written "31".
    assert rows[6][:3] == [("三、本年度办理结果", False), ("（一）予以公开", False), ("14", False)]
    assert rows[4] == [("一、本年新收政府信息公开申请数量", False)] + [(str(v), False) for v in spec.REQUESTS[0][3]]


def test_each_sheet_is_a_table_after_its_name_and_empty_sheets_are_skipped(doc):
    kinds = [(t.kind, t.text if t.kind == "para" else t.table_no) for t in doc.tokens
             if t.kind in ("para", "table_end")]
    assert kinds == [("para", spec.SHEET_REQUESTS), ("table_end", 0),
                     ("para", spec.SHEET_APPEALS), ("table_end", 1)]


@pytest.mark.parametrize("value,text", [
    (12, "12"), (12.0, "12"), (-3.0, "-3"), (2315.47, "2315.47"), (0.1, "0.1"), (None, ""),
    ("", ""), ("  商业\n企业 ", "商业企业"), (float("nan"), "")])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_html_page_takes_its_tables_from_the_attached_workbook():
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>松林县人民政府2022年政府信息公开工作年度报告"
            "</title></head><body><h1>松林县人民政府2022年政府信息公开工作年度报告</h1>"
            "<div class='info'>发布日期：2023-01-20 来源：松林县人民政府办公室</div>"
            "<p>一、总体情况</p><p>2022年，松林县人民政府受理政府信息公开申请39件。</p>"
            "<p>附件：<a href='/zwgk/xxgknb/202301/P020230120654321.xlsx'>统计表.xlsx</a></p>"
            "</body></html>").encode("utf-8")
    att = load_page("songlin-2022.xlsx", "xlsx")
    r = _parse(page, "http://www.songlin.example.gov.cn/zwgk/xxgknb/202301/t20230120_1.html",
               {"content-type": "text/html; charset=utf-8"},
               attachments=[Attachment(url=att.url, body=att.body, headers=att.headers)])
    cells = lambda res: [(c.table, c.row, c.col, c.value, c.raw) for c in res.cells if c.origin == "table"]
    assert cells(r) == cells(R) and len(cells(r)) == 7 * len(spec.REQUESTS) + 15
    assert _codes(r) == [("tables_from_attachment", "source")] and att.url in r.warnings[0].message
    assert r.source.media_type == "text/html" and r.template == "2021"
    assert (r.title, r.header.published_date) == (spec.TITLE, "2023-01-20")
    assert {c.key: c.status for c in r.checks} == {c.key: c.status for c in R.checks}


# ---------------------------------------------------------------- XLS (BIFF8)
R_XLS = parse_fixture("songlin-2022.xls", "xls")


def _all_cells(res):
    return [(c.table, c.row, c.col, c.value, c.raw, c.inferred, c.origin) for c in res.cells]


def test_xls_gives_the_cells_and_fields_of_its_xlsx_source():
    assert R_XLS.source.media_type == XLS
    assert _all_cells(R_XLS) == _all_cells(R) and len(R_XLS.cells) == 7 * len(spec.REQUESTS) + 15
    # The title is the workbook's Title property (SummaryInformation), as docProps gives the XLSX's.
    assert (R_XLS.title, R_XLS.report_year, R_XLS.template) == (spec.TITLE, 2022, "2021")
    assert R_XLS.warnings == []
    assert {c.key: c.status for c in R_XLS.checks} == {c.key: c.status for c in R.checks}


def test_xls_tokens_are_the_xlsx_readers_merges_included(doc):
    xls = read(load_page("songlin-2022.xls", "xls"))
    tokens = lambda d: [(t.kind, t.text, t.table_no, t.row_no, t.inherited) for t in d.tokens]
    assert tokens(xls) == tokens(doc)
    assert sum(t.inherited for t in xls.tokens) > 30


def test_real_report_table_as_xls_gives_its_golden_cells():
    from tests import golden

    expected = sorted((c["table"], c["row"], c["col"], c["value"], c["raw"], c["inferred"])
                      for c in golden.load("pingtan-2021.html")["cells"] if c["table"] == "requests")
    r = parse_fixture("pingtan-2021-requests.xls", "xls")
    assert r.source.media_type == XLS and r.template == "2021"
    got = sorted((c.table, c.row, c.col, c.value, c.raw, c.inferred) for c in r.cells)
    assert got == expected and len(got) == 7 * 25
    assert {c.status for c in r.checks} == {"pass"}


# ---------------------------------------------------------------- sniffing
def test_sniffing_tells_xlsx_from_docx_and_xls_from_doc():
    assert sniff_media_type(XLSX_BYTES, "http://x.gov.cn/a.bin", {}) == XLSX
    docx_bytes = (FIXTURES / "docx" / "qinghe-2022.docx").read_bytes()
    assert sniff_media_type(docx_bytes, "http://x.gov.cn/a.xlsx", {}) == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    book = ole + "Workbook".encode("utf-16-le") + b"\0" * 100
    word = ole + "WordDocument".encode("utf-16-le") + "Workbook".encode("utf-16-le")
    assert sniff_media_type(book, "http://x.gov.cn/a.doc", {}) == XLS
    assert sniff_media_type(word, "http://x.gov.cn/a.xls", {}) == "application/msword"
    assert sniff_media_type(ole, "http://x.gov.cn/a.xls", {}) == XLS
    assert sniff_media_type(ole, "http://x.gov.cn/a", {"content-type": XLS}) == XLS
    assert sniff_media_type(ole, "http://x.gov.cn/a.doc", {}) == "application/msword"
    assert sniff_media_type(b"junk", "http://x.gov.cn/a.xls", {}) == XLS


# ---------------------------------------------------------------- broken and hostile files
def test_garbage_xls_is_unreadable_not_an_exception():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
    for body in (ole, b"not a workbook at all", b""):
        r = _parse(body, "http://x.gov.cn/P0201.xls", {"content-type": XLS})
        assert r.source.media_type == XLS
        assert _codes(r)[0] == ("unreadable", "source") and "XLS" in r.warnings[0].message
        assert "no_tables" not in [w.code for w in r.warnings] and not r.cells


def test_html_and_xlsx_served_as_xls():
    html = ("<html><body><table><tr><td>信息内容</td><td>本年处理决定数量</td></tr>"
            "<tr><td>行政许可</td><td>12</td></tr></table></body></html>").encode("utf-8")
    d = read(ReportPage(url="http://x.gov.cn/a.xls", body=html, headers={"content-type": XLS}))
    assert d.meta.get("served_as") == XLS and d.media_type == "text/html"
    assert [t.text for t in d.tokens if t.kind == CELL] == ["信息内容", "本年处理决定数量", "行政许可", "12"]
    r = _parse(XLSX_BYTES, "http://x.gov.cn/a.xls", {"content-type": XLS})
    assert r.source.media_type == XLSX and len(r.cells) == len(R.cells)


def _with_part(name, data, base=XLSX_BYTES):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != name:
                zout.writestr(info, zin.read(info))
        zout.writestr(name, data)
    return out.getvalue()


def test_broken_and_hostile_xlsx():
    # A workbook part that is not XML, a DTD (entity expansion), a ZIP bomb, a part over the limit.
    r = _parse(_with_part("xl/worksheets/sheet1.xml", b"garbage"))
    assert _codes(r)[0] == ("unreadable", "source") and not r.cells
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "ha">]><workbook/>'
    r = _parse(_with_part("xl/workbook.xml", dtd))
    assert _codes(r)[0] == ("unreadable", "source") and "DTD" in r.warnings[0].message
    r = _parse(_with_part("xl/media/blank.bin", b"\0" * (4 * 2**20)))
    assert _codes(r)[0] == ("unreadable", "source") and "ZIP bomb" in r.warnings[0].message
    minimal = io.BytesIO()
    with zipfile.ZipFile(minimal, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    r = _parse(minimal.getvalue())
    assert r.source.media_type == XLSX and _codes(r)[0] == ("unreadable", "source")
    assert "no_tables" not in [w.code for w in r.warnings]


def test_part_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(docx_reader, "MAX_PART_BYTES", 2_000)
    r = _parse(XLSX_BYTES)
    assert _codes(r)[0] == ("unreadable", "source") and "XLSX" in r.warnings[0].message
    assert "limits" in r.warnings[0].message
