"""The portal registry: the seeded rows, the filters, and the errors a bad file gets."""
from __future__ import annotations

from pathlib import Path

import pytest

from govreports.export import PROVINCES
from govreports.links import HostPolicy
from govreports.registry import (COLUMNS, DEFAULT_PATH, PLATFORMS, Portal, RegistryError,
                                 load_registry, read_registry)

HEADER = ",".join(COLUMNS)


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "registry.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


# --- the seeded registry ------------------------------------------------------------------

def test_seeded_registry_is_valid_and_county_level():
    portals = load_registry()
    assert len(portals) >= 10
    codes = [p.code for p in portals]
    assert len(codes) == len(set(codes))
    for p in portals:
        assert p.platform in PLATFORMS
        # County level: the last two digits name a county, not a prefecture (xx00) or province.
        assert p.code[4:] != "00", p
        # The province column agrees with the code's first two digits.
        assert PROVINCES[p.code[:2]] == p.province, p
        assert HostPolicy().extended(p.allowed_hosts).allows(p.column_url), p


@pytest.mark.parametrize("code,name,platform,column", [
    ("350128", "平潭", "trs", "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"),
    ("321322", "沭阳县", "generic", "http://www.shuyang.gov.cn/shuyang/xxgknb/list.shtml"),
    ("360733", "会昌县", "generic", "http://xxgk.huichang.gov.cn/xxgknb/"),
    ("360681", "贵溪市", "hanweb", "http://www.guixi.gov.cn/"),
])
def test_seeded_rows(code, name, platform, column):
    (portal,) = load_registry(code=code)
    assert name in portal.name
    assert portal.platform == platform
    assert portal.column_url == column


def test_rows_without_a_known_column_say_so():
    (guixi,) = load_registry(code="360681")
    assert "no column URL known" in guixi.note


# --- filters ------------------------------------------------------------------------------

@pytest.mark.parametrize("province", ["福建省", "福建", "35"])
def test_province_filter_by_name_short_name_or_code_prefix(province):
    portals = load_registry(province=province)
    assert [p.code for p in portals] == ["350128"]


def test_province_and_code_filters_combine():
    assert [p.code for p in load_registry(province="四川省", code="511423")] == ["511423"]
    with pytest.raises(RegistryError, match="no portal with code 350128"):
        load_registry(province="四川省", code="350128")


def test_filters_that_select_nothing_are_errors():
    with pytest.raises(RegistryError, match="no portal of province"):
        load_registry(province="火星省")
    with pytest.raises(RegistryError, match="no portal with code 110999"):
        load_registry(code="110999")
    with pytest.raises(RegistryError, match="not a 6-digit"):
        load_registry(code="3501")


def test_other_registry_file(tmp_path):
    # A loopback column (the simulated portal) is off *.gov.cn: the row names its host.
    path = write(tmp_path, "350128,平潭县,福建省,福州市,trs,http://127.0.0.1:8000/zwgk/zfxxgk/zfxxgknb/,"
                           "127.0.0.1,")
    (portal,) = load_registry(path)
    assert portal == Portal("350128", "平潭县", "福建省", "福州市", "trs",
                            "http://127.0.0.1:8000/zwgk/zfxxgk/zfxxgknb/", ("127.0.0.1",))
    assert portal.hosts == ("127.0.0.1",)
    unnamed = write(tmp_path, "350128,平潭县,福建省,福州市,trs,http://127.0.0.1:8000/zwgk/,,")
    with pytest.raises(RegistryError, match="127.0.0.1 is not"):
        load_registry(unnamed)


# --- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize("row,message", [
    ("35012,平潭县,福建省,福州市,trs,https://www.pingtan.gov.cn/,,", "not a 6-digit"),
    ("35012a,平潭县,福建省,福州市,trs,https://www.pingtan.gov.cn/,,", "not a 6-digit"),
    ("350128,平潭县,福建省,福州市,wordpress,https://www.pingtan.gov.cn/,,", "unknown platform 'wordpress'"),
    ("350128,平潭县,福建省,福州市,trs,www.pingtan.gov.cn/zwgk/,,", "not an absolute http"),
    ("350128,,福建省,福州市,trs,https://www.pingtan.gov.cn/,,", "empty name"),
    ("350128,平潭县,福建省,福州市,trs,https://saintpaulhem.com/zwgk/,,", "not \\*.gov.cn"),
])
def test_bad_rows_name_file_line_and_reason(tmp_path, row, message):
    path = write(tmp_path, "130533,威县,河北省,邢台市,generic,http://www.weixian.gov.cn/,,", row)
    with pytest.raises(RegistryError, match=message) as err:
        read_registry(path)
    assert f"{path}:3" in str(err.value)


def test_off_gov_host_is_accepted_when_named(tmp_path):
    path = write(tmp_path, "350128,平潭县,福建省,福州市,generic,https://news.pingtan-media.cn/nb/,news.pingtan-media.cn,")
    (portal,) = read_registry(path)
    assert portal.allowed_hosts == ("news.pingtan-media.cn",)


def test_duplicate_codes_are_an_error(tmp_path):
    row = "130533,威县,河北省,邢台市,generic,http://www.weixian.gov.cn/,,"
    with pytest.raises(RegistryError, match="already on line 2"):
        read_registry(write(tmp_path, row, row))


def test_missing_columns_and_missing_file(tmp_path):
    with pytest.raises(RegistryError, match="missing column"):
        read_registry(write(tmp_path, "350128,平潭县", header="code,name"))
    with pytest.raises(RegistryError, match="not found"):
        read_registry(tmp_path / "nope.csv")


def test_blank_and_commented_rows_are_skipped(tmp_path):
    path = write(tmp_path, "", "#350128,平潭县,福建省,福州市,trs,https://www.pingtan.gov.cn/,,",
                 "130533,威县,河北省,邢台市,generic,http://www.weixian.gov.cn/,,")
    assert [p.code for p in read_registry(path)] == ["130533"]


def test_default_path_is_the_packaged_file():
    assert DEFAULT_PATH.name == "registry.csv" and DEFAULT_PATH.is_file()
