"""Dashboard reads (kpi.dashboard): state and projection rules, grouped ZC figures equal to kpi_values, trend with
the target line, township ranking in scope, and the households behind a village's gap."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from puhui.credit.models import CreditLine
from puhui.deliberation.models import Proposal, Round, RoundHousehold
from puhui.households.models import Household, Person
from puhui.kpi import dashboard
from puhui.kpi import selectors as kpi_selectors
from puhui.kpi.models import Indicator, KpiSnapshot
from puhui.org import roles
from puhui.org.models import Village
from tests.kpi.fixtures import campaign, populate

D = datetime.date
AT_LEAST, AT_MOST = Indicator.Comparison.AT_LEAST, Indicator.Comparison.AT_MOST
DATE = D(2018, 6, 30)


# ---- pure rules -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "value", "target", "projection", "state"),
    [
        (AT_LEAST, "0.80", "0.80", None, "met"),
        (AT_LEAST, "0.72", "0.80", None, "at_risk"),  # exactly 10 % of the target short: still at risk
        (AT_LEAST, "0.7199", "0.80", None, "behind"),
        (AT_LEAST, "0.50", "0.80", "0.80", "at_risk"),  # far short, but on pace
        (AT_LEAST, "0.50", "0.80", "0.79", "behind"),
        (AT_MOST, "100", "100", None, "met"),
        (AT_MOST, "110", "100", None, "at_risk"),
        (AT_MOST, "111", "100", None, "behind"),
        (AT_MOST, "150", "100", "99", "at_risk"),
        (AT_LEAST, None, "0.80", None, "none"),
        (AT_LEAST, "0.50", None, None, "none"),
    ],
)
def test_state_rule(comparison, value, target, projection, state):
    as_decimal = lambda text: None if text is None else Decimal(text)  # noqa: E731
    got = dashboard.indicator_state(comparison, as_decimal(value), as_decimal(target), as_decimal(projection))
    assert got == state


def test_the_margin_is_a_parameter():
    assert dashboard.indicator_state(AT_LEAST, Decimal("0.75"), Decimal("0.80"), None, Decimal("0.05")) == "behind"
    assert dashboard.indicator_state(AT_LEAST, Decimal("0.76"), Decimal("0.80"), None, Decimal("0.05")) == "at_risk"


def test_gap_is_the_shortfall_and_zero_once_met():
    assert dashboard.indicator_gap(AT_LEAST, Decimal("0.6"), Decimal("0.8")) == Decimal("0.2")
    assert dashboard.indicator_gap(AT_LEAST, Decimal("0.9"), Decimal("0.8")) == 0
    assert dashboard.indicator_gap(AT_MOST, Decimal("120"), Decimal("100")) == Decimal("20")
    assert dashboard.indicator_gap(AT_MOST, Decimal("90"), Decimal("100")) == 0
    assert dashboard.indicator_gap(AT_LEAST, None, Decimal("1")) is None


def test_projection_is_linear_at_the_current_pace():
    # +0.10 in 50 days; 184 days left to 31 Dec 2018: 0.50 + 0.10 × 184 / 50 = 0.868
    got = dashboard.indicator_projection(
        unit="percent", value=Decimal("0.5"), date=DATE, earliest=(D(2018, 5, 11), Decimal("0.4")), target_year=2018
    )
    assert got == Decimal("0.8680")
    amount = dashboard.indicator_projection(
        unit="yuan", value=Decimal("1000"), date=DATE, earliest=(D(2018, 5, 11), Decimal("900")), target_year=2018
    )
    assert amount == Decimal("1368")


def test_projection_is_kept_within_bounds_and_needs_history():
    rising = dashboard.indicator_projection(
        unit="percent", value=Decimal("0.9"), date=DATE, earliest=(D(2018, 4, 1), Decimal("0.1")), target_year=2020
    )
    assert rising == Decimal("1.0000")
    falling = dashboard.indicator_projection(
        unit="households", value=Decimal("10"), date=DATE, earliest=(D(2018, 4, 1), Decimal("500")), target_year=2020
    )
    assert falling == 0
    too_short = dashboard.indicator_projection(
        unit="percent", value=Decimal("0.5"), date=DATE, earliest=(D(2018, 6, 25), Decimal("0.4")), target_year=2020
    )
    assert too_short is None
    past = dashboard.indicator_projection(
        unit="percent", value=Decimal("0.5"), date=DATE, earliest=(D(2018, 1, 1), Decimal("0.4")), target_year=2017
    )
    assert past is None
    assert (
        dashboard.indicator_projection(unit="percent", value=None, date=DATE, earliest=None, target_year=2020) is None
    )


def test_number_format_and_groups():
    assert dashboard.number_format(Decimal("0.9123"), "percent") == "91.2%"
    assert dashboard.number_format(None, "percent") == "—"
    assert dashboard.number_format(Decimal("20000"), "households") == "20,000"
    assert "15.00" in dashboard.number_format(Decimal("1500000000"), "yuan")
    assert [dashboard.group_of(c) for c in ("ZC3", "XY1", "DK4C", "QD2", "SB1", "JC2")] == [
        "ZC",
        "XY",
        "XY",
        "QD",
        "SB",
        "JC",
    ]


# ---- figures over the fixture world -----------------------------------------------------------------------


@pytest.fixture
def data(world):
    return data_make(world)


def data_make(world):
    head = world.users[roles.HEAD_OFFICE]
    campaign(world.village_mine, D(2017, 5, 1), head)
    campaign(world.village_out, D(2018, 3, 1), head)
    populate(world, world.village_mine, world.grid_mine, 12, prefix="M", start=D(2017, 7, 3))
    populate(world, world.village_other, world.village_other.grids.get(), 4, prefix="O", start=D(2017, 9, 1))
    populate(world, world.village_out, world.village_out.grids.get(), 7, prefix="X", start=D(2018, 4, 1))
    return world


@pytest.mark.parametrize("date", [D(2017, 6, 1), D(2017, 12, 31), D(2018, 6, 30), D(2019, 6, 30)])
def test_grouped_zc_equal_kpi_values_per_township_and_village(data, date):
    head = data.users[roles.HEAD_OFFICE]

    by_township = dashboard.zc_grouped(villages=Village.objects.all(), date=date, by="township_id")
    by_village = dashboard.zc_grouped(villages=Village.objects.all(), date=date, by="pk")
    for township in (data.township_in, data.township_out):
        values = {
            v.code: v.value for v in kpi_selectors.kpi_values(user=head, scope=f"township:{township.code}", date=date)
        }
        assert by_township[township.pk] == {code: values[code] for code in dashboard.ZC_CODES}
    for village in (data.village_mine, data.village_other, data.village_out):
        values = {
            v.code: v.value for v in kpi_selectors.kpi_values(user=head, scope=f"village:{village.code}", date=date)
        }
        # ZC1 is not a village indicator: per village it says whether the campaign was launched (1) or not (0)
        assert {c: by_village[village.pk][c] for c in ("ZC2", "ZC3", "ZC4")} == {
            c: values[c] for c in ("ZC2", "ZC3", "ZC4")
        }
        launched = village.campaigns.filter(launched_on__lte=date).exists()
        assert by_village[village.pk]["ZC1"] == Decimal(1 if launched else 0)


def test_ranking_orders_townships_and_keeps_to_scope(data):
    head = data.users[roles.HEAD_OFFICE]
    ranking = dashboard.township_ranking(user=head, date=DATE, targets={}, rank_by="ZC3")
    values = [row["figures"]["ZC3"] for row in ranking]
    assert values == sorted(values, reverse=True)
    assert [row["rank"] for row in ranking] == [1, 2]
    branch = dashboard.township_ranking(user=data.users[roles.BRANCH_MANAGER], date=DATE, targets={})
    assert [row["code"] for row in branch] == [data.township_in.code]


def test_ranking_cells_carry_the_state_against_the_target(data):
    head = data.users[roles.HEAD_OFFICE]
    rows = dashboard.dashboard_rows(user=head, scope="city", date=DATE)
    targets = dashboard.zc_targets(rows)
    ranking = dashboard.township_ranking(user=head, date=DATE, targets=targets)
    for row in ranking:
        for cell in row["cells"]:
            target = targets[cell["code"]]["target"]
            expected = dashboard.indicator_state(AT_LEAST, cell["value"], target, None)
            assert cell["state"] == expected


def test_dashboard_rows_use_snapshots_for_the_projection(data):
    head = data.users[roles.HEAD_OFFICE]
    zc3 = Indicator.objects.get(code="ZC3")
    live = {r.code: r for r in kpi_selectors.kpi_values(user=head, scope="city", date=DATE)}["ZC3"]
    KpiSnapshot.objects.create(date=D(2018, 3, 1), scope="city", indicator=zc3, value=Decimal("0.0001"))  # outside
    KpiSnapshot.objects.create(date=D(2018, 4, 1), scope="city", indicator=zc3, value=live.value - Decimal("0.0020"))
    KpiSnapshot.objects.create(date=D(2018, 5, 1), scope="city", indicator=zc3, value=live.value - Decimal("0.0010"))
    rows = {row.code: row for row in dashboard.dashboard_rows(user=head, scope="city", date=DATE)}
    row = rows["ZC3"]
    assert row.value == live.value and row.target == live.target == Decimal("0.7000")
    days_left = (D(2018, 12, 31) - DATE).days
    expected = live.value + Decimal("0.0020") * days_left / (DATE - D(2018, 4, 1)).days
    assert row.projection == expected.quantize(Decimal("0.0001"))
    assert row.state == dashboard.indicator_state(AT_LEAST, row.value, row.target, row.projection)
    assert rows["ZC1"].projection is None  # no snapshot of ZC1
    assert [g["key"] for g in dashboard.rows_grouped(list(rows.values()))][0] == "ZC"


def test_series_has_the_target_of_each_date(data):
    head = data.users[roles.HEAD_OFFICE]
    zc1 = Indicator.objects.get(code="ZC1")
    for day, value in ((D(2017, 12, 31), "0.30"), (D(2018, 1, 2), "0.40"), (D(2018, 7, 1), "0.9")):
        KpiSnapshot.objects.create(date=day, scope="city", indicator=zc1, value=Decimal(value))
    series = dashboard.indicator_series(user=head, scope="city", code="ZC1", date=DATE)
    assert series["dates"] == ["2017-12-31", "2018-01-02"]  # not after the date
    assert series["values"] == ["0.3000", "0.4000"]
    assert series["targets"] == ["0.0500", "0.8000"]  # 2017 ≥ 5 %, 2018 ≥ 80 %
    assert series["unit"] == "percent"
    assert dashboard.indicator_series(user=head, scope="city", code="NOPE", date=DATE) is None


def test_series_keeps_to_scope(data):
    branch = data.users[roles.BRANCH_MANAGER]
    with pytest.raises(PermissionDenied):
        dashboard.indicator_series(user=branch, scope="city", code="ZC1", date=DATE)
    with pytest.raises(Http404):
        dashboard.indicator_series(user=branch, scope=f"township:{data.township_out.code}", code="ZC1", date=DATE)
    mine = dashboard.indicator_series(user=branch, scope=f"township:{data.township_in.code}", code="ZC1", date=DATE)
    assert mine["dates"] == []


def test_city_data_has_everything_the_page_shows(data):
    got = dashboard.dashboard_city_data(user=data.users[roles.HEAD_OFFICE], date=DATE, rank_by="ZC2")
    assert {"rows", "groups", "counts", "ranking", "ranking_chart", "trend", "rank_by"} <= set(got)
    assert sum(got["counts"].values()) == len(got["rows"])
    assert got["ranking_chart"]["names"] == [row["name"] for row in got["ranking"]]
    assert all(isinstance(v, str | None) for s in got["ranking_chart"]["series"] for v in s["values"])


# ---- the households behind a gap --------------------------------------------------------------------------


@pytest.fixture
def gap_village(world):
    """Six households of 诸葛村, one per case; the head names are three characters long."""
    head = world.users[roles.HEAD_OFFICE]
    camp = campaign(world.village_mine, D(2017, 5, 1), head)
    round_ = Round.objects.create(campaign=camp, number=1, opened_on=D(2017, 6, 1), opened_by=head)
    late = Round.objects.create(campaign=camp, number=2, opened_on=D(2019, 1, 1), opened_by=head)
    made = {}
    for key, completeness in (
        ("incomplete", 60),
        ("uncollected_member", 100),
        ("never_evaluated", 100),
        ("passed_no_line", 100),
        ("granted", 100),
        ("proposed_only", 100),
        ("late_round", 100),
    ):
        h = Household.objects.create(
            village=world.village_mine, grid=world.grid_mine, number=key.upper()[:10], completeness=completeness
        )
        Person.objects.create(household=h, relation="head", name=f"王{key[:1]}明", is_collected=True)
        made[key] = h
    Person.objects.create(household=made["uncollected_member"], relation="child", name="王小", is_collected=False)
    entries = {
        key: RoundHousehold.objects.create(round=round_, household=made[key], outcome=outcome)
        for key, outcome in (
            ("incomplete", "pending"),
            ("uncollected_member", "vetoed"),
            ("passed_no_line", "passed"),
            ("granted", "passed"),
            ("proposed_only", "pending"),
        )
    }
    RoundHousehold.objects.create(round=late, household=made["late_round"])
    borrower = made["granted"].members.get()
    CreditLine.objects.create(
        household=made["granted"],
        borrower=borrower,
        limit_fen=10_000_000,
        grade="AA",
        rate=Decimal("4.85"),
        start_date=D(2017, 7, 1),
        end_date=D(2020, 7, 1),
        status="active",
    )
    proposal = Proposal.objects.create(
        campaign=camp,
        household=made["proposed_only"],
        entry=entries["proposed_only"],
        screen="white",
        status="proposed",
    )
    # another account manager's household in the next village: never listed for 诸葛村
    other = Household.objects.create(village=world.village_other, grid=world.village_other.grids.get(), number="OTHER")
    Person.objects.create(household=other, relation="head", name="李四", is_collected=False)
    return world, made, proposal


def _numbers(entry):
    return {row["number"] for row in entry["rows"]}


def test_the_three_lists(gap_village):
    world, made, proposal = gap_village
    lists = dashboard.village_gap_households(user=world.users[roles.HEAD_OFFICE], village=world.village_mine, date=DATE)
    number = {key: h.number for key, h in made.items()}
    assert _numbers(lists["uncollected"]) == {number["incomplete"], number["uncollected_member"]}
    assert _numbers(lists["unevaluated"]) == {number["never_evaluated"], number["late_round"]}
    assert _numbers(lists["ungranted"]) == {number["passed_no_line"], number["proposed_only"]}
    assert {key: entry["count"] for key, entry in lists.items()} == {"uncollected": 2, "unevaluated": 2, "ungranted": 2}
    proposed = next(r for r in lists["ungranted"]["rows"] if r["number"] == number["proposed_only"])
    assert proposed["proposal_id"] == proposal.pk
    assert proposed["head"] == "王*明"  # masked
    partly = next(r for r in lists["uncollected"]["rows"] if r["number"] == number["uncollected_member"])
    assert (partly["collected"], partly["members"]) == (1, 2)
    # after the late round opened, that household counts as evaluated
    later = dashboard.village_gap_households(
        user=world.users[roles.HEAD_OFFICE], village=world.village_mine, date=D(2019, 1, 1)
    )
    assert _numbers(later["unevaluated"]) == {number["never_evaluated"]}


def test_lists_are_limited_but_counted(gap_village, monkeypatch):
    world, _made, _proposal = gap_village
    monkeypatch.setattr(dashboard, "LIST_LIMIT", 1)
    lists = dashboard.village_gap_households(user=world.users[roles.HEAD_OFFICE], village=world.village_mine, date=DATE)
    assert lists["uncollected"]["count"] == 2 and len(lists["uncollected"]["rows"]) == 1


def test_lists_keep_to_the_users_households(gap_village):
    world, _made, _proposal = gap_village
    other_manager = world.village_other.grids.get().account_manager
    lists = dashboard.village_gap_households(user=other_manager, village=world.village_mine, date=DATE)
    assert all(entry["count"] == 0 for entry in lists.values())
