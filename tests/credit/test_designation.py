"""Credit household / village / township designations: exact edges at 70 %, 50 %, 5 % and zero denominators."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.credit.classify import Classification as C
from puhui.credit.designation import (
    DEFAULT,
    DesignationThresholds,
    is_credit_household,
    is_credit_township,
    is_credit_village,
    npl_ratio_below,
    share_at_least,
)

D = datetime.date
TODAY = D(2025, 6, 30)


@pytest.mark.parametrize(
    ("grade", "rated_on", "worst_class", "expected"),
    [
        ("AAA", D(2024, 1, 1), None, True),
        ("AA", D(2024, 1, 1), C.NORMAL, True),
        ("A", D(2024, 1, 1), "normal", True),
        ("A", TODAY, None, True),  # rated today
        ("A", D(2022, 7, 1), None, True),  # the day before the third anniversary
        ("A", D(2022, 6, 30), None, False),  # exactly three years ago: expired
        ("A", D(2020, 1, 1), None, False),
        ("A", None, None, False),  # never rated
        (None, D(2024, 1, 1), None, False),
        ("", D(2024, 1, 1), None, False),
        ("B", D(2024, 1, 1), None, False),  # not a grade of the scorecard: below A
        ("aaa", D(2024, 1, 1), None, False),
        ("AAA", D(2024, 1, 1), C.SPECIAL_MENTION, False),
        ("AAA", D(2024, 1, 1), C.SUBSTANDARD, False),
        ("AAA", D(2024, 1, 1), "loss", False),
    ],
)
def test_credit_household(grade, rated_on, worst_class, expected):
    assert is_credit_household(grade, rated_on, TODAY, worst_class) is expected


def test_rating_of_29_february_expires_on_28_february():
    assert is_credit_household("A", D(2024, 2, 29), D(2027, 2, 27), None)
    assert not is_credit_household("A", D(2024, 2, 29), D(2027, 2, 28), None)


def test_credit_household_custom_grade_and_validity():
    strict = DesignationThresholds(min_grade="AA", rating_valid_years=1)
    assert not is_credit_household("A", D(2025, 1, 1), TODAY, None, strict)
    assert is_credit_household("AA", D(2025, 1, 1), TODAY, None, strict)
    assert not is_credit_household("AAA", D(2024, 6, 30), TODAY, None, strict)


@pytest.mark.parametrize(
    ("credit", "households", "npl", "balance", "expected"),
    [
        (7, 10, 0, 1_000_000, True),  # exactly 70 %
        (70, 100, 0, 1_000_000, True),
        (6_999, 10_000, 0, 1_000_000, False),  # 69.99 %
        (6_999_999, 10_000_000, 0, 1_000_000, False),  # 69.99999 %
        (2, 3, 0, 1_000_000, False),  # 66.7 %
        (10, 10, 0, 1_000_000, True),
        (7, 10, 5, 100, False),  # NPL exactly 5 %: not below
        (7, 10, 50_000, 1_000_000, False),
        (7, 10, 499, 10_000, True),  # 4.99 %
        (7, 10, 4_999_999, 100_000_000, True),  # 4.999999 %
        (7, 10, 5_000_001, 100_000_000, False),
        (0, 0, 0, 1_000_000, False),  # no households
        (0, 10, 0, 1_000_000, False),
        (7, 10, 0, 0, False),  # no loan balance: nothing to measure
    ],
)
def test_credit_village(credit, households, npl, balance, expected):
    assert is_credit_village(credit, households, npl, balance) is expected


@pytest.mark.parametrize(
    ("credit", "villages", "npl", "balance", "expected"),
    [
        (1, 2, 0, 1_000_000, True),  # exactly 50 %
        (5, 10, 499, 10_000, True),
        (4_999, 10_000, 0, 1_000_000, False),  # 49.99 %
        (4, 9, 0, 1_000_000, False),
        (5, 10, 5, 100, False),  # NPL exactly 5 %
        (5, 10, 50_000, 1_000_000, False),
        (0, 0, 0, 1_000_000, False),  # no villages
        (1, 2, 0, 0, False),
    ],
)
def test_credit_township(credit, villages, npl, balance, expected):
    assert is_credit_township(credit, villages, npl, balance) is expected


def test_custom_shares():
    t = DesignationThresholds(village_credit_household_share=Decimal("0.8"), npl_ratio_below=Decimal("0.02"))
    assert not is_credit_village(7, 10, 0, 100, t)
    assert is_credit_village(8, 10, 1, 100, t)
    assert not is_credit_village(8, 10, 2, 100, t)
    assert is_credit_township(1, 2, 1, 100, t)  # township share keeps its default


@pytest.mark.parametrize(
    ("args", "call"),
    [
        ((11, 10, 0, 100), is_credit_village),  # more credit households than households
        ((-1, 10, 0, 100), is_credit_village),
        ((7, 10, 101, 100), is_credit_village),  # NPL above the balance
        ((1, 2, -1, 100), is_credit_township),
        ((3, 2, 0, 100), is_credit_township),
    ],
)
def test_impossible_counts_refused(args, call):
    with pytest.raises(ValueError):
        call(*args)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"village_credit_household_share": 0.7},  # float: refused, Decimal only
        {"township_credit_village_share": Decimal("1.5")},
        {"npl_ratio_below": Decimal("-0.01")},
        {"min_grade": "B"},
        {"rating_valid_years": 0},
    ],
)
def test_invalid_thresholds_refused(kwargs):
    with pytest.raises(ValueError):
        DesignationThresholds(**kwargs)


def test_defaults():
    assert DesignationThresholds(Decimal("0.70"), Decimal("0.50"), Decimal("0.05"), 3, "A") == DEFAULT


# --- properties: exact arithmetic agrees with integer cross-multiplication, at any size ------------------


@given(st.integers(1, 10**15), st.data())
def test_village_share_is_exact(households, data):
    credit = data.draw(st.integers(0, households))
    assert share_at_least(credit, households, Decimal("0.70")) is (credit * 100 >= households * 70)


@given(st.integers(1, 10**15), st.data())
def test_npl_ratio_is_exact(balance, data):
    npl = data.draw(st.integers(0, balance))
    assert npl_ratio_below(npl, balance, Decimal("0.05")) is (npl * 100 < balance * 5)


@given(st.integers(1, 10**12))
def test_exactly_seventy_percent_is_met_and_one_less_is_not(k):
    assert is_credit_village(7 * k, 10 * k, 0, 1)
    assert not is_credit_village(7 * k - 1, 10 * k, 0, 1)


@given(st.integers(1, 10**12))
def test_exactly_five_percent_npl_is_not_met_and_one_fen_less_is(k):
    assert not is_credit_township(1, 2, 5 * k, 100 * k)
    assert is_credit_township(1, 2, 5 * k - 1, 100 * k)
