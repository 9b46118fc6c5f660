"""评级定额: scorecard bands, grade boundaries, limit and its binding constraint, LPR table, then properties."""

import datetime
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.deliberation.rating import (
    DEFAULT_GRADES,
    DEFAULT_SCORECARD,
    DEFAULT_TERMS,
    ITEMS,
    LIMIT_BELOW_MINIMUM,
    LIMIT_BY_CAPACITY,
    LIMIT_BY_GRADE_CAP,
    LIMIT_BY_PANEL,
    NO_GRADE,
    Band,
    Grade,
    GradeTerms,
    Limit,
    NoLprError,
    RatingInput,
    RepaymentHistory,
    Scorecard,
    Terms,
    capacity_fen,
    credit_limit,
    grade_for,
    lpr_on,
    rate_household,
    rate_percent,
    score_items,
)

D = datetime.date
Y = 100  # fen per yuan
AAA, AA, A = Grade.AAA, Grade.AA, Grade.A

# The household of the worked example: village medians 200,000 yuan of assets and 50,000 yuan of income.
BASE = {
    "household_size": 4,
    "working_members": 2,
    "total_assets_fen": 300_000 * Y,
    "debts_fen": 50_000 * Y,
    "net_income_fen": 80_000 * Y,
    "shareholding_fen": 0,
    "repayment_history": "clean",
    "village_median_assets_fen": 200_000 * Y,
    "village_median_income_fen": 50_000 * Y,
    "panel_score": Decimal("26.67"),
    "panel_amount_fen": 150_000 * Y,
}


def facts(**overrides) -> RatingInput:
    return RatingInput(**(BASE | overrides))


def item(items, name):
    return next(line for line in items if line.item == name)


def test_worked_example():
    rating = rate_household(facts(), Decimal("3.45"))
    assert rating.items == (
        ("household_size", 8, "household_size_3_5"),
        ("working_members", 7, "working_2"),
        ("assets_vs_median", 13, "assets_ge_1_5x_median"),  # 300,000 ÷ 200,000 = 1.5
        ("net_assets", 11, "net_assets_200k_to_500k"),  # 250,000 yuan
        ("bank_shareholding", 0, "shareholding_none"),
        ("income_vs_median", 14, "income_ge_1_5x_median"),  # 80,000 ÷ 50,000 = 1.6
        ("panel_score", Decimal("26.67"), "panel_score"),
        ("repayment_history", 10, "repayment_clean"),
    )
    assert rating.score == Decimal("89.67")
    assert rating.grade is AAA
    # cap 300,000; panel 150,000; capacity 2 × 80,000 + 10 % × 250,000 = 185,000
    assert rating.limit == Limit(150_000 * Y, LIMIT_BY_PANEL, LIMIT_BY_PANEL, 300_000 * Y, 150_000 * Y, 185_000 * Y)
    assert rating.rate_percent == Decimal("3.95")


# (item, overrides, points, reason)
BANDS = [
    ("household_size", {"household_size": 1, "working_members": 1}, 2, "household_size_1"),
    ("household_size", {"household_size": 2}, 5, "household_size_2"),
    ("household_size", {"household_size": 3}, 8, "household_size_3_5"),
    ("household_size", {"household_size": 5}, 8, "household_size_3_5"),
    ("household_size", {"household_size": 6}, 6, "household_size_ge_6"),
    ("household_size", {"household_size": 12}, 6, "household_size_ge_6"),
    ("working_members", {"working_members": 0}, 0, "working_none"),
    ("working_members", {"working_members": 1}, 4, "working_1"),
    ("working_members", {"working_members": 2}, 7, "working_2"),
    ("working_members", {"working_members": 3}, 8, "working_ge_3"),
    ("working_members", {"working_members": 4}, 8, "working_ge_3"),
    ("assets_vs_median", {"total_assets_fen": 0}, 3, "assets_lt_0_5x_median"),
    ("assets_vs_median", {"total_assets_fen": 100_000 * Y - 1}, 3, "assets_lt_0_5x_median"),
    ("assets_vs_median", {"total_assets_fen": 100_000 * Y}, 7, "assets_0_5x_to_1x_median"),
    ("assets_vs_median", {"total_assets_fen": 200_000 * Y - 1}, 7, "assets_0_5x_to_1x_median"),
    ("assets_vs_median", {"total_assets_fen": 200_000 * Y}, 10, "assets_1x_to_1_5x_median"),
    ("assets_vs_median", {"total_assets_fen": 300_000 * Y - 1}, 10, "assets_1x_to_1_5x_median"),
    ("assets_vs_median", {"total_assets_fen": 300_000 * Y}, 13, "assets_ge_1_5x_median"),
    ("assets_vs_median", {"total_assets_fen": 10**12}, 13, "assets_ge_1_5x_median"),
    ("net_assets", {"total_assets_fen": 0, "debts_fen": 1}, 0, "net_assets_negative"),
    ("net_assets", {"total_assets_fen": 100_000 * Y, "debts_fen": 400_000 * Y}, 0, "net_assets_negative"),
    ("net_assets", {"total_assets_fen": 0, "debts_fen": 0}, 4, "net_assets_lt_50k"),
    ("net_assets", {"total_assets_fen": 50_000 * Y - 1, "debts_fen": 0}, 4, "net_assets_lt_50k"),
    ("net_assets", {"total_assets_fen": 50_000 * Y, "debts_fen": 0}, 8, "net_assets_50k_to_200k"),
    ("net_assets", {"total_assets_fen": 250_000 * Y - 1}, 8, "net_assets_50k_to_200k"),  # debts 50,000
    ("net_assets", {"total_assets_fen": 250_000 * Y}, 11, "net_assets_200k_to_500k"),
    ("net_assets", {"total_assets_fen": 550_000 * Y - 1}, 11, "net_assets_200k_to_500k"),
    ("net_assets", {"total_assets_fen": 550_000 * Y}, 13, "net_assets_ge_500k"),
    ("bank_shareholding", {"shareholding_fen": 0}, 0, "shareholding_none"),
    ("bank_shareholding", {"shareholding_fen": 1}, 2, "shareholding_lt_10k"),
    ("bank_shareholding", {"shareholding_fen": 10_000 * Y - 1}, 2, "shareholding_lt_10k"),
    ("bank_shareholding", {"shareholding_fen": 10_000 * Y}, 4, "shareholding_ge_10k"),
    ("income_vs_median", {"net_income_fen": -1}, 0, "income_negative"),
    ("income_vs_median", {"net_income_fen": 0}, 3, "income_lt_0_5x_median"),
    ("income_vs_median", {"net_income_fen": 25_000 * Y - 1}, 3, "income_lt_0_5x_median"),
    ("income_vs_median", {"net_income_fen": 25_000 * Y}, 7, "income_0_5x_to_1x_median"),
    ("income_vs_median", {"net_income_fen": 50_000 * Y - 1}, 7, "income_0_5x_to_1x_median"),
    ("income_vs_median", {"net_income_fen": 50_000 * Y}, 11, "income_1x_to_1_5x_median"),
    ("income_vs_median", {"net_income_fen": 75_000 * Y - 1}, 11, "income_1x_to_1_5x_median"),
    ("income_vs_median", {"net_income_fen": 75_000 * Y}, 14, "income_ge_1_5x_median"),
    ("panel_score", {"panel_score": Decimal(0)}, 0, "panel_score"),
    ("panel_score", {"panel_score": Decimal("23.33")}, Decimal("23.33"), "panel_score"),
    ("panel_score", {"panel_score": 30}, 30, "panel_score"),
    ("repayment_history", {"repayment_history": "clean"}, 10, "repayment_clean"),
    ("repayment_history", {"repayment_history": "no_history"}, 6, "repayment_no_history"),
    ("repayment_history", {"repayment_history": "settled_overdue"}, 3, "repayment_settled_overdue"),
    ("repayment_history", {"repayment_history": RepaymentHistory.CURRENT_OVERDUE}, 0, "repayment_current_overdue"),
]


@pytest.mark.parametrize(("name", "overrides", "points", "reason"), BANDS)
def test_scorecard_bands(name, overrides, points, reason):
    assert item(score_items(facts(**overrides)), name) == (name, points, reason)


def test_default_weights():
    assert [DEFAULT_SCORECARD.weight(name) for name in ITEMS] == [8, 8, 13, 13, 4, 14, 30, 10]
    assert DEFAULT_SCORECARD.max_total == 100


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", AAA),
        ("85", AAA),
        ("85.00", AAA),
        ("84.99", AA),
        ("84", AA),
        ("75", AA),
        ("74.99", A),
        ("74", A),
        ("60", A),
        ("59.99", None),
        ("59", None),
        ("0", None),
    ],
)
def test_grade_boundaries(score, grade):
    assert grade_for(Decimal(score)) is grade


# Without the panel the worked example scores 63; with current overdue instead of clean, 53.
@pytest.mark.parametrize(
    ("overrides", "score", "grade"),
    [
        ({"panel_score": Decimal(22)}, "85", AAA),
        ({"panel_score": Decimal("21.99")}, "84.99", AA),
        ({"panel_score": Decimal(21)}, "84", AA),
        ({"panel_score": Decimal(12)}, "75", AA),
        ({"panel_score": Decimal(11)}, "74", A),
        ({"panel_score": Decimal(7), "repayment_history": "current_overdue"}, "60", A),
        ({"panel_score": Decimal("6.99"), "repayment_history": "current_overdue"}, "59.99", None),
        ({"panel_score": Decimal(6), "repayment_history": "current_overdue"}, "59", None),
    ],
)
def test_grade_boundaries_end_to_end(overrides, score, grade):
    rating = rate_household(facts(**overrides), Decimal("3.45"))
    assert (rating.score, rating.grade) == (Decimal(score), grade)
    assert (rating.rate_percent is None) is (grade is None)


CAP, PANEL, CAPACITY, BELOW = LIMIT_BY_GRADE_CAP, LIMIT_BY_PANEL, LIMIT_BY_CAPACITY, LIMIT_BELOW_MINIMUM

# (id, grade, panel yuan, net income yuan, net assets fen, limit yuan, reason, binding)
LIMITS = [
    ("capacity binds: 123,999 rounds down to 123,000", AA, 200_000, 60_000, 39_990 * Y, 123_000, CAPACITY, CAPACITY),
    ("capacity 123,999.99 rounds down to 123,000", AA, 200_000, 60_000, 3_999_990, 123_000, CAPACITY, CAPACITY),
    ("AAA is capped at 300,000", AAA, 500_000, 1_000_000, 5_000_000 * Y, 300_000, CAP, CAP),
    ("AA is capped at 200,000", AA, 500_000, 1_000_000, 0, 200_000, CAP, CAP),
    ("A is capped at 100,000", A, 500_000, 1_000_000, 0, 100_000, CAP, CAP),
    ("panel binds, rounded down", AAA, 150_500, 200_000, 0, 150_000, PANEL, PANEL),
    ("negative net assets contribute nothing", A, 100_000, 30_000, -50_000 * Y, 60_000, CAPACITY, CAPACITY),
    ("net assets 10 %", A, 100_000, 30_000, 50_000 * Y, 65_000, CAPACITY, CAPACITY),
    ("negative capacity is no credit", A, 50_000, -10_000, 100_000 * Y, 0, BELOW, CAPACITY),
    ("999.99 yuan is no credit", A, 50_000, 0, 999_990, 0, BELOW, CAPACITY),
    ("exactly 1,000 yuan is credit", A, 50_000, 0, 1_000_000, 1_000, CAPACITY, CAPACITY),
    ("a panel of 0 is no credit", AAA, 0, 100_000, 0, 0, BELOW, PANEL),
    ("tie of cap and panel names the cap", AA, 200_000, 1_000_000, 0, 200_000, CAP, CAP),
    ("tie of panel and capacity names the panel", AAA, 80_000, 40_000, 0, 80_000, PANEL, PANEL),
    ("no grade, no credit", None, 100_000, 100_000, 0, 0, NO_GRADE, None),
]


@pytest.mark.parametrize(
    ("grade", "panel", "income", "net_assets", "limit", "reason", "binding"),
    [c[1:] for c in LIMITS],
    ids=[c[0] for c in LIMITS],
)
def test_limit_cases(grade, panel, income, net_assets, limit, reason, binding):
    result = credit_limit(grade, panel * Y, income * Y, net_assets)
    assert (result.limit_fen, result.reason, result.binding) == (limit * Y, reason, binding)
    assert result.capacity_fen == capacity_fen(income * Y, net_assets)


@pytest.mark.parametrize(
    ("income", "net_assets", "expected"),
    [
        (60_000 * Y, 39_990 * Y, 123_999 * Y),
        (0, 19, 1),  # 10 % of 19 fen = 1.9 fen, floored
        (1, -(10**9), 2),
        (-1, 0, 0),
        (-100 * Y, 2_000 * Y, 0),  # -200 + 200 = 0
        (-100 * Y, 3_000 * Y, 100 * Y),
    ],
)
def test_capacity(income, net_assets, expected):
    assert capacity_fen(income, net_assets) == expected


def test_no_grade_cap_may_exceed_the_ceiling():
    with pytest.raises(ValueError, match="ceiling"):
        Terms(ceiling_fen=250_000 * Y)
    lower = (
        GradeTerms(AAA, Decimal(85), 250_000 * Y, Decimal("0.50")),
        *DEFAULT_GRADES[1:],
    )
    terms = Terms(grades=lower, ceiling_fen=250_000 * Y)
    assert credit_limit(AAA, 10**9, 10**9, 0, terms).limit_fen == 250_000 * Y


def test_custom_step_minimum_and_capacity():
    terms = Terms(step_fen=10_000 * Y, minimum_fen=20_000 * Y, income_multiple=3, net_assets_share=Decimal("0.2"))
    assert capacity_fen(10_000 * Y, 10_000 * Y, terms) == 32_000 * Y
    assert credit_limit(A, 100_000 * Y, 10_000 * Y, 10_000 * Y, terms).limit_fen == 30_000 * Y
    assert credit_limit(A, 19_999 * Y, 10_000 * Y, 10_000 * Y, terms).reason == LIMIT_BELOW_MINIMUM


@pytest.mark.parametrize(("grade", "rate"), [(AAA, "3.95"), (AA, "4.30"), (A, "4.65"), ("AA", "4.30")])
def test_rate_is_lpr_plus_the_grade_spread(grade, rate):
    assert rate_percent(grade, Decimal("3.45")) == Decimal(rate)


def test_no_rate_without_credit():
    no_grade = rate_household(facts(panel_score=Decimal(0), repayment_history="current_overdue"), Decimal("3.45"))
    assert (no_grade.grade, no_grade.limit.limit_fen, no_grade.limit.reason, no_grade.rate_percent) == (
        None,
        0,
        NO_GRADE,
        None,
    )
    tiny = rate_household(facts(panel_amount_fen=999 * Y), Decimal("3.45"))
    assert (tiny.grade, tiny.limit.limit_fen, tiny.rate_percent) == (AAA, 0, None)


# The published 1-year LPR (贷款市场报价利率), percent, by the day it took effect.
LPR = [
    (D(2019, 8, 20), Decimal("4.25")),
    (D(2019, 9, 20), Decimal("4.20")),
    (D(2019, 11, 20), Decimal("4.15")),
    (D(2020, 2, 20), Decimal("4.05")),
    (D(2020, 4, 20), Decimal("3.85")),
    (D(2021, 12, 20), Decimal("3.80")),
    (D(2022, 1, 20), Decimal("3.70")),
    (D(2022, 8, 22), Decimal("3.65")),
    (D(2023, 6, 20), Decimal("3.55")),
    (D(2023, 8, 21), Decimal("3.45")),
]


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (D(2019, 8, 20), "4.25"),  # the effective day itself
        (D(2019, 9, 19), "4.25"),  # the day before a change
        (D(2019, 9, 20), "4.20"),
        (D(2020, 12, 31), "3.85"),
        (D(2023, 8, 20), "3.55"),
        (D(2023, 8, 21), "3.45"),
        (D(2030, 1, 1), "3.45"),  # the last rate stays in force
    ],
)
def test_lpr_on(day, rate):
    assert lpr_on(LPR, day) == Decimal(rate)
    assert lpr_on(list(reversed(LPR)), day) == Decimal(rate)


def test_lpr_before_the_table_or_from_an_empty_table_is_an_error():
    with pytest.raises(NoLprError):
        lpr_on(LPR, D(2019, 8, 19))
    with pytest.raises(NoLprError):
        lpr_on([], D(2025, 1, 1))
    assert issubclass(NoLprError, LookupError)


def test_lpr_table_conflicts_and_floats_refused():
    assert lpr_on([*LPR, LPR[0]], D(2019, 8, 20)) == Decimal("4.25")  # a repeated row is harmless
    with pytest.raises(ValueError, match="two different"):
        lpr_on([*LPR, (D(2019, 8, 20), Decimal("4.30"))], D(2019, 9, 1))
    with pytest.raises(TypeError):
        lpr_on([(D(2019, 8, 20), 4.25)], D(2019, 9, 1))


# --- bad input and configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"total_assets_fen": 300_000.0 * Y}, TypeError),
        ({"net_income_fen": 1.5}, TypeError),
        ({"panel_amount_fen": Decimal(100)}, TypeError),
        ({"panel_score": 26.67}, TypeError),
        ({"panel_score": True}, TypeError),
        ({"household_size": True}, TypeError),
        ({"household_size": 0, "working_members": 0}, ValueError),
        ({"working_members": 5}, ValueError),
        ({"debts_fen": -1}, ValueError),
        ({"shareholding_fen": -1}, ValueError),
        ({"village_median_assets_fen": 0}, ValueError),
        ({"village_median_income_fen": 0}, ValueError),
        ({"panel_score": Decimal("-0.01")}, ValueError),
        ({"panel_score": Decimal("NaN")}, ValueError),
        ({"repayment_history": "perfect"}, ValueError),
    ],
)
def test_bad_input_refused(overrides, error):
    with pytest.raises(error):
        facts(**overrides)


def test_floats_refused_by_the_functions():
    with pytest.raises(TypeError):
        rate_household(facts(), 3.45)
    with pytest.raises(TypeError):
        rate_household(facts(panel_score=Decimal(0), repayment_history="current_overdue"), 3.45)  # even without credit
    with pytest.raises(TypeError):
        grade_for(84.99)
    with pytest.raises(TypeError):
        capacity_fen(1.0, 0)
    with pytest.raises(TypeError):
        credit_limit(AA, 100_000.0, 0, 0)
    with pytest.raises(TypeError):
        Terms(net_assets_share=0.1)
    with pytest.raises(TypeError):
        Band(0.5, 1, "half")


def test_panel_score_above_the_panel_weight_refused():
    with pytest.raises(ValueError, match="panel weight"):
        score_items(facts(panel_score=Decimal("30.01")))


def test_custom_scorecard():
    # The bank drops shareholding and gives its 4 points to the panel.
    card = Scorecard(bank_shareholding=(Band(None, 0, "shareholding_ignored"),), panel_max=34)
    items = score_items(facts(panel_score=Decimal(34), shareholding_fen=10**6), card)
    assert item(items, "bank_shareholding") == ("bank_shareholding", 0, "shareholding_ignored")
    assert sum(line.points for line in items) == 8 + 7 + 13 + 11 + 0 + 14 + 34 + 10


@pytest.mark.parametrize(
    "fields",
    [
        {"panel_max": 31},  # maxima sum to 101
        {"household_size": (Band(None, 2, "a"), Band(3, 8, "b"), Band(2, 5, "c"))},  # bounds not ascending
        {"household_size": (Band(1, 2, "a"), Band(2, 8, "b"))},  # first band has a bound
        {"household_size": ()},
        {"household_size": (Band(None, 2, "a"), Band(None, 8, "b"))},
        {"repayment_points": {"clean": 10, "no_history": 6, "settled_overdue": 3}},
        {"repayment_points": {"clean": 10, "no_history": 6, "settled_overdue": 3, "current_overdue": -1}},
    ],
)
def test_bad_scorecards_refused(fields):
    with pytest.raises(ValueError):
        Scorecard(**fields)


@pytest.mark.parametrize(
    "grades",
    [
        DEFAULT_GRADES[::-1],
        DEFAULT_GRADES[:2],
        (DEFAULT_GRADES[0], replace(DEFAULT_GRADES[1], min_score=Decimal(85)), DEFAULT_GRADES[2]),
    ],
)
def test_bad_grade_terms_refused(grades):
    with pytest.raises(ValueError):
        Terms(grades=grades)


@pytest.mark.parametrize(
    "fields",
    [{"min_score": Decimal(101)}, {"spread": Decimal("-0.1")}, {"cap_fen": 0}, {"grade": "AAAA"}],
)
def test_bad_grade_term_refused(fields):
    with pytest.raises(ValueError):
        replace(DEFAULT_GRADES[0], **fields)


def test_defaults_equal_fresh_instances():
    assert Scorecard() == DEFAULT_SCORECARD
    assert Terms() == DEFAULT_TERMS
    assert hash(Terms()) == hash(DEFAULT_TERMS)


# --- properties ---------------------------------------------------------------------------------------------

money = st.one_of(st.integers(0, 10**6), st.integers(0, 10**10))


@st.composite
def households(draw):
    size = draw(st.integers(1, 12))
    return RatingInput(
        household_size=size,
        working_members=draw(st.integers(0, size)),
        total_assets_fen=draw(money),
        debts_fen=draw(money),
        net_income_fen=draw(st.integers(-(10**8), 10**9)),
        shareholding_fen=draw(money),
        repayment_history=draw(st.sampled_from(list(RepaymentHistory))),
        village_median_assets_fen=draw(st.integers(1, 10**9)),
        village_median_income_fen=draw(st.integers(1, 10**8)),
        panel_score=draw(st.decimals(0, 30, places=2)),
        panel_amount_fen=draw(st.one_of(st.integers(0, 10**5), st.integers(0, 10**9))),
    )


lpr = st.decimals(Decimal("1.00"), Decimal("6.00"), places=2)


@given(households())
def test_score_is_the_sum_of_items_within_0_and_100(household):
    rating = rate_household(household, Decimal("3.45"))
    assert [line.item for line in rating.items] == list(ITEMS)
    assert rating.score == sum(line.points for line in rating.items)
    assert 0 <= rating.score <= 100
    for line in rating.items:
        assert 0 <= line.points <= DEFAULT_SCORECARD.weight(line.item)
    assert rating.grade is grade_for(rating.score)


@given(households(), lpr)
def test_limit_is_a_rounded_multiple_under_every_bound(household, lpr_percent):
    rating = rate_household(household, lpr_percent)
    limit = rating.limit
    assert limit.limit_fen % (1_000 * Y) == 0
    assert 0 <= limit.limit_fen <= 300_000 * Y
    assert limit.limit_fen == 0 or limit.limit_fen >= 1_000 * Y
    assert limit.limit_fen <= household.panel_amount_fen
    assert limit.limit_fen <= capacity_fen(household.net_income_fen, household.net_assets_fen)
    if rating.grade is None:
        assert (limit.limit_fen, limit.reason) == (0, NO_GRADE)
    else:
        assert limit.limit_fen <= DEFAULT_TERMS.of(rating.grade).cap_fen
        smallest = min(limit.grade_cap_fen, limit.panel_fen, limit.capacity_fen)
        assert limit.limit_fen == (smallest // (1_000 * Y) * (1_000 * Y) if smallest >= 1_000 * Y else 0)
        named = {LIMIT_BY_GRADE_CAP: limit.grade_cap_fen, LIMIT_BY_PANEL: limit.panel_fen}
        assert named.get(limit.binding, limit.capacity_fen) == smallest


@given(households(), lpr)
def test_rate_only_with_credit(household, lpr_percent):
    rating = rate_household(household, lpr_percent)
    if rating.limit.limit_fen:
        assert rating.rate_percent == lpr_percent + DEFAULT_TERMS.of(rating.grade).spread
    else:
        assert rating.rate_percent is None


@given(st.decimals(0, 100, places=2), st.decimals(0, 100, places=2))
def test_a_higher_score_never_gets_a_worse_grade(a, b):
    low, high = sorted((a, b))
    rank = {AAA: 3, AA: 2, A: 1, None: 0}
    assert rank[grade_for(low)] <= rank[grade_for(high)]


@given(st.integers(-(10**9), 10**9), st.integers(-(10**10), 10**10), st.integers(0, 10**6), st.integers(0, 10**7))
def test_capacity_is_never_negative_and_grows_with_income_and_net_assets(income, net_assets, more_income, more_assets):
    capacity = capacity_fen(income, net_assets)
    assert capacity >= 0
    assert capacity_fen(income + more_income, net_assets + more_assets) >= capacity
    assert capacity == max(0, int(2 * income + Fraction(max(net_assets, 0), 10) // 1))


@given(
    st.lists(st.tuples(st.dates(), st.decimals(Decimal("0.01"), Decimal("9.99"), places=2)), max_size=8),
    st.dates(),
    st.randoms(use_true_random=False),
)
def test_lpr_on_is_the_latest_effective_rate(rows, day, random):
    table = list({effective: rate for effective, rate in rows}.items())
    earlier = [(effective, rate) for effective, rate in table if effective <= day]
    shuffled = list(table)
    random.shuffle(shuffled)
    if not earlier:
        with pytest.raises(NoLprError):
            lpr_on(table, day)
    else:
        assert lpr_on(table, day) == lpr_on(shuffled, day) == max(earlier)[1]


def test_codes_and_ints_become_enums_and_decimals():
    converted = facts(repayment_history="settled_overdue", panel_score=26)
    assert converted == facts(repayment_history=RepaymentHistory.SETTLED_OVERDUE, panel_score=Decimal(26))
    assert type(converted.repayment_history) is RepaymentHistory
    assert type(converted.panel_score) is Decimal
    assert rate_household(converted, 3) == rate_household(converted, Decimal(3))


def exact_band(value: Fraction, bands) -> Band:
    """The rule as written: the last band whose lower bound the value reaches."""
    return next(band for band in reversed(bands) if band.at_least is None or value >= band.at_least)


bounds = st.lists(st.fractions(-3, 3, max_denominator=7), min_size=0, max_size=5, unique=True).map(sorted)


@given(bounds, st.integers(-(10**9), 10**10), st.integers(1, 10**9), st.integers(0, 3))
def test_bands_are_the_exact_rule_for_any_bounds(lower_bounds, assets, median, debts):
    bands = (Band(None, 0, "band_0"),) + tuple(
        Band(bound, 13 if i == len(lower_bounds) - 1 else i, f"band_{i + 1}") for i, bound in enumerate(lower_bounds)
    )
    weight = max(band.points for band in bands)
    card = Scorecard(assets_vs_median=bands, net_assets=bands, panel_max=56 - 2 * weight)  # the maxima sum to 100
    household = facts(total_assets_fen=max(assets, 0), debts_fen=debts, village_median_assets_fen=median)
    lines = score_items(household, card)
    ratio = exact_band(Fraction(household.total_assets_fen, median), bands)
    net = exact_band(Fraction(household.net_assets_fen), bands)
    assert item(lines, "assets_vs_median") == ("assets_vs_median", ratio.points, ratio.reason)
    assert item(lines, "net_assets") == ("net_assets", net.points, net.reason)


@given(
    st.integers(-(10**9), 10**9),
    st.integers(-(10**10), 10**10),
    st.fractions(0, 5, max_denominator=13),
    st.fractions(0, 1, max_denominator=17),
)
def test_capacity_is_the_exact_rule_for_any_ratios(income, net_assets, multiple, share):
    terms = Terms(income_multiple=multiple, net_assets_share=share)
    exact = multiple * income + share * max(net_assets, 0)
    assert capacity_fen(income, net_assets, terms) == max(0, exact.numerator // exact.denominator)
