"""Tests for the deterministic demo geography of 兰溪市 (no Django needed)."""

from puhui.demo.geography import CITY_CODE, CITY_NAME, lanxi_townships

EXPECTED = [
    ("330781001", "兰江街道"),
    ("330781002", "云山街道"),
    ("330781003", "上华街道"),
    ("330781004", "永昌街道"),
    ("330781005", "赤溪街道"),
    ("330781006", "女埠街道"),
    ("330781101", "游埠镇"),
    ("330781102", "诸葛镇"),
    ("330781103", "黄店镇"),
    ("330781104", "香溪镇"),
    ("330781105", "马涧镇"),
    ("330781106", "梅江镇"),
    ("330781107", "横溪镇"),
    ("330781200", "灵洞乡"),
    ("330781201", "柏社乡"),
    ("330781202", "水亭畲族乡"),
]


def _villages(townships):
    return [v for t in townships for v in t.villages]


def test_city_constants():
    assert CITY_CODE == "330781"
    assert CITY_NAME == "兰溪市"


def test_townships_names_codes_and_kinds():
    townships = lanxi_townships()
    assert [(t.code, t.name) for t in townships] == EXPECTED
    for t in townships:
        expected_kind = {"街道": "street", "镇": "town", "乡": "township"}[
            "街道" if t.name.endswith("街道") else t.name[-1]
        ]
        assert t.kind == expected_kind
        assert len(t.villages) >= 8


def test_village_count():
    assert 330 <= len(_villages(lanxi_townships())) <= 350


def test_codes_valid_unique_and_sorted():
    townships = lanxi_townships()
    codes = []
    for t in townships:
        t_codes = [v.code for v in t.villages]
        assert t_codes == sorted(t_codes)
        for code in t_codes:
            assert len(code) == 12 and code.isdigit()
            assert code.startswith(t.code)
        codes.extend(t_codes)
    assert len(codes) == len(set(codes))


def test_names_unique_and_suffixes():
    villages = _villages(lanxi_townships())
    names = [v.name for v in villages]
    assert len(names) == len(set(names))
    for v in villages:
        if v.is_rural:
            assert v.name.endswith("村")
            assert v.code[9] == "2"
        else:
            assert v.name.endswith("社区")
            assert v.code[9] == "0"


def test_totals_in_range():
    villages = _villages(lanxi_townships())
    population = sum(v.population for v in villages)
    households = sum(v.households for v in villages)
    assert 650_000 <= population <= 670_000
    assert 195_000 <= households <= 205_000
    for v in villages:
        assert v.households >= 1
        assert v.population >= v.households


def test_deterministic():
    assert lanxi_townships() == lanxi_townships()
    assert lanxi_townships(7) == lanxi_townships(7)


def test_communities_not_rural():
    townships = lanxi_townships()
    communities = [v for v in _villages(townships) if v.name.endswith("社区")]
    assert communities
    assert all(not v.is_rural for v in communities)
    # streets have several communities; towns/townships at most two
    for t in townships:
        n_comm = sum(1 for v in t.villages if not v.is_rural)
        if t.kind == "street":
            assert n_comm >= 2
        else:
            assert n_comm <= 2
