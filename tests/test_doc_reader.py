"""The Word 97-2003 reader (.doc, .wps): the real Pingtan 2021 page converted to .doc by
LibreOffice gives its golden cells through the one parse path; a report page linking a .doc gets
its cells; broken, encrypted, older and foreign OLE2 files give warnings, never exceptions; the
pieces of the format (fields, sprms). The Qinghe report's .doc and .wps, and the frame .doc, are
checked cell by cell and token by token against their DOCX sources in tests/test_docx.py. How the
fixtures were made: tests/fixtures/doc/README.md."""
import io
import random
import struct

import olefile
import pytest
from scrapy.http import HtmlResponse, Request, Response

from govreports import doc as doc_reader
from govreports.documents import CELL, DOC, LINE, sniff_media_type
from govreports.items import ReportPage
from govreports.parse import parse_page, read
from tests import golden
from tests.fixture_pages import FIXTURES, parse_fixture
from tests.word_reports import PAGES, RESULTS, cells as _cells

DOC_BYTES = PAGES["doc"].body
R = RESULTS["doc"]
R_PINGTAN = parse_fixture("pingtan-2021.doc", "doc")


def _codes(result):
    return [(w.code, w.where) for w in result.warnings]


def _refused(result):
    """The reader's one warning, and nothing the mapper would add for an empty body."""
    codes = _codes(result)
    assert not result.cells and "no_tables" not in [c for c, _ in codes]
    assert all(c in ("title_missing", "year_unknown") for c, _ in codes[1:]), codes
    return codes[0]


def _parse(body, url="http://x.gov.cn/P0201.doc", headers=None):
    return parse_page(ReportPage(url=url, body=body, headers=headers or {}))


def test_wps_is_sniffed_as_word_97():
    # Served as application/vnd.ms-works (manifest.json), the magic bytes decide.
    wps = PAGES["wps"]
    assert wps.headers["content-type"] == "application/vnd.ms-works"
    assert sniff_media_type(wps.body, wps.url, wps.headers) == DOC


# ---------------------------------------------------------------- a real report as .doc
PINGTAN = golden.load("pingtan-2021.html")


def test_real_report_doc_gives_every_golden_cell():
    expected = sorted((c["table"], c["row"], c["col"], c["value"], c["raw"], c["inferred"])
                      for c in PINGTAN["cells"])
    got = sorted((c.table, c.row, c.col, c.value, c.raw, c.inferred) for c in R_PINGTAN.cells
                 if c.origin == "table")
    assert got == expected and len(got) == 200


def test_real_report_doc_fields_and_checks():
    r = R_PINGTAN
    assert (r.title, r.report_year, r.template) == (PINGTAN["title"], 2021, "2021")
    assert r.header.published_date == PINGTAN["header"]["published_date"]
    assert r.warnings == []
    assert r.checks and {c.status for c in r.checks} == {"pass"}


# ---------------------------------------------------------------- a report page linking a .doc
def test_report_page_linking_a_doc_gets_its_cells():
    from spiders.annual_reports import AnnualReportsSpider
    from scrapy.utils.test import get_crawler

    base = "http://127.0.0.1:8000/xxgk/xxgknb/"
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{R.title}</title></head>"
            f"<body><h1>{R.title}</h1><div>发布日期：2023-01-18 来源：清河区人民政府办公室</div>"
            f"<p>一、总体情况</p><p>详见附件。</p>"
            f"<p>附件：<a href='202301/P020230118123456.doc'>年度报告.doc</a></p></body></html>").encode()
    crawler = get_crawler(AnnualReportsSpider, {"GOVREPORTS_INCREMENTAL": False})
    spider = AnnualReportsSpider.from_crawler(crawler, column=base)
    url = base + "t20230118_1.html"
    (request,) = spider.parse_report(
        HtmlResponse(url=url, body=page, request=Request(url),
                     headers={"Content-Type": "text/html; charset=utf-8"}),
        portal_code=None, platform="generic", list_url=None, title_hint=None)
    assert request.url == base + "202301/P020230118123456.doc"
    (item,) = request.callback(Response(url=request.url, body=DOC_BYTES, request=request,
                                        headers={"Content-Type": "application/msword"}),
                               **request.cb_kwargs)
    r = parse_page(item)
    table_cells = [c for c in _cells(r) if c[-1] == "table"]
    assert table_cells == [c for c in _cells(R) if c[-1] == "table"]
    assert _codes(r) == [("tables_from_attachment", "source")] and request.url in r.warnings[0].message
    assert r.source.media_type == "text/html" and (r.title, r.template) == (R.title, "2021")


# ---------------------------------------------------------------- broken, encrypted, foreign
def _stream_at(body: bytes, name: str = "WordDocument") -> int:
    """Where a stream's first sector lies in the file. The fixture's streams are written in
    consecutive sectors; `_patched` reads its patch back through olefile to be sure."""
    ole = olefile.OleFileIO(io.BytesIO(body))
    entry = next(d for d in ole.direntries if d is not None and d.name == name)
    assert entry.size >= ole.minisectorcutoff  # in regular sectors, not the mini stream
    return (entry.isectStart + 1) * ole.sectorsize


def _patched(fmt: str, at: int, value: int, stream: str = "WordDocument",
             body: bytes = DOC_BYTES) -> bytes:
    out = bytearray(body)
    struct.pack_into(fmt, out, _stream_at(body, stream) + at, value)
    out = bytes(out)
    data = olefile.OleFileIO(io.BytesIO(out)).openstream(stream).read()
    assert struct.unpack_from(fmt, data, at)[0] == value  # the patch hit the stream
    return out


def test_encrypted_doc_is_named():
    flags = struct.unpack_from("<H", DOC_BYTES, _stream_at(DOC_BYTES) + 10)[0]
    r = _parse(_patched("<H", 10, flags | 0x0100))
    assert _refused(r) == ("encrypted", "source") and "encrypted" in r.warnings[0].message
    assert not r.cells
    # SummaryInformation is not encrypted: the title and year still identify the report.
    assert (r.title, r.report_year) == (R.title, 2022)


def test_word_95_is_unsupported():
    r = _parse(_patched("<H", 2, 104))
    assert _refused(r) == ("unsupported_format", "source") and "Word 6.0/95" in r.warnings[0].message


@pytest.mark.parametrize("at,value,says", [
    (0x1A2, 0x7FFFFFF0, "piece table"),      # fcClx far outside the table stream
    (0x1A6, 0, "piece table"),               # lcbClx 0
    (0, 0x1234, "FIB"),                      # wIdent
])
def test_broken_fib_or_piece_table_is_unreadable(at, value, says):
    r = _parse(_patched("<I" if at else "<H", at, value))
    assert _refused(r) == ("unreadable", "source") and says in r.warnings[0].message
    assert not r.cells


def test_piece_outside_the_stream_is_unreadable():
    word = olefile.OleFileIO(io.BytesIO(DOC_BYTES)).openstream("WordDocument").read()
    fib = doc_reader.read_fib(word)
    assert fib.table_stream == "1Table"
    # The fixture's CLX is a bare Pcdt (no Prc): 0x02, lcb, two CPs, then the first PCD, whose
    # fc follows its 2-byte flags.
    r = _parse(_patched("<I", fib.fc_clx + 1 + 4 + 8 + 2, len(word) - 10, "1Table"))
    assert _refused(r) == ("unreadable", "source") and "outside" in r.warnings[0].message


def test_without_paragraph_properties_cells_are_lines_mapped_by_label():
    # lcbPlcfBtePapx 0: row ends cannot be told from empty cells, so cells become flat lines,
    # which the label mapper reads as it reads a report flattened one cell per line.
    body = _patched("<I", 0x102 + 4, 0)
    d = read(ReportPage(url="http://x.gov.cn/a.doc", body=body))
    assert not any(t.kind == CELL for t in d.tokens) and any(t.kind == LINE for t in d.tokens)
    r = _parse(body)
    assert _codes(r) == [("doc_table_grid_unknown", "tables")]
    assert sorted(_cells(r)) == sorted(_cells(R))


def test_stream_bigger_than_the_file_is_refused_before_reading():
    # The directory entry's stream size (offset 120) says 2 GB: olefile would follow the sector
    # chain round and round for it.
    entry = DOC_BYTES.find("WordDocument".encode("utf-16-le"))
    assert entry % 128 == 0
    body = bytearray(DOC_BYTES)
    struct.pack_into("<I", body, entry + 120, 2**31)
    r = _parse(bytes(body))
    assert _refused(r) == ("unreadable", "source") and "2147483648 bytes" in r.warnings[0].message


def test_limits(monkeypatch):
    monkeypatch.setattr(doc_reader, "MAX_CHARS", 100)
    r = _parse(DOC_BYTES)
    assert _refused(r) == ("too_large", "source") and "limit 100" in r.warnings[0].message
    monkeypatch.setattr(doc_reader, "MAX_CHARS", 2**20)
    monkeypatch.setattr(doc_reader, "MAX_PIECES", 0)
    r = _parse(DOC_BYTES)
    assert _refused(r) == ("unreadable", "source") and "limit 0" in r.warnings[0].message


@pytest.mark.parametrize("url,named", [("http://x.gov.cn/P0201.doc", "Word file"),
                                       ("http://x.gov.cn/P0201.wps", "WPS Writer file")])
def test_ole_signature_without_a_compound_file(url, named):
    r = _parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4, url,
               {"content-type": "application/msword"})
    assert _refused(r) == ("unsupported_format", "source")
    assert named in r.warnings[0].message and "not a readable compound file" in r.warnings[0].message


def test_ole_file_without_word_stream_is_unsupported():
    # An OLE2 file whose streams are not Word's (an older WPS or Works file): the .xls fixture
    # with its Workbook stream renamed, served under a .wps name.
    xls = (FIXTURES / "xls" / "songlin-2022.xls").read_bytes()
    name = "Workbook".encode("utf-16-le")
    assert xls.count(name) == 1
    body = xls.replace(name, "WpsBook1".encode("utf-16-le"))
    r = _parse(body, "http://x.gov.cn/P0201.wps", {"content-type": "application/vnd.ms-works"})
    assert r.source.media_type == DOC
    assert _refused(r) == ("unsupported_format", "source")
    assert "without a WordDocument stream" in r.warnings[0].message and "WpsBook1" in r.warnings[0].message


def test_random_bytes_named_wps_are_unsupported():
    r = _parse(bytes(random.Random(7).getrandbits(8) for _ in range(3000)),
               "http://x.gov.cn/P0201.wps", {"content-type": "application/vnd.ms-works"})
    assert _refused(r) == ("unsupported_format", "source")


def test_cut_short_doc_is_a_warning():
    for size in (512, 4096, len(DOC_BYTES) // 2):
        r = _parse(DOC_BYTES[:size])
        assert r.warnings and r.warnings[0].code in ("unsupported_format", "unreadable")
        assert not r.cells


def test_corrupted_bytes_never_raise():
    # Bytes flipped in the FIB, the table stream and the text: the reader itself (not the
    # catch-all in documents.read_document) turns every outcome into tokens or a warning.
    rng = random.Random(20231)
    start = _stream_at(DOC_BYTES)
    for _ in range(60):
        body = bytearray(DOC_BYTES)
        for _ in range(rng.choice((1, 4, 16))):
            at = rng.choice((start + rng.randrange(512), rng.randrange(len(body))))
            body[at] = rng.randrange(256)
        d = doc_reader.read_word97(bytes(body), "http://x.gov.cn/a.doc", {})
        assert d.tokens or d.warnings


# ---------------------------------------------------------------- pieces of the format
def test_fields_keep_their_result_and_drop_their_code():
    paras = doc_reader.paragraphs("前\x13 PAGE \x14 12\x15后\t表\x0b二\r\x13 HYPERLINK \x13x\x15\x14链接\x15\r",
                                  lambda cp: None)
    assert [p.lines for p in paras] == [["前 12后 表", "二"], ["链接"]]


def test_sprm_operands_are_sized_by_their_kind():
    grpprl = (struct.pack("<HB", 0x2416, 1) + struct.pack("<HB", 0x2417, 1)
              + struct.pack("<Hi", 0x6649, 1) + struct.pack("<HH", 0xD608, 3) + b"\x01\x00"
              + struct.pack("<HBBB", 0xD62B, 2, 0, 3) + struct.pack("<H", 0x2416))
    props = doc_reader.ParaProps()
    props.apply(grpprl)
    assert (props.in_table, props.ttp, props.itap, props.tdef) == (True, True, 1, b"\x03\x00\x01\x00")
    assert props.table_sprms == [(0xD62B, b"\x02\x00\x03")]
