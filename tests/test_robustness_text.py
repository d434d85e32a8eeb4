"""Property-based tests: random and mutated flat text never crashes the parser, and every number
it stores was published (or is flagged inferred), once per cell."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govreports.items import ReportPage
from govreports.normalize import clean
from govreports.parse import parse_page
from govreports.templates import ACTIVE_COLUMNS, ACTIVE_ROWS, REQUEST_COLUMNS, REQUEST_GROUPS, REQUEST_ROWS

LABELS = [lab.label for lab in REQUEST_ROWS + REQUEST_GROUPS + REQUEST_COLUMNS + ACTIVE_ROWS + ACTIVE_COLUMNS]
LABELS += ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
           "五、存在的主要问题及改进情况", "第二十条第（一）项", "信息内容", "结果维持", "总计", "小计"]
NUMBERS = st.one_of(st.integers(-50, 10**7).map(str), st.sampled_from(["减12", "增4", "26321.25万元", "-", "/", "无", "１２"]))
LINES = st.lists(st.one_of(st.sampled_from(LABELS), NUMBERS, st.text(max_size=30)), max_size=300)


def _parse(lines):
    body = "\n".join(lines).encode("utf-8")
    return parse_page(ReportPage(url="file:///fuzz.txt", body=body,
                                 headers={"content-type": "text/plain; charset=utf-8"}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES)
def test_random_label_and_number_streams(lines):
    result = _parse(lines)
    published = {clean(ln) for ln in "\n".join(lines).splitlines()}
    keys = [(c.table, c.row, c.col) for c in result.cells]
    assert len(keys) == len(set(keys)), "a cell was stored twice"
    for c in result.cells:
        if not c.inferred and c.raw:
            assert c.raw in published, c
    for chk in result.checks:
        assert chk.status in ("pass", "fail", "not_assessable")
        if chk.status != "not_assessable":
            assert chk.left is not None and chk.right is not None


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=4000))
def test_random_bytes(body):
    result = parse_page(ReportPage(url="file:///fuzz.bin", body=body, headers={}))
    assert result.source.sha256


def test_very_long_line_and_many_lines_are_bounded():
    import time
    t = time.perf_counter()
    result = _parse(["一、本年新收政府信息公开申请数量"] + ["1"] * 200_000 + ["x" * 1_000_000])
    assert time.perf_counter() - t < 30
    assert [w.code for w in result.warnings if w.where == "requests.new"] == ["row_overfull"]


def test_body_over_the_limit_is_refused_with_a_reason():
    result = parse_page(ReportPage(url="file:///big.txt", body=b"1\n" * (9 * 2**20),
                                   headers={"content-type": "text/plain"}))
    codes = [w.code for w in result.warnings]
    assert codes[0] == "too_large" and "no_tables" not in codes and not result.cells
