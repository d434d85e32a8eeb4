"""The label mapper on flat text (one cell per line): eras, groups, missing cells, odd rows."""
from govreports.items import ReportPage
from govreports.parse import parse_page
from govreports.templates import REQUEST_ROWS

COLS = ("natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total")
HEAD = ["三、收到和处理政府信息公开申请情况", "申请人情况", "自然人", "法人或其他组织", "总计",
        "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]


def parse_lines(lines):
    body = "\n".join(["某县人民政府2021年政府信息公开工作年度报告", *lines]).encode("utf-8")
    return parse_page(ReportPage(url="file:///x.txt", body=body,
                                 headers={"content-type": "text/plain; charset=utf-8"}))


def requests_2021(values_for=lambda key, i: [str(i)] * 6 + [str(6 * i)]):
    lines = list(HEAD)
    for i, lab in enumerate(REQUEST_ROWS):
        if lab.key == "other":
            lines.append("（六）其他处理")
            continue
        if lab.key == "disclosed":
            lines.append("三、本年度办理结果")
        if lab.key == "withheld_state_secret":
            lines.append("（三）不予公开")
        if lab.key == "unavailable_not_held":
            lines.append("（四）无法提供")
        if lab.key == "rejected_petition":
            lines.append("（五）不予处理")
        lines.append(lab.label)
        lines.extend(values_for(lab.key, i))
    return lines


def test_2021_other_group_splits_into_three_rows():
    r = parse_lines(requests_2021())
    rows = {c.row for c in r.cells if c.table == "requests"}
    assert {"other_no_correction", "other_unpaid_fee", "other_misc"} <= rows
    assert "other" not in rows
    assert len(rows) == 25 and r.template == "2021"
    # 3.其他 is a row of group （六）, not the 其他 column of the header.
    i = [lab.key for lab in REQUEST_ROWS].index("other_misc")
    assert r.value("requests", "other_misc", "total") == 6 * i


def test_missing_cell_never_shifts_the_next_row():
    # 3 0 0 0 0 0 3 with one 0 lost: the 0 could be any applicant column, or the lost cell could be
    # a total of 6 — two completions, so nothing is assigned.
    def values(key, i):
        return ["3", "0", "0", "0", "0", "3"] if key == "disclosed" else [str(i)] * 6 + [str(6 * i)]
    r = parse_lines(requests_2021(values))
    assert not [c for c in r.cells if c.row == "disclosed"]
    (w,) = [w for w in r.warnings if w.where == "requests.disclosed"]
    assert w.code == "row_incomplete" and w.raw == ["3", "0", "0", "0", "0", "3"]
    i = [lab.key for lab in REQUEST_ROWS].index("partly_disclosed")
    assert [r.value("requests", "partly_disclosed", c) for c in COLS] == [i] * 6 + [6 * i]


def test_missing_cell_filled_only_when_one_completion_exists():
    # Six 2s: a lost applicant cell would need a negative value, so the lost cell is the total.
    def values(key, i):
        return ["2"] * 6 if key == "disclosed" else [str(i)] * 6 + [str(6 * i)]
    r = parse_lines(requests_2021(values))
    cells = [r.cell("requests", "disclosed", c) for c in COLS]
    assert [c.value for c in cells] == [2] * 6 + [12] and all(c.inferred for c in cells)
    assert [w.code for w in r.warnings if w.where == "requests.disclosed"] == ["row_incomplete"]


def test_empty_row_is_null_and_checks_not_assessable():
    r = parse_lines(requests_2021(lambda key, i: [] if key == "new" else ["1"] * 6 + ["6"]))
    assert [r.value("requests", "new", c) for c in COLS] == [None] * 7
    balance = [c for c in r.checks if c.key == "requests.balance.total"][0]
    assert balance.status == "not_assessable"


def test_extra_row_is_a_warning_not_a_cell():
    lines = requests_2021()
    at = lines.index("（四）无法提供")
    lines[at:at] = ["小计", "1", "1", "1", "1", "1", "1", "6"]
    r = parse_lines(lines)
    assert [w.raw for w in r.warnings if w.code == "extra_row"] == [["1", "1", "1", "1", "1", "1", "6"]]
    assert len({c.row for c in r.cells if c.table == "requests"}) == 25


def test_concatenated_cells_extract_nothing():
    r = parse_lines(HEAD + ["一、本年新收政府信息公开申请数量640020470"])
    assert not [c for c in r.cells if c.row == "new"]
    assert [w.code for w in r.warnings if w.where == "requests.new"] == ["cells_concatenated"]


def test_overfull_row_is_refused():
    r = parse_lines(HEAD + ["一、本年新收政府信息公开申请数量"] + ["1"] * 8)
    assert not [c for c in r.cells if c.row == "new"]
    assert [w.code for w in r.warnings if w.where == "requests.new"] == ["row_overfull"]


def test_2021_active_table_and_fee_amount_unit_from_header():
    lines = ["二、主动公开政府信息情况", "第二十条第（一）项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数",
             "规章", "0", "0", "0", "行政规范性文件", "5", "1", "40",
             "第二十条第（五）项", "信息内容", "本年处理决定数量", "行政许可", "1200",
             "第二十条第（六）项", "信息内容", "本年处理决定数量", "行政处罚", "300", "行政强制", "2",
             "第二十条第（八）项", "信息内容", "本年收费金额（单位：万元）", "行政事业性收费", "24252.311082"]
    r = parse_lines(lines)
    assert r.template == "2021"
    assert r.value("active", "normative_documents", "in_force") == 40
    assert r.value("active", "licensing", "decisions") == 1200
    assert str(r.value("active", "fees", "amount_wan_yuan")) == "24252.311082"
    assert len([c for c in r.cells if c.table == "active"]) == 10


def test_procurement_amount_in_yuan_is_converted_and_bare_number_flagged():
    base = ["二、主动公开政府信息情况", "第二十条第（九）项", "信息内容", "采购项目数量", "采购总金额", "政府集中采购", "135"]
    r = parse_lines(base + ["251000元"])
    c = r.cell("active", "procurement", "amount_wan_yuan")
    assert str(c.value) == "25.1" and c.raw == "251000元"
    r = parse_lines(base + ["394432.52"])
    assert r.value("active", "procurement", "amount_wan_yuan") is None
    assert [w.code for w in r.warnings if w.where.startswith("active.procurement")] == ["unit_unknown"]


def test_repeated_header_after_page_break_is_not_a_total_row():
    lines = requests_2021()
    at = lines.index("（四）无法提供")
    lines[at:at] = HEAD[1:]
    r = parse_lines(lines)
    i = [lab.key for lab in REQUEST_ROWS].index("total")
    assert r.value("requests", "total", "total") == 6 * i
    assert not [w for w in r.warnings if w.code == "duplicate_row"]


def test_values_domain_flags_negative_counts_but_not_signed_changes():
    r = parse_lines(requests_2021(lambda key, i: ["-1"] + ["0"] * 5 + ["-1"] if key == "new" else ["0"] * 7))
    (dom,) = [c for c in r.checks if c.key == "values.domain"]
    assert dom.status == "fail" and dom.left == 2 and "requests.new.natural_person=-1" in dom.message
    r = parse_lines(["二、主动公开政府信息情况", "第二十条第（五）项", "信息内容", "上一年项目数量", "本年增/减",
                     "处理决定数量", "行政许可", "613", "减12", "4850"])
    (dom,) = [c for c in r.checks if c.key == "values.domain"]
    assert dom.status == "pass" and r.value("active", "licensing", "change") == -12


def test_header_naming_a_column_twice_refuses_the_block_rows():
    r = parse_lines(["二、主动公开政府信息情况", "第二十条第（五）项", "信息内容", "上一年项目数量", "本年增/减",
                     "处理决定数量", "处理决定数量", "行政许可", "10", "0", "0", "430"])
    assert not [c for c in r.cells if c.row == "licensing"]
    codes = [(w.code, w.where) for w in r.warnings]
    assert ("header_duplicate_column", "active.art20_5") in codes
    assert ("columns_unknown", "active.licensing") in codes
