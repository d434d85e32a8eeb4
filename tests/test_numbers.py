"""Cell values: every normalisation rule of the contract's "Values", and what is not a value."""
from decimal import Decimal

import pytest

from govreports.numbers import chinese_numeral, parse_cell


@pytest.mark.parametrize("raw,value,unit", [
    ("64", 64, None), ("0", 0, None), ("减12", -12, None), ("增4", 4, None), ("-185", -185, None),
    ("−15", -15, None), ("－15", -15, None), ("+1036", 1036, None), ("＋461", 461, None),
    ("１２３", 123, None), ("1,234", 1234, None), ("1，234", 1234, None),
    ("26321.25万元", Decimal("26321.25"), "万元"), ("394432.52元", Decimal("394432.52"), "元"),
    ("24252.311082", Decimal("24252.311082"), None), ("12件", 12, "件"), ("7 条", 7, "条"),
    ("二十三", 23, None), ("一百零五", 105, None), ("〇", 0, None),
])
def test_values(raw, value, unit):
    p = parse_cell(raw)
    assert p.is_value and p.value == value and type(p.value) is type(value) and p.unit == unit


@pytest.mark.parametrize("raw", ["", " ", "\xa0", "/", "-", "—", "无", "不适用"])
def test_placeholders_are_null_not_zero(raw):
    p = parse_cell(raw)
    assert p.is_value and p.value is None


@pytest.mark.parametrize("raw", ["规章", "行政许可", "1.属于国家秘密", "2019年", "总计", "12a", "1.2.3"])
def test_labels_are_not_values(raw):
    assert not parse_cell(raw).is_value


def test_chinese_numeral_rejects_mixed_text():
    assert chinese_numeral("二〇一九") == 2019
    assert chinese_numeral("十二月") is None
