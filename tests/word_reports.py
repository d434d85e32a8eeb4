"""The Qinghe report in each Word format, parsed once for tests/test_docx.py and
tests/test_doc_reader.py: the DOCX make_docx.py builds, LibreOffice's .doc of it, and that .doc
under a .wps name (tests/fixtures/doc/README.md). Also the views of a result the tests compare
across formats."""
from __future__ import annotations

from govreports.documents import DOC, DOCX
from govreports.parse import parse_page, read
from tests.fixture_pages import load_page

# format -> (fixture name, folder, media type the reader must report)
QINGHE = {"docx": ("qinghe-2022.docx", "docx", DOCX),
          "doc": ("qinghe-2022.doc", "doc", DOC),
          "wps": ("qinghe-2022.wps", "doc", DOC)}
FORMATS = tuple(QINGHE)

PAGES = {fmt: load_page(name, folder) for fmt, (name, folder, _) in QINGHE.items()}
RESULTS = {fmt: parse_page(page) for fmt, page in PAGES.items()}
DOCUMENTS = {fmt: read(page) for fmt, page in PAGES.items()}


def cells(result):
    return [(c.table, c.row, c.col, c.value, c.raw, c.inferred, c.origin) for c in result.cells]


def tokens(document):
    return [(t.kind, t.text, t.table_no, t.row_no, t.inherited) for t in document.tokens]
