"""The PDF reader's edges: tables found in an attached PDF, and files that are not what they say
(an HTML error page named .pdf, a cut download, a password, a scan) giving warnings, never
exceptions; page and character limits that cut with a warning."""
import pytest

from govreports import pdf as pdf_reader
from govreports.items import Attachment, ReportPage
from govreports.parse import parse_page
from tests.fixture_pages import FIXTURES, load_page, parse_fixture

HONGZE = (FIXTURES / "real" / "huaian-hongze-2023.pdf").read_bytes()
PDF_HEADERS = {"content-type": "application/pdf"}

STUB = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>洪泽区人民政府2023年政府信息公开工作年度报告_洪泽区人民政府</title></head><body>
<div class="article"><h1>洪泽区人民政府2023年政府信息公开工作年度报告</h1>
<div class="info">发布日期：2024-02-27 来源：洪泽区人民政府办公室</div>
<div id="zoom"><p>附件：<a href="/uploadfiles/202402/P020240227.pdf">洪泽区人民政府2023年政府信息公开工作年度报告.pdf</a></p>
</div></div></body></html>""".encode("utf-8")


def _codes(result):
    return [(w.code, w.where) for w in result.warnings]


def _parse(body, url="http://www.example.gov.cn/xxgk/P020240101.pdf", headers=None, **kw):
    return parse_page(ReportPage(url=url, body=body, headers=headers or {}, **kw))


def test_html_page_takes_its_tables_from_the_attached_pdf():
    att = Attachment(url="http://www.hongze.gov.cn/uploadfiles/202402/P020240227.pdf", body=HONGZE,
                     headers=PDF_HEADERS)
    r = _parse(STUB, "http://www.hongze.gov.cn/hzqrmzf/zfxxgknb/content/abc.html",
               {"content-type": "text/html; charset=utf-8"}, attachments=[att])
    direct = parse_fixture("huaian-hongze-2023.pdf")
    cells = lambda res: [(c.table, c.row, c.col, c.value, c.raw) for c in res.cells if c.origin == "table"]
    assert cells(r) == cells(direct) and len(cells(r)) == 186
    assert _codes(r) == [("tables_from_attachment", "source"), ("label_variant", "requests.withheld_law")]
    assert att.url in r.warnings[0].message
    # The page gives title and header; the attachment, having the report, gives the outline.
    assert r.title == "洪泽区人民政府2023年政府信息公开工作年度报告" and r.template == "2021"
    assert (r.header.published_date, r.header.issuer) == ("2024-02-27", "洪泽区人民政府办公室")
    assert [s.no for s in r.sections] == [1, 2, 3, 4, 5, 6]
    assert r.source.media_type == "text/html"
    assert {c.key: c.status for c in r.checks} == {c.key: c.status for c in direct.checks}


def test_an_unreadable_attachment_says_why_there_are_no_tables():
    att = Attachment(url="http://www.hongze.gov.cn/P020240227.pdf", body=HONGZE[: len(HONGZE) // 2],
                     headers=PDF_HEADERS)
    r = _parse(STUB, "http://www.hongze.gov.cn/abc.html", {"content-type": "text/html"}, attachments=[att])
    assert ("unreadable", "attachment.source") in _codes(r)
    assert "no_tables" not in [w.code for w in r.warnings] and not r.cells


def test_html_error_page_named_pdf():
    page = b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>"
    r = _parse(page, headers=PDF_HEADERS)
    assert r.source.media_type == "application/pdf"
    assert _codes(r)[0] == ("unreadable", "source") and "not a PDF" in r.warnings[0].message
    assert "no_tables" not in [w.code for w in r.warnings]


@pytest.mark.parametrize("cut", [20, 2000, len(HONGZE) // 2, len(HONGZE) - 50])
def test_truncated_pdf(cut):
    r = _parse(HONGZE[:cut], headers=PDF_HEADERS)
    assert _codes(r)[0] == ("unreadable", "source") and not r.cells
    assert "cut short" in r.warnings[0].message


def test_password_protected_pdf():
    r = parse_page(load_page("encrypted-user-password.pdf", "pdf"))
    assert _codes(r)[0] == ("unreadable", "source")
    assert "encrypted with a password" in r.warnings[0].message


def test_pdf_restricted_by_an_owner_password_only_is_read():
    r = parse_page(load_page("encrypted-owner-only.pdf", "pdf"))
    assert "unreadable" not in [w.code for w in r.warnings]
    assert r.to_dict()["source"]["media_type"] == "application/pdf"


def _minimal_pdf(content: bytes, resources: bytes) -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources " + resources +
               b" /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
               b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream"]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def test_scan_without_text_layer():
    scan = _minimal_pdf(b"q 500 0 0 700 50 50 cm /Im1 Do Q", b"<< /XObject << /Im1 5 0 R >> >>")
    r = _parse(scan, headers=PDF_HEADERS)
    assert _codes(r)[0] == ("tables_are_images", "tables")
    assert "no text layer" in r.warnings[0].message
    assert "no_tables" not in [w.code for w in r.warnings] and not r.cells


def test_page_limit_cuts_with_a_warning(monkeypatch):
    monkeypatch.setattr(pdf_reader, "MAX_PAGES", 2)
    r = parse_fixture("huaian-hongze-2023.pdf")
    assert ("truncated", "source") in _codes(r)
    assert "first 2 of 5 pages" in next(w.message for w in r.warnings if w.code == "truncated")
    # Pages 1-2 hold the outline's start and table 二's first blocks, nothing of 三 or 四.
    assert r.value("active", "licensing", "decisions") == 550
    assert not [c for c in r.cells if c.table in ("requests", "appeals")]


def test_character_budget_cuts_with_a_warning(monkeypatch):
    monkeypatch.setattr(pdf_reader, "MAX_CHARS", 100)
    r = parse_fixture("huaian-hongze-2023.pdf")
    (w,) = [w for w in r.warnings if w.code == "truncated"]
    assert "by page 1 of 5" in w.message
    assert r.title == "洪泽区人民政府2023年政府信息公开工作年度报告" and not r.cells


def test_a_page_that_fails_is_skipped_not_fatal(monkeypatch):
    real = pdf_reader._PageReader.read

    def flaky(self):
        if self.number == 5:
            raise ValueError("bad content stream")
        return real(self)

    monkeypatch.setattr(pdf_reader._PageReader, "read", flaky)
    r = parse_fixture("huaian-hongze-2023.pdf")
    assert ("unreadable", "page 5") in _codes(r)
    assert len([c for c in r.cells if c.table == "requests"]) == 23 * 7


def test_a_page_full_of_line_segments_is_read_as_prose(monkeypatch):
    monkeypatch.setattr(pdf_reader, "MAX_RULINGS", 10)
    r = parse_fixture("huaian-hongze-2023.pdf")
    skipped = [w.where for w in r.warnings if w.code == "tables_skipped"]
    assert skipped == ["page 2", "page 3", "page 4"]
    assert not [c for c in r.cells if c.origin == "table"]
    assert r.title == "洪泽区人民政府2023年政府信息公开工作年度报告"


def _damaged(at: bytes, offset: int = 40) -> bytes:
    """The Hongze PDF with 8 bytes zeroed inside the first stream after `at`."""
    start = HONGZE.index(b"stream\n", HONGZE.index(at)) + len(b"stream\n") + offset
    return HONGZE[:start] + b"\0" * 8 + HONGZE[start + 8:]


def test_a_font_without_its_unicode_map_is_flagged():
    # Object 15 is the ToUnicode CMap of the title's font (宋体, also the vertical 三、本年度办理结果
    # cell): with it damaged, those glyphs read (cid:N).
    r = _parse(_damaged(b"\n15 0 obj"), headers=PDF_HEADERS)
    assert _codes(r)[0] == ("unmapped_glyphs", "source")
    # The labels are lost with the glyphs, so no cell is claimed; the title survives in the
    # document information dictionary.
    assert not r.cells and "no_tables" in [w.code for w in r.warnings]
    assert r.title == "洪泽区人民政府2023年政府信息公开工作年度报告"


def test_a_page_tree_that_cannot_be_found_is_unreadable():
    # The cross-reference stream at the end, damaged: pdfminer finds no pages at all.
    r = _parse(_damaged(b"/Type /XRef"), headers=PDF_HEADERS)
    assert _codes(r)[0] == ("unreadable", "source") and "no pages" in r.warnings[0].message


@pytest.mark.parametrize("seed", range(6))
def test_mutated_pdf_never_raises(seed):
    import random
    rng = random.Random(seed)
    body = bytearray(HONGZE)
    for _ in range(rng.choice([1, 10, 100])):
        body[rng.randrange(len(body))] = rng.randrange(256)
    r = _parse(bytes(body), headers=PDF_HEADERS)
    for c in r.cells:
        assert c.raw is not None and c.table in ("active", "requests", "appeals", "legacy")
