"""The Word readers: the Qinghe report's content checked cell by cell in every Word format it comes
in (the DOCX, with gridSpan/vMerge merges, and its .doc and .wps conversions, which must read the
same), a one-cell frame table read as body in DOCX and .doc; hostile archives refused with a
warning, legacy files that are not Word 97 named instead of guessed at. The .doc reader's own
tests (piece table, OLE2 structure, broken and encrypted files): tests/test_doc_reader.py."""
import io
import zipfile

import pytest

from govreports import docx as docx_reader
from govreports.documents import CELL, ROW_END
from govreports.items import ReportPage
from govreports.parse import parse_page, read
from tests import word_reports as qinghe
from tests.fixture_pages import FIXTURES, load_page
from tests.fixtures.doc import make_frame_docx
from tests.fixtures.docx import make_docx as spec

DOCX_BYTES = (FIXTURES / "docx" / "qinghe-2022.docx").read_bytes()
FORMATS = qinghe.FORMATS
CONVERTED = [f for f in FORMATS if f != "docx"]


def test_fixture_is_what_the_script_builds():
    assert spec.build() == DOCX_BYTES


# ---------------------------------------------------------------- the Qinghe report, every format
# The expected values are make_docx.py's; the .doc and .wps must give them as the DOCX does.
@pytest.mark.parametrize("fmt", FORMATS)
def test_media_type(fmt):
    assert qinghe.RESULTS[fmt].source.media_type == qinghe.QINGHE[fmt][2]


@pytest.mark.parametrize("fmt,key", [(f, k) for f in FORMATS for k in sorted(spec.ACTIVE)])
def test_active_cell(fmt, key):
    cell = qinghe.RESULTS[fmt].cell("active", *key)
    assert cell is not None, key
    assert (cell.value, cell.raw) == spec.ACTIVE[key]


@pytest.mark.parametrize("fmt,key,values", [(f, k, v) for f in FORMATS for k, _, _, v in spec.REQUESTS])
def test_requests_row(fmt, key, values):
    r = qinghe.RESULTS[fmt]
    assert [(r.value("requests", key, c), r.cell("requests", key, c).raw) for c in spec.COLS] == [
        (v, str(v)) for v in values]


@pytest.mark.parametrize("fmt", FORMATS)
def test_appeals_row(fmt):
    assert [c.value for c in qinghe.RESULTS[fmt].cells if c.table == "appeals"] == list(spec.APPEALS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_merged_cell_counted_once(fmt):
    table_cells = [c for c in qinghe.RESULTS[fmt].cells if c.origin == "table"]
    assert len(table_cells) == len(spec.ACTIVE) + 7 * len(spec.REQUESTS) + 15
    assert len({(c.table, c.row, c.col) for c in table_cells}) == len(table_cells)


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_fields(fmt):
    r = qinghe.RESULTS[fmt]
    assert r.title == "清河区人民政府2022年政府信息公开工作年度报告"
    assert (r.report_year, r.template) == (2022, "2021")
    assert [s.no for s in r.sections] == [1, 2, 3, 4, 5, 6]
    assert r.sections[4].text == spec.PROSE[5]
    assert r.warnings == []
    # The empty 行政强制 cell is null, and nothing the checks use is missing.
    assert {c.status for c in r.checks} == {"pass"}


@pytest.mark.parametrize("fmt", CONVERTED)
def test_conversion_reads_as_its_docx(fmt):
    # What the checks above do not name (inferred, origin, prose cells, order, every token) must
    # still be the DOCX reader's: vertical merges inherited, gridSpan cells once.
    r, x = qinghe.RESULTS[fmt], qinghe.RESULTS["docx"]
    assert qinghe.cells(r) == qinghe.cells(x)
    assert {c.key: c.status for c in r.checks} == {c.key: c.status for c in x.checks}
    assert qinghe.tokens(qinghe.DOCUMENTS[fmt]) == qinghe.tokens(qinghe.DOCUMENTS["docx"])


def _rows(doc, table_no):
    rows, row = [], []
    for t in doc.tokens:
        if t.kind == CELL and t.table_no == table_no:
            row.append((t.text, t.inherited))
        elif t.kind == ROW_END and t.table_no == table_no:
            rows.append(row)
            row = []
    return rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_gridspan_cells_once_per_row_vmerge_cells_inherited(fmt):
    doc = qinghe.DOCUMENTS[fmt]
    rows = _rows(doc, 1)
    note = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert rows[0] == [(note, False), ("申请人情况", False)]
    assert rows[1] == [(note, True), ("自然人", False), ("法人或其他组织", False), ("总计", False)]
    assert rows[2] == [(note, True), ("自然人", True), ("商业企业", False), ("科研机构", False),
                       ("社会公益组织", False), ("法律服务机构", False), ("其他", False), ("总计", True)]
    group = [r[0] for r in rows if r and r[0][0] == "三、本年度办理结果"]
    assert group[0] == ("三、本年度办理结果", False) and len(group) == 22
    assert all(inh for _, inh in group[1:])
    withheld = [r[1] for r in rows if len(r) > 1 and r[1][0] == "（三）不予公开"]
    assert [inh for _, inh in withheld] == [False] + [True] * 7
    # 行政许可's value spans three grid columns and is read once.
    assert _rows(doc, 0)[6] == [("行政许可", False), ("12873", False)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_body_order_keeps_tables_between_their_headings(fmt):
    kinds = []
    for t in qinghe.DOCUMENTS[fmt].tokens:
        if t.kind == "para" and t.text.startswith(("二、", "三、", "四、", "五、")) and len(t.text) < 30:
            kinds.append(t.text[:2])
        elif t.kind == "table_end":
            kinds.append(f"table{t.table_no}")
    assert kinds == ["二、", "table0", "三、", "table1", "四、", "table2", "五、"]


# ---------------------------------------------------------------- a page framed by a one-cell table
@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    """make_frame_docx.py's DOCX, built here, and LibreOffice's .doc of it."""
    path = tmp_path_factory.mktemp("frame") / "frame.docx"
    make_frame_docx.build(str(path))
    return {"docx": read(ReportPage(url="http://x.gov.cn/a.docx", body=path.read_bytes())),
            "doc": read(load_page("frame-2022.doc", "doc"))}


@pytest.mark.parametrize("fmt", ["docx", "doc"])
def test_a_one_cell_frame_is_walked_as_body_and_its_nested_table_as_a_table(frame, fmt):
    d = frame[fmt]
    assert [t.text for t in d.tokens if t.kind == "para"] == [
        "某县人民政府2022年政府信息公开工作年度报告", "一、总体情况", "二、主动公开政府信息情况", "（完）"]
    assert [t.text for t in d.tokens if t.kind == CELL] == ["信息内容", "本年处理决定数量", "行政许可", "12"]
    assert qinghe.tokens(d) == qinghe.tokens(frame["docx"])


# ---------------------------------------------------------------- hostile and odd archives
def _with_part(name: str, data: bytes, base: bytes = DOCX_BYTES) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != name:
                zout.writestr(info, zin.read(info))
        zout.writestr(name, data)
    return out.getvalue()


def _parse(body: bytes, url: str = "http://x.gov.cn/a.docx", headers=None):
    return parse_page(ReportPage(url=url, body=body, headers=headers or {}))


def _codes(result):
    return [(w.code, w.where) for w in result.warnings]


def test_entity_expansion_is_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">'
              b'<!ENTITY c "&b;&b;&b;&b;">]><w:document xmlns:w="http://schemas.openxmlformats.org/'
              b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&c;</w:t></w:r></w:p></w:body></w:document>')
    result = _parse(_with_part("word/document.xml", laughs))
    assert _codes(result)[0] == ("unreadable", "source")
    assert "DTD" in result.warnings[0].message and not result.cells


def test_zip_bomb_part_is_refused_before_inflating():
    result = _parse(_with_part("word/media/blank.bin", b"\0" * (4 * 2**20)))
    assert _codes(result)[0] == ("unreadable", "source")
    assert "ZIP bomb" in result.warnings[0].message


def test_part_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(docx_reader, "MAX_PART_BYTES", 10_000)
    result = _parse(DOCX_BYTES)
    assert _codes(result)[0] == ("unreadable", "source") and "limits" in result.warnings[0].message


def test_broken_zip_and_other_office_files():
    assert _codes(_parse(b"PK\x03\x04" + b"\0" * 200))[0] == ("unreadable", "source")
    # An XLSX goes to the spreadsheet reader (tests/test_spreadsheet.py); other Office ZIPs are named.
    pptx = io.BytesIO()
    with zipfile.ZipFile(pptx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("ppt/presentation.xml", "<presentation/>")
    result = _parse(pptx.getvalue(), "http://x.gov.cn/a.pptx")
    assert _codes(result)[0] == ("unsupported_format", "source")
    assert "PowerPoint" in result.warnings[0].message and "no_tables" not in [w.code for w in result.warnings]
    xlsx = io.BytesIO()
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    refused = docx_reader.read_docx(xlsx.getvalue(), "http://x.gov.cn/a.docx", {}).warnings[0]
    assert refused.code == "unsupported_format" and "Excel" in refused.message


@pytest.mark.parametrize("url,named", [("http://x.gov.cn/P0201.doc", "Word 97-2003"),
                                       ("http://x.gov.cn/P0201.wps", "WPS")])
def test_legacy_word_is_named_not_guessed(url, named):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000
    result = _parse(ole, url, {"content-type": "application/msword"})
    assert result.source.media_type == "application/msword"
    assert _codes(result)[0] == ("unsupported_format", "source")
    assert named in result.warnings[0].message
    assert "no_tables" not in [w.code for w in result.warnings] and not result.cells


def test_rtf_and_html_served_as_doc():
    rtf = _parse(b"{\\rtf1\\ansi hello}", "http://x.gov.cn/a.doc", {"content-type": "application/msword"})
    assert _codes(rtf)[0] == ("unsupported_format", "source") and "RTF" in rtf.warnings[0].message
    page = ("<html><head><title>某县人民政府2021年政府信息公开工作年度报告</title></head><body>"
            "<p>一、总体情况</p><p>全年主动公开政府信息12条。</p></body></html>").encode("utf-8")
    html = _parse(page, "http://x.gov.cn/a.doc", {"content-type": "application/msword"})
    assert html.title == "某县人民政府2021年政府信息公开工作年度报告"
    assert html.source.media_type == "text/html"
    assert "unsupported_format" not in [w.code for w in html.warnings]
