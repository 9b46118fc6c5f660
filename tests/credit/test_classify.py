"""Five-category classification: band boundaries, DPD over calendar edges, worst(), monotonicity."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.credit.classify import (
    DEFAULT,
    Classification,
    Thresholds,
    classify,
    days_past_due,
    freezes_line,
    is_npl,
    worst,
)

D = datetime.date
C = Classification


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, C.NORMAL),
        (1, C.SPECIAL_MENTION),
        (90, C.SPECIAL_MENTION),
        (91, C.SUBSTANDARD),
        (270, C.SUBSTANDARD),
        (271, C.DOUBTFUL),
        (360, C.DOUBTFUL),
        (361, C.LOSS),
        (10_000, C.LOSS),
    ],
)
def test_default_band_boundaries(dpd, expected):
    assert classify(dpd) is expected


def test_negative_dpd_refused():
    with pytest.raises(ValueError, match="negative"):
        classify(-1)


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, C.NORMAL),
        (1, C.SPECIAL_MENTION),
        (30, C.SPECIAL_MENTION),
        (31, C.SUBSTANDARD),
        (61, C.DOUBTFUL),
        (91, C.LOSS),
    ],
)
def test_custom_thresholds(dpd, expected):
    assert classify(dpd, Thresholds(special_mention_max=30, substandard_max=60, doubtful_max=90)) is expected


@pytest.mark.parametrize(("sm", "sub", "doubtful"), [(0, 270, 360), (90, 90, 360), (90, 270, 270), (300, 270, 360)])
def test_thresholds_must_ascend(sm, sub, doubtful):
    with pytest.raises(ValueError, match="thresholds"):
        Thresholds(special_mention_max=sm, substandard_max=sub, doubtful_max=doubtful)


def test_codes_and_chinese_labels():
    assert [(c.value, c.label_zh) for c in C] == [
        ("normal", "正常"),
        ("special_mention", "关注"),
        ("substandard", "次级"),
        ("doubtful", "可疑"),
        ("loss", "损失"),
    ]
    assert C("loss") is C.LOSS
    assert C.LOSS == "loss"
    assert [c.severity for c in C] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("c", "npl", "frozen"),
    [
        (C.NORMAL, False, False),
        (C.SPECIAL_MENTION, False, True),
        (C.SUBSTANDARD, True, True),
        (C.DOUBTFUL, True, True),
        (C.LOSS, True, True),
        ("special_mention", False, True),
        ("loss", True, True),
    ],
)
def test_npl_and_freezing(c, npl, frozen):
    assert is_npl(c) is npl
    assert freezes_line(c) is frozen


@pytest.mark.parametrize(
    ("due", "business_date", "expected"),
    [
        (None, D(2025, 6, 1), 0),
        (D(2025, 6, 21), D(2025, 6, 21), 0),  # due today: not yet past due
        (D(2025, 6, 21), D(2025, 6, 1), 0),  # not yet due
        (D(2025, 6, 21), D(2025, 6, 22), 1),
        (D(2025, 1, 31), D(2025, 2, 1), 1),  # across a month end
        (D(2025, 1, 31), D(2025, 3, 1), 29),  # through a 28-day February
        (D(2024, 1, 31), D(2024, 3, 1), 30),  # through a 29-day February
        (D(2024, 2, 28), D(2024, 3, 1), 2),  # 29 February counts
        (D(2023, 2, 28), D(2023, 3, 1), 1),
        (D(2024, 12, 21), D(2025, 1, 1), 11),  # across a year end
        (D(2024, 1, 21), D(2025, 1, 21), 366),  # a leap year
        (D(2025, 1, 21), D(2026, 1, 21), 365),
    ],
)
def test_days_past_due(due, business_date, expected):
    assert days_past_due(due, business_date) == expected


@pytest.mark.parametrize(
    ("business_date", "expected"),
    [
        (D(2024, 3, 21), C.NORMAL),
        (D(2024, 3, 22), C.SPECIAL_MENTION),
        (D(2024, 6, 19), C.SPECIAL_MENTION),  # 90 days
        (D(2024, 6, 20), C.SUBSTANDARD),  # 91 days
        (D(2024, 12, 16), C.SUBSTANDARD),  # 270 days
        (D(2024, 12, 17), C.DOUBTFUL),  # 271 days
        (D(2025, 3, 16), C.DOUBTFUL),  # 360 days
        (D(2025, 3, 17), C.LOSS),  # 361 days
    ],
)
def test_classification_by_calendar(business_date, expected):
    assert classify(days_past_due(D(2024, 3, 21), business_date)) is expected


def test_classification_through_a_leap_day():
    # Due 21 January 2024: 29 February 2024 lies inside, so 90 days end on 20 April, not 21 April.
    due = D(2024, 1, 21)
    assert classify(days_past_due(due, D(2024, 4, 20))) is C.SPECIAL_MENTION
    assert classify(days_past_due(due, D(2024, 4, 21))) is C.SUBSTANDARD


def test_worst():
    assert worst([]) is C.NORMAL
    assert worst([C.NORMAL]) is C.NORMAL
    assert worst([C.SPECIAL_MENTION, C.LOSS, C.NORMAL]) is C.LOSS
    assert worst([C.SUBSTANDARD, C.DOUBTFUL, C.SPECIAL_MENTION]) is C.DOUBTFUL
    assert worst(iter(["special_mention", "normal"])) is C.SPECIAL_MENTION


# --- properties -------------------------------------------------------------------------------------------


@st.composite
def thresholds(draw):
    bounds = sorted(draw(st.lists(st.integers(1, 2_000), unique=True, min_size=3, max_size=3)))
    return Thresholds(*bounds)


@given(st.integers(0, 5_000), st.integers(0, 5_000), st.one_of(st.just(DEFAULT), thresholds()))
def test_more_days_past_due_never_gives_a_better_class(a, b, t):
    low, high = sorted((a, b))
    assert classify(low, t).severity <= classify(high, t).severity


@given(st.none() | st.dates(), st.dates(), st.dates())
def test_days_past_due_never_negative_and_grows_with_the_business_date(due, d1, d2):
    early, late = sorted((d1, d2))
    assert 0 <= days_past_due(due, early) <= days_past_due(due, late)


@given(st.integers(0, 5_000))
def test_npl_implies_frozen(dpd):
    c = classify(dpd)
    assert not is_npl(c) or freezes_line(c)
    assert freezes_line(c) is (dpd > 0)


@given(st.lists(st.sampled_from(list(C))))
def test_worst_is_the_most_severe_member(cs):
    w = worst(cs)
    assert all(c.severity <= w.severity for c in cs)
    assert w in cs or (not cs and w is C.NORMAL)
