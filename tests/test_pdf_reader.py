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


# ---------------------------------------------------------------- bounds (govreports.pdfbounds)

def _decoded(raw: bytes, attrs: dict, budget=None) -> tuple[bytes, bytes]:
    """The stream's data as pdfminer decodes it, and as the bounded stream does."""
    from pdfminer.pdftypes import PDFStream
    from govreports.pdfbounds import Budget, _BoundedStream
    plain = PDFStream(dict(attrs), raw).get_data()
    return plain, _BoundedStream(PDFStream(dict(attrs), raw), budget or Budget()).get_data()


def _lit(name):
    from pdfminer.psparser import LIT
    return LIT(name)


def _rle(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 128):
        chunk = data[i:i + 128]
        out += bytes([len(chunk) - 1]) + chunk
    return bytes(out + b"\x80")


@pytest.mark.parametrize("case", ["flate", "lzw", "runlength", "hex+flate", "a85", "png", "plain", "truncated"])
def test_bounded_streams_decode_as_pdfminer_does(case):
    import base64
    import zlib
    text = "本年新收政府信息公开申请数量 BT /F1 12 Tf (x) Tj ET ".encode() * 50
    rows = bytes(range(16)) * 8  # 8 rows of 16 bytes
    raw, attrs = {
        "flate": (zlib.compress(text), {"Filter": _lit("FlateDecode")}),
        # pdfminer's own LZW sample (its tests): -----A---B
        "lzw": (b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01", {"Filter": _lit("LZWDecode")}),
        "runlength": (_rle(text) [:-1] + b"\x83-" + b"\x80", {"Filter": _lit("RunLengthDecode")}),
        "hex+flate": (zlib.compress(text).hex().encode() + b">",
                      {"Filter": [_lit("ASCIIHexDecode"), _lit("FlateDecode")]}),
        "a85": (base64.a85encode(text) + b"~>", {"Filter": _lit("ASCII85Decode")}),
        "png": (zlib.compress(b"".join(b"\x02" + rows[i:i + 16] for i in range(0, len(rows), 16))),
                {"Filter": _lit("FlateDecode"), "DecodeParms": {"Predictor": 12, "Columns": 16}}),
        "plain": (text, {}),
        "truncated": (zlib.compress(text)[:-30], {"Filter": _lit("FlateDecode")}),
    }[case]
    plain, bounded = _decoded(raw, attrs)
    assert bounded == plain and len(plain) > 8


def test_a_stream_over_its_limit_is_refused_not_inflated():
    import zlib
    from govreports.pdfbounds import Budget
    budget = Budget(stream_limit=1000, total_limit=10_000)
    # Flate, LZW-free RunLength (128 bytes from 2) and a chain: each stops at the limit + 1.
    for raw, attrs in [(zlib.compress(b" " * 5000), {"Filter": _lit("FlateDecode")}),
                       (b"\x81 " * 100 + b"\x80", {"Filter": _lit("RunLengthDecode")}),
                       (zlib.compress(b"\x81 " * 100 + b"\x80"),
                        {"Filter": [_lit("FlateDecode"), _lit("RunLengthDecode")]})]:
        plain, bounded = _decoded(raw, attrs, budget)
        assert len(plain) > 1000 and bounded == b""
    assert len(budget.refused) == 3 and "over 0 MB, the limit for one stream" in budget.refused[0]
    assert budget.inflated == 0
    # Under the limit for one stream, over what is left of the document's.
    budget = Budget(stream_limit=1000, total_limit=1500)
    sizes = [len(_decoded(zlib.compress(b"x" * 900), {"Filter": _lit("FlateDecode")}, budget)[1])
             for _ in range(2)]
    assert sizes == [900, 0] and "what is left of the limit for the document" in budget.refused[0]


def test_a_damaged_flate_stream_is_read_as_pdfminer_reads_it_and_noted():
    import zlib
    from govreports.pdfbounds import Budget
    text = b"".join(b"row %d: %d cells, value %d\n" % (i, i * 7 % 13, i * i) for i in range(5000))
    good = zlib.compress(text)
    budget = Budget()
    bad = good[:len(good) // 2] + b"\xff" * 8 + good[len(good) // 2 + 8:]
    # A fault inside: nothing (what inflated before it is garbage already), as pdfminer, but noted.
    assert _decoded(bad, {"Filter": _lit("FlateDecode")}, budget) == (b"", b"")
    assert len(budget.damaged) == 1 and "fails at byte" in budget.damaged[0]
    # A bad checksum only: everything is there (as pdfminer has it), and noted.
    budget = Budget()
    plain, bounded = _decoded(good[:-4] + b"\0\0\0\0", {"Filter": _lit("FlateDecode")}, budget)
    assert bounded == plain == text and "checksum" in budget.damaged[0]


def test_a_damaged_content_stream_is_a_warning():
    import zlib
    content = zlib.compress(b"BT /F1 12 Tf 50 700 Td (hello) Tj ET " * 200)
    content = content[:len(content) // 2] + b"\xff" * 8 + content[len(content) // 2 + 8:]
    body = _minimal_pdf(content, b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>")
    body = body.replace(b"<< /Length %d >>" % len(content), b"<< /Length %d /Filter /FlateDecode >>" % len(content))
    doc = pdf_reader.read_pdf(body, None, {})
    assert "pdf_damaged" in [w.code for w in doc.warnings]
    assert "fails at byte" in next(w.message for w in doc.warnings if w.code == "pdf_damaged")


def test_the_bounded_reader_draws_what_pdfplumber_draws():
    import io
    import time

    import pdfplumber
    from govreports import pdfbounds
    keys = ("text", "x0", "x1", "top", "bottom", "size", "fontname", "stroking_color", "non_stroking_color")
    with pdfplumber.open(io.BytesIO(HONGZE)) as plain, \
            pdfbounds.BoundedPDF(io.BytesIO(HONGZE), pdfbounds.Budget()) as bounded:
        # BoundedPDF sets what pdfplumber.PDF.__init__ sets (a pin bump that adds one fails here).
        assert set(vars(plain)) <= set(vars(bounded))
        assert len(plain.pages) == len(bounded.pages) == 5
        for a, b in zip(plain.pages, bounded.pages):
            layout = pdfbounds.read_layout(b, pdfbounds.Limits(10**9, time.monotonic() + 60, 10**6, 10**6))
            assert layout.cut is None and not layout.dropped_paths
            assert [[c[k] for k in keys] for c in a.chars] == [[c[k] for k in keys] for c in b.chars]
            assert len(a.chars) > 100
            for kind in ("lines", "rects", "curves", "images"):
                assert [(o["x0"], o["top"], o["x1"], o["bottom"]) for o in getattr(a, kind)] == \
                       [(o["x0"], o["top"], o["x1"], o["bottom"]) for o in getattr(b, kind)]
        assert bounded.budget.inflated > 100_000 and not bounded.budget.refused


def test_a_page_cut_drops_the_string_it_was_drawing(monkeypatch):
    # Cut in the middle of a Tj: the part of that string already drawn is not kept.
    from govreports import pdfbounds
    body = _minimal_pdf(b"BT /F1 12 Tf 50 700 Td (first) Tj 0 -20 Td (1234567890) Tj ET",
                        b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>")
    monkeypatch.setattr(pdf_reader, "MAX_CHARS", 8)
    r = _parse(body, headers=PDF_HEADERS)
    (w,) = [w for w in r.warnings if w.code == "truncated"]
    assert "by page 1 of 1, cut in that page" in w.message
    doc = pdf_reader.read_pdf(body, None, {})
    assert [t.text for t in doc.tokens] == ["first"]
    assert pdfbounds.MAX_PAGE_CHARS > 10_000


def test_a_page_over_the_time_limit_is_cut_in_the_page(monkeypatch):
    import time
    from govreports import pdfbounds  # (imports pdfplumber before the clock starts)
    monkeypatch.setattr(pdf_reader, "MAX_SECONDS", 0.3)
    monkeypatch.setattr(pdfbounds, "_CLOCK_EVERY", 16)
    # 20,000 operands that draw nothing (no character, no path): only the clock stops them.
    content = b"q " + b"1 0 0 1 0 0 cm " * 20_000 + b"Q" + b" BT /F1 12 Tf 50 700 Td (end) Tj ET" * 1
    body = _minimal_pdf(content * 20, b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont "
                                      b"/Helvetica >> >> >>")
    # CPU time: what the cut bounds, and what a busy machine does not stretch.
    t = time.process_time()
    r = _parse(body, headers=PDF_HEADERS)
    assert time.process_time() - t < 2.0  # read whole: about a minute
    (w,) = [w for w in r.warnings if w.code == "truncated"]
    assert "in page 1 of 1" in w.message


def test_a_page_with_too_many_paths_keeps_its_text_and_looks_for_no_table(monkeypatch):
    from govreports import pdfbounds
    monkeypatch.setattr(pdfbounds, "MAX_PAGE_PATHS", 20)
    grid = b"".join(b"%d 100 m %d 500 l S " % (x, x) for x in range(100, 400, 20))
    grid += b"".join(b"100 %d m 400 %d l S " % (y, y) for y in range(100, 500, 20))
    body = _minimal_pdf(grid + b"BT /F1 12 Tf 50 700 Td (after the drawing) Tj ET",
                        b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>")
    doc = pdf_reader.read_pdf(body, None, {})
    assert [(w.code, w.where) for w in doc.warnings] == [("tables_skipped", "page 1")]
    assert "after the drawing" in [t.text for t in doc.tokens]
    monkeypatch.setattr(pdfbounds, "MAX_PAGE_PATHS", 10_000)
    doc = pdf_reader.read_pdf(body, None, {})  # the same grid, whole: a table
    assert not doc.warnings and any(t.kind == "cell" for t in doc.tokens)


def test_a_cut_inside_a_form_xobject_closes_it(monkeypatch):
    # The characters are drawn by a form the page calls: the cut comes inside the figure.
    from tests.test_hostile_input import FONT, _pdf, _stream
    monkeypatch.setattr(pdf_reader, "MAX_CHARS", 30)
    form = (b"<</Type/XObject/Subtype/Form/BBox[0 0 300 300]/Resources<</Font<</F1 5 0 R>>>>/Length %d>>"
            b"stream\n%s\nendstream")
    draw = b"BT /F1 12 Tf 10 200 Td (inside the form) Tj 0 -20 Td (and more text here) Tj ET"
    objs = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 300]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>"
            b"/XObject<</Fm1 6 0 R>>>>>>",
            _stream(b"BT /F1 12 Tf 10 250 Td (page text) Tj ET /Fm1 Do"), FONT, form % (len(draw), draw)]
    doc = pdf_reader.read_pdf(_pdf(objs), None, {})
    assert [w.code for w in doc.warnings] == ["truncated"]
    assert [t.text for t in doc.tokens] == ["page text", "inside the form"]
