"""The catalogue and the 2016–2020 targets come with the migration, with the seed plan's numbers."""

from decimal import Decimal

import pytest

from puhui.kpi.models import Indicator, Plan, Target

YI = 100_000_000
WAN = 10_000
PLAN = "2016–2020 普惠金融五年行动计划"

# (code, year) → target value: percent as a fraction, money in yuan, customers in households.
EXPECTED = {
    ("ZC1", 2017): Decimal("0.05"),
    ("ZC1", 2018): Decimal("0.80"),
    ("ZC1", 2020): Decimal("1"),
    ("ZC2", 2017): Decimal("0.90"),
    ("ZC2", 2018): Decimal("0.90"),
    ("ZC2", 2020): Decimal("0.95"),
    ("ZC3", 2017): Decimal("0.70"),
    ("ZC3", 2018): Decimal("0.70"),
    ("ZC3", 2020): Decimal("0.80"),
    ("ZC4", 2017): Decimal("0.50"),
    ("ZC4", 2018): Decimal("0.50"),
    ("ZC4", 2020): Decimal("0.60"),
    ("XY1", 2020): Decimal("0.80"),
    ("XY2", 2020): Decimal("0.70"),
    ("XY3", 2020): Decimal("0.40"),
    ("DK1", 2020): Decimal(1_500_000_000),
    ("DK2", 2020): Decimal(9_500_000_000),
    ("DK3", 2020): Decimal(100_000_000),
    ("DK4", 2020): Decimal(1_300_000_000),
    ("DK4C", 2020): Decimal(20_000),
    ("DK5", 2020): Decimal(5_000_000_000),
    ("DK5C", 2020): Decimal(30_000),
    ("DK6", 2020): Decimal(7_500_000_000),
    ("DK6C", 2020): Decimal(10_000),
    ("DK7", 2020): Decimal(500_000_000),
    ("DK8", 2020): Decimal(400_000_000),
    ("DK9", 2020): None,  # 不高于2015年末水平: the bank enters the end-2015 balance
    ("QD1", 2020): Decimal("0.80"),
    ("QD2", 2020): Decimal("0.30"),
    ("QD3", 2020): Decimal(40_000),
    ("QD4", 2020): Decimal(15_000),
    ("QD5", 2020): Decimal("0.40"),
    ("SB1", 2018): Decimal("0.95"),
    ("SB2", 2018): Decimal("0.60"),
    ("SB3", 2018): Decimal("0.50"),
    ("JC1", 2020): Decimal("1"),
    ("JC2", 2020): Decimal(100_000_000),
}
UNITS = {
    "percent": {"ZC1", "ZC2", "ZC3", "ZC4", "XY1", "XY2", "XY3", "QD1", "QD2", "QD5", "SB1", "SB2", "SB3", "JC1"},
    "yuan": {"DK1", "DK2", "DK3", "DK4", "DK5", "DK6", "DK7", "DK8", "DK9", "JC2"},
    "households": {"DK4C", "DK5C", "DK6C", "QD3", "QD4"},
}
INTERNAL = {"ZC1", "ZC2", "ZC3", "ZC4", "XY1", "XY2", "XY3", "QD2", "JC1"}


@pytest.mark.django_db
def test_every_target_of_the_plan_with_its_number_and_year():
    plan = Plan.objects.get(name=PLAN)
    assert (plan.start_year, plan.end_year) == (2016, 2020)
    got = {(t.indicator.code, t.year): t.value for t in Target.objects.filter(plan=plan).select_related("indicator")}
    assert got == EXPECTED
    assert set(Target.objects.values_list("scope", flat=True)) == {"city"}
    assert Target.objects.get(indicator__code="ZC1", year=2017).note  # every township ≥ 1 pilot
    assert Target.objects.get(indicator__code="DK9").note


@pytest.mark.django_db
def test_catalogue_codes_units_sources_and_comparisons():
    indicators = {i.code: i for i in Indicator.objects.all()}
    assert set(indicators) == {code for code, _year in EXPECTED}
    for unit, codes in UNITS.items():
        assert {c for c, i in indicators.items() if i.unit == unit} == codes
    assert {c for c, i in indicators.items() if i.source == "internal"} == INTERNAL
    assert {c for c, i in indicators.items() if i.source == "imported"} == {
        "DK2", "DK6", "DK6C", "DK9", "QD1", "QD3", "QD4", "QD5", "SB1", "SB2", "SB3", "JC2"
    }  # fmt: skip
    assert [c for c, i in indicators.items() if i.comparison == "at_most"] == ["DK9"]
    assert all(i.comparison == "at_least" for c, i in indicators.items() if c != "DK9")
    assert all(i.scopes and set(i.scopes) <= {"city", "township", "branch", "village"} for i in indicators.values())
    assert all(i.name_zh and i.name_en and i.definition for i in indicators.values())
    ordering = [i.ordering for i in Indicator.objects.all()]
    assert len(set(ordering)) == len(ordering)


def test_a_flushed_database_gets_the_catalogue_again(world, api_client):
    Target.objects.all().delete()
    Plan.objects.all().delete()
    Indicator.objects.all().delete()
    response = api_client(world.users["head_office"]).get("/api/v1/kpis", {"scope": "city", "date": "2020-12-31"})
    assert response.status_code == 200
    assert {row["code"] for row in response.json()} == {i.code for i in Indicator.objects.all() if "city" in i.scopes}
    assert Target.objects.count() == len(EXPECTED)
