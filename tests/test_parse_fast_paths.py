"""The parse path's shortcuts (issue 7, bench/parse.py) give what the slow ways they replace give.

Each shortcut is checked against the plain computation it stands for, on random input as well as
on the cases it was written for, so that a change to either side that breaks the equivalence
fails here rather than as a silently different parse.
"""
from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from govreports import checks, html, legacy, normalize, numbers, prose
from govreports.model import Cell, ParseResult

SAMPLE = settings(max_examples=300, deadline=None)


def _opencc_dictionary_chars() -> str:
    cc = normalize._opencc()
    cc.convert("")
    chars = set()
    for group in cc._dict_chain_data:
        for _, _, mapping in group if isinstance(group, list) else [group]:
            for key in mapping:
                chars.update(key)
    return "".join(sorted(chars))


DICT_CHARS = _opencc_dictionary_chars()
# Simplified text, traditional text, and the punctuation OpenCC splits on.
TEXT = st.text(alphabet=st.sampled_from(DICT_CHARS + "的是了在收到申请答复复议覆盖，。、（）：；- 0123456789ab"),
               max_size=40)


@SAMPLE
@given(TEXT)
def test_to_simplified_equals_opencc(text):
    assert normalize.to_simplified(text) == normalize._opencc().convert(text)


@pytest.mark.parametrize("text", ["政府信息公开工作年度报告", "平潭縣人民政府", "答覆", "覆盖全县，答覆申请人",
                                  "乾坤", "一目瞭然；沈默", ""])
def test_to_simplified_on_the_cases_it_was_written_for(text):
    assert normalize.to_simplified(text) == normalize._opencc().convert(text)


def _matching_form_by_character(text: str) -> str:
    chars = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        chars.append(n if len(n) == 1 else ch)
    s = "".join(chars)
    simple = normalize.to_simplified(s)
    return simple if len(simple) == len(s) else s


@SAMPLE
@given(st.text(max_size=40))
def test_matching_form_equals_the_per_character_rule(text):
    assert legacy.matching_form(text) == _matching_form_by_character(text)


def test_matching_form_keeps_offsets_on_full_width_text():
    text = "共收到申请２１条，其中当面申请数１８条（含ｅ-mail）"
    assert legacy.matching_form(text) == _matching_form_by_character(text)
    assert len(legacy.matching_form(text)) == len(text)


@SAMPLE
@given(st.text(max_size=30))
def test_norm_is_the_same_cached_or_not(text):
    long = text * (normalize.CACHED_CHARS // max(len(text), 1) + 1)
    assert normalize.norm(text) == normalize._norm(text)
    assert normalize.norm(long) == normalize._norm(long)


@SAMPLE
@given(st.from_regex(r"[0-9]{1,25}", fullmatch=True))
def test_parse_cell_digit_shortcut_equals_the_rules(raw):
    assert numbers.parse_cell(raw) == numbers._parse_text(raw)


@SAMPLE
@given(st.text(alphabet=st.sampled_from("0123456789０１２.,，-减增万元件 一二十百无/"), max_size=12))
def test_parse_cell_cached_equals_uncached(raw):
    assert numbers.parse_cell(raw) == numbers._parse_text(raw)


def test_checks_take_the_first_of_two_cells_with_one_key():
    result = ParseResult()
    for row, value in (("new", 5), ("carried_over", 1), ("total", 6), ("carried_forward", 0), ("new", 99)):
        result.cells.append(Cell("requests", row, "natural_person", value, str(value)))
    assert result.value("requests", "new", "natural_person") == 5
    (balance,) = [c for c in checks.run(result) if c.key == "requests.balance.natural_person"]
    assert (balance.status, balance.left, balance.right) == ("pass", 6, 6)


@pytest.mark.parametrize("word,patterns", [("申请", prose._REQUESTS), ("答复", prose._REPLIES),
                                           ("复议", prose._REVIEW), ("诉讼", prose._SUIT),
                                           ("主动公开", prose._PROACTIVE)])
def test_prose_keyword_guard_is_implied_by_every_pattern(word, patterns):
    # prose._sentence_figures searches a group only in sentences holding its word: sound only if
    # whatever a pattern of the group matches holds the word.
    for pattern in patterns:
        _matches_hold(pattern, word)


def _matches_hold(pattern: re.Pattern, word: str) -> None:
    @settings(max_examples=60, deadline=None)
    @given(st.from_regex(pattern, fullmatch=True))
    def matches_hold_the_word(match):
        assert word in match, (pattern.pattern, match)
    matches_hold_the_word()


CELL_MARKUP = st.lists(st.sampled_from([
    "12", "商业", "企业", " ", "\n", "&nbsp;", "<p>", "</p>", "<br>", "<span>", "</span>", "<!-- c -->",
    "<b>x</b>", "<script>s()</script>", "<![CDATA[z]]>", "&#x4e00;", "<o:p></o:p>"]), max_size=12)


@SAMPLE
@given(CELL_MARKUP)
def test_element_text_equals_xpath_string(parts):
    root = etree.fromstring(f"<table><tr><td>{''.join(parts)}</td></tr></table>".encode(),
                            etree.HTMLParser(encoding="utf-8"))
    string = etree.XPath("string()")
    for el in root.iter(etree.Element):
        assert html._text(el) == string(el)


@pytest.mark.parametrize("style,hides", [
    ("display:none", True), ("DISPLAY: NONE", True), ("DiSpLaY :None;color:red", True),
    ("mso-hide:all;display:none", True), ("visibility:hidden", True), ("Visibility: Hidden", True),
    ("display:block", False), ("border:none", False), ("overflow:hidden", False), ("", False)])
def test_hiding_styles_in_any_letter_case(style, hides):
    assert html._hides(style) is hides


def test_hidden_cell_is_left_out_in_any_letter_case():
    page = ('<html><body><div class="TRS_Editor"><table><tr><td>本年新收</td>'
            '<td>3<span style="DISPLAY: None">9</span></td></tr>'
            '<tr><td>x</td><td>1</td></tr></table></div></body></html>').encode()
    doc = html.read_html(page, None, {"content-type": "text/html; charset=utf-8"})
    assert [t.text for t in doc.tokens if t.kind == "cell"] == ["本年新收", "3", "x", "1"]


@pytest.mark.parametrize("body,ctype,decoded,encoding", [
    ("<html><body><p>平潭</p></body></html>".encode("utf-8"), None, False, "utf-8"),
    ("<html><body><p>平潭</p></body></html>".encode("utf-8"), "text/html; charset=UTF8", False, "utf-8"),
    (b"\xef\xbb\xbf<html><body><p>x</p></body></html>", None, True, "utf-8"),
    ("<html><body><p>平潭县人民政府年度报告</p></body></html>".encode("gb18030"), None, True, "gb18030"),
    # Declared UTF-8, sent as GBK (a wrong charset header): found out, decoded as gb18030.
    ("<html><body><p>平潭县人民政府年度报告</p></body></html>".encode("gbk"), "text/html; charset=utf-8",
     True, "gb18030"),
    ('<html><head><meta charset="gbk"></head><body><p>平潭县</p></body></html>'.encode("gbk"), None,
     True, "gb18030")])
def test_utf8_pages_parse_from_their_own_bytes(body, ctype, decoded, encoding, monkeypatch):
    """Only a page that is not valid UTF-8 (or says it is something else) is decoded."""
    calls = []
    real = html.decode
    monkeypatch.setattr(html, "decode", lambda *a: calls.append(a) or real(*a))
    doc = html.read_html(body, None, {"content-type": ctype} if ctype else {})
    assert bool(calls) is decoded and doc.encoding == encoding
    assert doc.tokens[0].text in ("平潭", "x", "平潭县人民政府年度报告", "平潭县")


def _html_fixtures():
    from tests.fixture_pages import FIXTURES
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix.lower() in (".html", ".htm"))


@pytest.mark.parametrize("path", _html_fixtures(), ids=lambda p: p.name)
@pytest.mark.parametrize("ctype", [None, "text/html; charset=utf-8", "text/html; charset=gbk"])
def test_parsing_from_the_bytes_gives_the_tree_decoding_gives(path, ctype):
    """The UTF-8 fast path against decoding first, on every HTML page the tests hold and under
    each charset header (the right one, a wrong one, none): the same tree, the same encoding."""
    from lxml import etree
    body = path.read_bytes()
    root, encoding = html._tree(body, ctype)
    text, expected = html.decode(body, ctype)
    same = expected == "utf-8" and not body.startswith(b"\xef\xbb\xbf") and "\ufffd" not in text
    slow = html._utf8_tree(body if same else text.encode("utf-8", "surrogatepass"))
    assert encoding == expected
    assert etree.tostring(root, encoding="unicode") == etree.tostring(slow, encoding="unicode")


# --- parsing in worker processes (GOVREPORTS_PARSE_PROCESSES) ---------------------------------

def test_a_crawl_parsing_in_worker_processes_stores_the_same_rows(tmp_path):
    from tests.generated_portal import GeneratedPortal, Plan
    from tests.portal_fixtures import run_crawl
    from tests.test_faults import _relative, snapshot

    plan = Plan(portals=2, reports=6, attachment_every=3, seed=5)
    with GeneratedPortal(plan) as portal:
        registry = tmp_path / "registry.csv"
        registry.write_text(plan.registry_csv(portal.base), encoding="utf-8")
        snaps = {}
        for processes in ("0", "2"):
            db = tmp_path / f"p{processes}.sqlite"
            run = run_crawl(tmp_path, {"registry": str(registry)}, db_url=f"sqlite:///{db}",
                            settings={"GOVREPORTS_PARSE_PROCESSES": processes}, name=f"p{processes}")
            assert run.returncode == 0, run.log[-3000:]
            assert run.stat("govreports/stored_new") == plan.portals * plan.reports
            snaps[processes] = _relative(snapshot(db), portal.base)
    assert ("ParsePoolPipeline" in run.log) and snaps["0"] == snaps["2"]


def test_a_dead_parse_worker_costs_no_item(monkeypatch):
    from concurrent.futures.process import BrokenProcessPool
    from twisted.internet import defer

    from pipelines import parse as parse_pipelines
    from tests.fixture_pages import load_page

    monkeypatch.setattr(parse_pipelines, "ProcessPoolExecutor", lambda *a, **k: type(
        "Pool", (), {"shutdown": lambda self, **kw: None})())
    pipeline = parse_pipelines.ParsePoolPipeline(1)
    pipeline.open_spider()
    item = load_page("guixi-2019-annual-report.txt")

    class Dead:
        def result(self):
            raise BrokenProcessPool("a worker was killed")

    d = defer.Deferred()
    got = []
    d.addCallback(got.append)
    pipeline._settle(d, item, Dead())
    assert got == [item] and item.result is not None and item.result.cells
    assert item.result.to_dict() == parse_page_dict(load_page("guixi-2019-annual-report.txt"))


def parse_page_dict(page):
    from govreports.parse import parse_page
    return parse_page(page).to_dict()


@pytest.mark.parametrize("value, cores, expected", [
    ("auto", 2, 1), ("auto", 1, 0), ("auto", 16, 4), ("AUTO", 3, 2), ("0", 8, 0), (3, 1, 3), ("-1", 2, 0)])
def test_parse_processes_setting(monkeypatch, value, cores, expected):
    from pipelines.parse import parse_processes
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(cores)))
    assert parse_processes(value) == expected


def test_parse_processes_setting_refuses_nonsense():
    from pipelines.parse import parse_processes
    with pytest.raises(ValueError, match="GOVREPORTS_PARSE_PROCESSES"):
        parse_processes("many")


def test_the_crawl_parses_in_worker_processes_by_default():
    from govreports import settings
    from pipelines.parse import parse_processes, usable_cores
    assert settings.GOVREPORTS_PARSE_PROCESSES == "auto"
    assert "pipelines.parse.ParsePoolPipeline" in settings.ITEM_PIPELINES
    assert parse_processes(settings.GOVREPORTS_PARSE_PROCESSES) == min(4, usable_cores() - 1)


def test_auto_counts_cores_where_affinity_is_unknown(monkeypatch):
    from pipelines.parse import parse_processes
    monkeypatch.delattr("os.sched_getaffinity")
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert parse_processes("auto") == 2


def test_a_parse_worker_packs_the_bodies_for_the_store(tmp_path):
    """The worker's hashing and compressing reaches the item, and the store writes from it."""
    from twisted.internet import defer

    from govreports.packing import pack, sha256_hex
    from govreports.store import Store
    from pipelines import parse as parse_pipelines
    from tests.fixture_pages import load_page

    item = load_page("guixi-2019-annual-report.txt")

    class Done:
        def result(self):
            return parse_pipelines._parse_in_worker(load_page("guixi-2019-annual-report.txt"))

    pipeline = parse_pipelines.ParsePoolPipeline(1)
    d = defer.Deferred()
    pipeline._settle(d, item, Done())
    assert item.packed == pack(item) and item.packed.shas == [sha256_hex(item.body)]
    with Store(f"sqlite:///{tmp_path}/p.sqlite") as store:
        assert store.save(item, item.result) == "new"
        assert store.raw_body(item.url) == item.body


def test_results_pickled_as_the_parse_workers_send_them_come_back_whole():
    import pickle
    from dataclasses import fields
    from decimal import Decimal

    from govreports.model import Check
    from govreports.parse import parse_page
    from tests.fixture_pages import load_page

    result = parse_page(load_page("guixi-2019-annual-report.txt"))
    assert result.cells and result.checks
    assert pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)) == result
    # Every field, none left at its default, survives Cell's and Check's own pickling.
    cell = Cell("requests", "new", "total", Decimal("1.50"), "1.50", True, "text")
    check = Check("k", "fail", 1, Decimal("2.5"), "why")
    for obj in (cell, check):
        again = pickle.loads(pickle.dumps(obj))
        assert [getattr(again, f.name) for f in fields(obj)] == [getattr(obj, f.name) for f in fields(obj)]
        assert type(again.__dict__) is dict and again == obj
