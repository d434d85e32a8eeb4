"""Header labels, dates, titles and years in the shapes portals publish them."""
import pytest

from govreports.header import iso_date, pick_title, report_year, split_label_runs


def test_label_runs_on_one_line_with_padded_labels():
    pairs = split_label_runs("索  引  号: Y01000/2020-14842 发文机关: 贵溪市人民政府 文      号:")
    assert pairs == [("索引号", "Y01000/2020-14842"), ("发文机关", "贵溪市人民政府"), ("文号", "")]


def test_hebei_one_line_header():
    line = ("发布时间：2022-01-20 发布机构：威县人民政府办公室 体裁分类：政府信息公开年报 "
            "主题分类：综合政务 文号： 索引号：000226181/2022-13221")
    d = dict(split_label_runs(line))
    assert d["发布时间"] == "2022-01-20" and d["体裁分类"] == "政府信息公开年报"
    assert d["索引号"] == "000226181/2022-13221" and d["文号"] == ""


@pytest.mark.parametrize("text,iso", [
    ("2020-01-16", "2020-01-16"), ("2020年1月16日", "2020-01-16"), ("2020/1/6", "2020-01-06"),
    ("二〇二〇年一月十六日", "2020-01-16"), ("二○一二年二月二十日", "2012-02-20"),
    ("2022-02-08 16:34", "2022-02-08"), ("2020-13-01", None), ("统计期限自至", None), (None, None)])
def test_dates(text, iso):
    assert iso_date(text) == iso


@pytest.mark.parametrize("title,year", [
    ("贵溪市人民政府2019年政府信息公开工作年度报告", 2019),
    ("平潭综合实验区2021年度政府信息公开工作年度报告", 2021),
    ("某某县二〇一九年政府信息公开工作年度报告", 2019),
    ("政府信息公开工作年度报告", None)])
def test_year_from_title(title, year):
    assert report_year(title) == year


def test_title_picked_from_page_title_with_site_suffix():
    assert pick_title(["平潭综合实验区2021年度政府信息公开工作年度报告_政府信息公开年报_平潭综合实验区党工委管委会"]) \
        == "平潭综合实验区2021年度政府信息公开工作年度报告"
    assert pick_title(["首页", "索引号: 1 发文机关: x"]) is None
