"""Interest rules (DOMAIN §4): hand-computed cases, then hypothesis properties against an exact Fraction oracle.

Notation in the comments: P = principal in fen, r = annual percent; one day = P × r / 100 / 360 fen, exactly.
"""

import datetime
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.credit.interest import (
    UNITS_PER_FEN,
    Accrual,
    LoanAccruals,
    LoanFen,
    accrue_day,
    accrue_loan_day,
    accrues_as_overdue,
    daily_interest_units,
    interest_between,
    interest_due_date,
    is_settlement_day,
    penalty_rate,
    round_half_up_fen,
    settle,
    settle_loan,
)

D = Decimal
d = datetime.date
YUAN_20K = 2_000_000  # 20,000.00 yuan in fen
YUAN_300K = 30_000_000  # 300,000.00 yuan in fen


def _accrue(segments, rate):
    """Accrue day by day over (principal_fen, days) segments; return (final state, posted fen per day)."""
    state, posts = Accrual(), []
    for principal, days in segments:
        for _ in range(days):
            state, fen = accrue_day(state, principal, rate)
            posts.append(fen)
    return state, posts


def _exact(segments, rate):
    """The oracle: exact interest in fen as a Fraction."""
    return sum((Fraction(p) * Fraction(rate) / 100 / 360 * days for p, days in segments), Fraction(0))


def _half_up(amount: Fraction) -> int:
    """The oracle's 四舍五入 of a non-negative Fraction."""
    return math.floor(amount + Fraction(1, 2))


# (segments of (principal fen, days), annual rate %, expected fen); each row's arithmetic is in its comment.
CASES = [
    # 1 fen × 4.35 / 36000 × 1 = 0.000120833… → 0
    ([(1, 1)], D("4.35"), 0),
    # 1 fen × 4.35 / 36000 × 360 = 0.0435 → 0
    ([(1, 360)], D("4.35"), 0),
    # 1 fen × 5.55 / 36000 × 10000 = 555/360 = 1.541666… → 2: 10,000 sub-fen days add up, nothing is lost
    ([(1, 10_000)], D("5.55"), 2),
    # 100 fen (1 yuan) × 4.35 / 36000 × 31 = 134.85/360 = 0.374583… → 0
    ([(100, 31)], D("4.35"), 0),
    # 100 fen × 5.20 / 36000 × 360 = 5.20 → 5
    ([(100, 360)], D("5.20"), 5),
    # 100 fen × 5.55 / 36000 × 360 = 5.55 → 6
    ([(100, 360)], D("5.55"), 6),
    # 3,000 fen × 4.35 / 36000 × 360 = 130.5 → 131 (half-up; banker's rounding would give 130)
    ([(3_000, 360)], D("4.35"), 131),
    # 2,000,000 × 4.35 / 36000 = 241.666…/day; × 1 = 241.666… → 242
    ([(YUAN_20K, 1)], D("4.35"), 242),
    # 241.666… × 31 = 22475/3 = 7491.666… → 7492 (a 31-day month)
    ([(YUAN_20K, 31)], D("4.35"), 7492),
    # 241.666… × 30 = 7250 exactly (a 30-day month)
    ([(YUAN_20K, 30)], D("4.35"), 7250),
    # 241.666… × 28 = 20300/3 = 6766.666… → 6767 (February 2027)
    ([(YUAN_20K, 28)], D("4.35"), 6767),
    # 241.666… × 29 = 21025/3 = 7008.333… → 7008 (February 2028, leap)
    ([(YUAN_20K, 29)], D("4.35"), 7008),
    # 360-day basis: 241.666… × 360 = 87000 exactly = 2,000,000 × 4.35 %
    ([(YUAN_20K, 360)], D("4.35"), 87_000),
    # a 365-day year on actual/360: 241.666… × 365 = 264625/3 = 88208.333… → 88208 (more than 87000)
    ([(YUAN_20K, 365)], D("4.35"), 88_208),
    # a 366-day (leap) year: 241.666… × 366 = 88450 exactly
    ([(YUAN_20K, 366)], D("4.35"), 88_450),
    # 2,000,000 × 4.85 / 36000 = 269.444…/day; × 31 = 75175/9 = 8352.777… → 8353
    ([(YUAN_20K, 31)], D("4.85"), 8_353),
    # 2,000,000 × 5.20 / 36000 = 288.888…/day; × 28 = 72800/9 = 8088.888… → 8089
    ([(YUAN_20K, 28)], D("5.20"), 8_089),
    # 2,000,000 × 5.55 / 36000 = 308.333…/day; × 360 = 111000 exactly
    ([(YUAN_20K, 360)], D("5.55"), 111_000),
    # 308.333… × 365 = 337625/3 = 112541.666… → 112542
    ([(YUAN_20K, 365)], D("5.55"), 112_542),
    # 30,000,000 × 4.35 / 36000 = 3625/day exactly; × 1 = 3625
    ([(YUAN_300K, 1)], D("4.35"), 3_625),
    # 30,000,000 × 4.85 / 36000 = 4041.666…/day; × 31 = 375875/3 = 125291.666… → 125292
    ([(YUAN_300K, 31)], D("4.85"), 125_292),
    # 30,000,000 × 5.20 / 36000 = 4333.333…/day; × 30 = 130000 exactly
    ([(YUAN_300K, 30)], D("5.20"), 130_000),
    # 30,000,000 × 5.55 / 36000 = 4625/day; × 29 (Feb 2028) = 134125
    ([(YUAN_300K, 29)], D("5.55"), 134_125),
    # 4625 × 366 = 1,692,750
    ([(YUAN_300K, 366)], D("5.55"), 1_692_750),
    # partial repayment: 241.666… × 10 = 2416.666… plus 1,000,000 × 4.35 / 36000 = 120.833…/day × 21 = 2537.5;
    # 2416.666… + 2537.5 = 4954.166… → 4954 (rounding each part would give 2417 + 2538 = 4955)
    ([(YUAN_20K, 10), (1_000_000, 21)], D("4.35"), 4_954),
    # 4333.333… × 15 = 65000; 20,000,000 × 5.20 / 36000 = 2888.888…/day × 16 = 46222.222…; sum 111222.222… → 111222
    ([(YUAN_300K, 15), (20_000_000, 16)], D("5.20"), 111_222),
    # repaid in full after 5 days: 269.444… × 5 = 1347.222… → 1347; the 26 days at 0 add nothing
    ([(YUAN_20K, 5), (0, 26)], D("4.85"), 1_347),
    # 3625 × 10 = 36250; 15,000,000 → 1812.5 × 10 = 18125; 5,000,000 → 604.166… × 11 = 6645.833…;
    # sum 61020.833… → 61021
    ([(YUAN_300K, 10), (15_000_000, 10), (5_000_000, 11)], D("4.35"), 61_021),
    # penalty: 4.35 × 1.5 = 6.525; 2,000,000 × 6.525 / 36000 = 362.5/day; × 1 = 362.5 → 363 (half-up)
    ([(YUAN_20K, 1)], penalty_rate(D("4.35")), 363),
    # penalty: 362.5 × 10 = 3625 exactly
    ([(YUAN_20K, 10)], penalty_rate(D("4.35")), 3_625),
    # penalty: 5.55 × 1.5 = 8.325; 30,000,000 × 8.325 / 36000 = 6937.5 → 6938
    ([(YUAN_300K, 1)], penalty_rate(D("5.55")), 6_938),
    # penalty: 4.85 × 1.5 = 7.275; 1,000,000 × 7.275 / 36000 = 202.083…/day; × 31 = 75175/12 = 6264.583… → 6265
    ([(1_000_000, 31)], penalty_rate(D("4.85")), 6_265),
    # penalty: 5.20 × 1.5 = 7.8; 2,000,000 × 7.8 / 36000 = 433.333…/day; × 30 = 13000 exactly
    ([(YUAN_20K, 30)], penalty_rate(D("5.20")), 13_000),
    # compound on 7,492 fen overdue interest at 6.525: 7492 × 6.525 / 36000 = 1.357925/day → 1 for one day
    ([(7_492, 1)], penalty_rate(D("4.35")), 1),
    # compound: 1.357925 × 30 = 40.73775 → 41
    ([(7_492, 30)], penalty_rate(D("4.35")), 41),
]


@pytest.mark.parametrize(("segments", "rate", "expected"), CASES)
def test_hand_computed_accrual(segments, rate, expected):
    state, posts = _accrue(segments, rate)
    assert sum(posts) == state.posted_fen == expected
    assert state.exact_units == _exact(segments, rate) * UNITS_PER_FEN  # nothing rounded on the way


# (start inclusive, end exclusive, principal fen, rate, expected fen): 算头不算尾 over calendar dates.
DATE_CASES = [
    # the leap day alone: 2028-02-29 → 03-01 is 1 day; 30,000,000 × 4.35 / 36000 = 3625
    (d(2028, 2, 29), d(2028, 3, 1), YUAN_300K, D("4.35"), 3_625),
    # 2028-02-28 → 03-01 = 2 days (28th, 29th); 241.666… × 2 = 483.333… → 483
    (d(2028, 2, 28), d(2028, 3, 1), YUAN_20K, D("4.35"), 483),
    # 2027-02-28 → 03-01 = 1 day (no leap day); 241.666… → 242
    (d(2027, 2, 28), d(2027, 3, 1), YUAN_20K, D("4.35"), 242),
    # month end: drawn 2028-01-31, repaid 02-01 = 1 day (the repayment day does not count)
    (d(2028, 1, 31), d(2028, 2, 1), YUAN_20K, D("4.35"), 242),
    # drawn and repaid the same day: 0 days → 0
    (d(2028, 1, 31), d(2028, 1, 31), YUAN_20K, D("4.35"), 0),
    # settlement period 2028-01-21 … 02-20 = 31 days; 22475/3 = 7491.666… → 7492
    (d(2028, 1, 21), d(2028, 2, 21), YUAN_20K, D("4.35"), 7_492),
    # settlement period 2028-02-21 … 03-20 = 29 days (leap February); 7008.333… → 7008
    (d(2028, 2, 21), d(2028, 3, 21), YUAN_20K, D("4.35"), 7_008),
    # the same period in 2027 = 28 days; 6766.666… → 6767
    (d(2027, 2, 21), d(2027, 3, 21), YUAN_20K, D("4.35"), 6_767),
    # leap year 2028 = 366 days; 241.666… × 366 = 88450
    (d(2028, 1, 1), d(2029, 1, 1), YUAN_20K, D("4.35"), 88_450),
    # year 2027 = 365 days; 264625/3 = 88208.333… → 88208, not 87000 (actual/360, not 360/360)
    (d(2027, 1, 1), d(2028, 1, 1), YUAN_20K, D("4.35"), 88_208),
]


@pytest.mark.parametrize(("start", "end", "principal", "rate", "expected"), DATE_CASES)
def test_interest_between_dates(start, end, principal, rate, expected):
    assert interest_between(principal, rate, start, end) == expected


def test_remainder_is_carried_across_settlements():
    # 2,000,000 at 4.35 drawn 2028-01-05. Close of Jan 5 … 20 = 16 days: 11600/3 = 3866.666… → 3867 due Jan 21.
    # Jan 21 … Feb 20 = 31 more days; 47 days total = 34075/3 = 11358.333… → 11358 posted, so 11358 − 3867 = 7491
    # becomes due on Feb 21, one fen less than the period alone (7492) because the first period was rounded up.
    state, due = Accrual(), []
    day = d(2028, 1, 5)
    while day <= d(2028, 2, 20):
        state, _ = accrue_day(state, YUAN_20K, D("4.35"))
        if is_settlement_day(day):
            state, fen = settle(state)
            due.append((interest_due_date(day), fen))
        day += datetime.timedelta(days=1)
    assert due == [(d(2028, 1, 21), 3_867), (d(2028, 2, 21), 7_491)]
    assert state.posted_fen == 11_358 and state.unsettled_fen == 0


def test_drawdown_on_settlement_day_settles_that_day():
    # drawn 2028-03-20: the drawdown day counts, so 241.666… → 242 becomes due on 2028-03-21
    state, posted = accrue_day(Accrual(), YUAN_20K, D("4.35"))
    state, fen = settle(state)
    assert (posted, fen, interest_due_date(d(2028, 3, 20))) == (242, 242, d(2028, 3, 21))


def test_settlement_day_and_due_date_calendar():
    assert is_settlement_day(d(2028, 2, 20)) and is_settlement_day(d(2027, 12, 20))
    assert not is_settlement_day(d(2028, 2, 21)) and not is_settlement_day(d(2028, 2, 29))
    assert is_settlement_day(d(2028, 2, 25), settlement_day=25)
    assert interest_due_date(d(2027, 12, 20)) == d(2027, 12, 21)


def test_overdue_starts_at_close_of_due_date():
    # normal interest covers [drawdown, maturity); principal unpaid at the close of maturity is past due that day
    assert not accrues_as_overdue(d(2028, 2, 4), d(2028, 2, 5))
    assert accrues_as_overdue(d(2028, 2, 5), d(2028, 2, 5))
    assert accrues_as_overdue(d(2028, 2, 6), d(2028, 2, 5))


def _end_of_day_run(until, maturity, compound=True):
    """A 2,000,000 fen loan at 4.35 drawn 2028-01-05, never repaid; returns the dues of each settlement."""
    state, unpaid_due, dues = LoanAccruals(), [], []
    day = d(2028, 1, 5)
    while day <= until:
        overdue = accrues_as_overdue(day, maturity)
        overdue_interest = sum(fen for due_on, fen in unpaid_due if accrues_as_overdue(day, due_on))
        state, _ = accrue_loan_day(
            state,
            principal_fen=0 if overdue else YUAN_20K,
            overdue_principal_fen=YUAN_20K if overdue else 0,
            overdue_interest_fen=overdue_interest,
            contract_rate=D("4.35"),
            compound=compound,
        )
        if is_settlement_day(day):
            state, fen = settle_loan(state)
            dues.append(fen)
            unpaid_due.append((interest_due_date(day), fen.total_fen))
        day += datetime.timedelta(days=1)
    return dues


def test_overdue_loan_penalty_and_compound():
    # Jan 5 … 20: 16 days normal = 3866.666… → 3867, due Jan 21 and never paid.
    # Maturity Feb 5: normal Jan 21 … Feb 4 = 15 days; 31 days in all = 7491.666… → 7492, so 7492 − 3867 = 3625 due.
    # Penalty Feb 5 … 20 = 16 days × 362.5 (2,000,000 × 6.525 / 36000) = 5800.
    # Compound on 3867 from its due date Jan 21 … Feb 20 = 31 days × 3867 × 6.525 / 36000 = 21.727… → 22.
    dues = _end_of_day_run(until=d(2028, 2, 20), maturity=d(2028, 2, 5))
    assert dues == [LoanFen(3_867, 0, 0), LoanFen(3_625, 5_800, 22)]


def test_overdue_loan_without_compounding():
    # the same loan with 复利 switched off: penalty unchanged, no compound interest
    dues = _end_of_day_run(until=d(2028, 2, 20), maturity=d(2028, 2, 5), compound=False)
    assert dues == [LoanFen(3_867, 0, 0), LoanFen(3_625, 5_800, 0)]


def test_penalty_multiplier_parameter():
    # 4.35 × 1.5 = 6.525 by default; × 1.3 = 5.655; 2,000,000 × 5.655 / 36000 = 314.166… → 314
    assert penalty_rate(D("4.35")) == D("6.525")
    assert penalty_rate(D("4.35"), D("1.3")) == D("5.655")
    _, fen = accrue_loan_day(
        LoanAccruals(),
        principal_fen=0,
        overdue_principal_fen=YUAN_20K,
        overdue_interest_fen=0,
        contract_rate=D("4.35"),
        penalty_multiplier=D("1.3"),
    )
    assert fen == LoanFen(0, 314, 0)


def test_half_up_boundaries():
    assert round_half_up_fen(UNITS_PER_FEN // 2 - 1) == 0
    assert round_half_up_fen(UNITS_PER_FEN // 2) == 1
    assert round_half_up_fen(3 * UNITS_PER_FEN // 2) == 2  # 1.5 → 2 and 2.5 → 3: never to even
    assert round_half_up_fen(5 * UNITS_PER_FEN // 2) == 3


@pytest.mark.parametrize(
    ("principal", "rate"),
    [
        (100, 4.35),  # floats are refused
        (100, D("4.1234567")),  # finer than 6 decimal places of a percent
        (100, D("-1")),
        (100, D("NaN")),
        (-1, D("4.35")),
        (True, D("4.35")),
        (1.0, D("4.35")),
    ],
)
def test_bad_input_is_refused(principal, rate):
    with pytest.raises(ValueError):
        daily_interest_units(principal, rate)


def test_bad_state_and_dates_are_refused():
    with pytest.raises(ValueError):
        Accrual(exact_units=UNITS_PER_FEN, posted_fen=0)
    with pytest.raises(ValueError):
        Accrual(exact_units=UNITS_PER_FEN, posted_fen=1, settled_fen=2)
    with pytest.raises(ValueError):
        interest_between(100, D("4.35"), d(2028, 1, 2), d(2028, 1, 1))
    with pytest.raises(ValueError):
        penalty_rate(D("4.35"), 1.5)


# ---- properties -------------------------------------------------------------------------------------------

rates = st.decimals(min_value=0, max_value=24, places=4, allow_nan=False, allow_infinity=False)
principals = st.integers(min_value=0, max_value=50_000_000)
schedules = st.lists(principals, min_size=1, max_size=400)


@given(schedule=schedules, rate=rates)
def test_posted_always_equals_exact_rounded_once(schedule, rate):
    state, exact, total_posted = Accrual(), Fraction(0), 0
    for principal in schedule:
        state, fen = accrue_day(state, principal, rate)
        exact += Fraction(principal) * Fraction(rate) / 36_000
        total_posted += fen
        assert fen >= 0  # posted never decreases
        assert total_posted == state.posted_fen == _half_up(exact)  # no lost remainder, on every day
    assert Fraction(state.exact_units, UNITS_PER_FEN) == exact


@given(days=st.integers(min_value=0, max_value=400), rate=rates)
def test_zero_principal_accrues_nothing(days, rate):
    state, posts = _accrue([(0, days)], rate)
    assert state == Accrual() and not any(posts)


@given(rate=rates)
def test_penalty_rate_is_exactly_one_and_a_half(rate):
    penalty = penalty_rate(rate)
    assert Fraction(penalty) == Fraction(rate) * Fraction(3, 2)
    assert 2 * daily_interest_units(1, penalty) == 3 * daily_interest_units(1, rate)


@given(
    principal=principals,
    rate=rates,
    start=st.dates(min_value=d(2000, 1, 1), max_value=d(2100, 1, 1)),
    days=st.integers(min_value=0, max_value=400),
)
def test_interest_between_matches_daily_accrual(principal, rate, start, days):
    end = start + datetime.timedelta(days=days)
    state, _ = _accrue([(principal, days)], rate)
    assert interest_between(principal, rate, start, end) == state.posted_fen


@given(schedule=schedules, settle_on=st.sets(st.integers(min_value=0, max_value=399)))
def test_settlement_conserves_posted_interest(schedule, settle_on):
    state, due_total = Accrual(), 0
    for i, principal in enumerate(schedule):
        state, _ = accrue_day(state, principal, D("4.35"))
        if i in settle_on:
            before = state.settled_fen
            state, fen = settle(state)
            assert fen >= 0 and state.settled_fen >= before
            due_total += fen
    assert due_total + state.unsettled_fen == state.posted_fen


@given(
    days=st.lists(st.tuples(principals, principals, st.integers(0, 1_000_000)), min_size=1, max_size=60),
    rate=rates,
    compound=st.booleans(),
)
def test_loan_day_kinds_accrue_independently(days, rate, compound):
    state, totals = LoanAccruals(), [0, 0, 0]
    for current, overdue_principal, overdue_interest in days:
        state, fen = accrue_loan_day(
            state,
            principal_fen=current,
            overdue_principal_fen=overdue_principal,
            overdue_interest_fen=overdue_interest,
            contract_rate=rate,
            compound=compound,
        )
        totals = [t + f for t, f in zip(totals, (fen.normal_fen, fen.penalty_fen, fen.compound_fen), strict=True)]
    penalty = penalty_rate(rate)
    assert totals[0] == _half_up(_exact([(c, 1) for c, _, _ in days], rate))
    assert totals[1] == _half_up(_exact([(p, 1) for _, p, _ in days], penalty))
    expected_compound = _half_up(_exact([(i, 1) for _, _, i in days], penalty)) if compound else 0
    assert totals[2] == expected_compound
