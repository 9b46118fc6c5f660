"""Repayment allocation: hand cases for each rule, then hypothesis properties over random loan books."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.credit.allocation import (
    CATEGORIES,
    Allocation,
    InvalidAmount,
    LoanDue,
    Overpayment,
    allocate,
    amount_due_total,
    priority_key,
)

D = datetime.date


def loan(loan_id, oldest_due, drawn_on, penalty=0, overdue_interest=0, interest=0, principal=0) -> LoanDue:
    return LoanDue(loan_id, oldest_due, drawn_on, penalty, overdue_interest, interest, principal)


def rows(allocation: Allocation) -> list[tuple[int, int, int, int, int]]:
    return [
        (a.loan_id, a.penalty_fen, a.overdue_interest_fen, a.interest_fen, a.principal_fen) for a in allocation.per_loan
    ]


ONE = [loan(1, D(2025, 3, 21), D(2024, 9, 1), 100, 200, 300, 10_000)]
# Due first: loan 2, then 3, then 1 (the reverse of the drawdown order for 1 and 3).
THREE = [
    loan(1, D(2025, 3, 21), D(2024, 1, 2), 0, 10, 20, 1_000),
    loan(2, D(2025, 1, 21), D(2024, 3, 4), 5, 15, 25, 2_000),
    loan(3, D(2025, 2, 21), D(2024, 2, 3), 0, 0, 30, 3_000),
]

# (id, amount, loans, expected rows in priority order: (loan_id, penalty, overdue interest, interest, principal))
CASES = [
    ("exact payoff of one loan", 10_600, ONE, [(1, 100, 200, 300, 10_000)]),
    ("partial, penalty only", 60, ONE, [(1, 60, 0, 0, 0)]),
    ("partial, into overdue interest", 250, ONE, [(1, 100, 150, 0, 0)]),
    ("partial, into current interest", 450, ONE, [(1, 100, 200, 150, 0)]),
    ("partial, into principal", 1_000, ONE, [(1, 100, 200, 300, 400)]),
    ("one fen goes to penalty", 1, ONE, [(1, 1, 0, 0, 0)]),
    ("one fen of principal", 1, [loan(1, None, D(2025, 1, 5), principal=5_000)], [(1, 0, 0, 0, 1)]),
    (
        "prepayment of principal with no interest due",
        20_000,
        [loan(1, None, D(2025, 1, 5), principal=50_000)],
        [(1, 0, 0, 0, 20_000)],
    ),
    (
        "two loans: all penalty before any overdue interest, older due first",
        120,
        [
            loan(1, D(2025, 2, 21), D(2024, 6, 1), 50, 100, 0, 5_000),
            loan(2, D(2025, 1, 21), D(2024, 8, 1), 30, 70, 0, 3_000),
        ],
        [(2, 30, 40, 0, 0), (1, 50, 0, 0, 0)],
    ),
    (
        "two loans: interest of both before principal, the one due first gets principal first",
        5_400,
        [
            loan(1, None, D(2025, 1, 5), interest=100, principal=10_000),
            loan(2, D(2025, 6, 21), D(2025, 3, 1), interest=200, principal=5_000),
        ],
        [(2, 0, 0, 200, 5_000), (1, 0, 0, 100, 100)],
    ),
    (
        "three loans with different due dates, stopping inside current interest",
        90,
        THREE,
        [(2, 5, 15, 25, 0), (3, 0, 0, 30, 0), (1, 0, 10, 5, 0)],
    ),
    (
        "three loans paid off exactly",
        6_105,
        THREE,
        [(2, 5, 15, 25, 2_000), (3, 0, 0, 30, 3_000), (1, 0, 10, 20, 1_000)],
    ),
    (
        "same due date: the loan drawn first goes first",
        700,
        [
            loan(7, D(2025, 4, 21), D(2025, 2, 1), principal=1_000),
            loan(8, D(2025, 4, 21), D(2025, 1, 1), principal=500),
        ],
        [(8, 0, 0, 0, 500), (7, 0, 0, 0, 200)],
    ),
    (
        "same due date and drawdown day: the lower loan id goes first",
        700,
        [
            loan(5, D(2025, 4, 21), D(2025, 1, 1), principal=1_000),
            loan(4, D(2025, 4, 21), D(2025, 1, 1), principal=500),
        ],
        [(4, 0, 0, 0, 500), (5, 0, 0, 0, 200)],
    ),
    (
        "nothing due yet comes after a dated due, even if drawn earlier",
        300,
        [
            loan(1, None, D(2024, 1, 1), principal=1_000),
            loan(2, D(2025, 5, 21), D(2025, 1, 1), interest=100, principal=1_000),
        ],
        [(2, 0, 0, 100, 200)],
    ),
    (
        "zero-balance loans are skipped and not listed",
        150,
        [
            loan(1, D(2024, 1, 21), D(2023, 1, 1)),
            loan(2, D(2025, 1, 21), D(2024, 1, 1), interest=50, principal=1_000),
            loan(3, None, D(2024, 6, 1)),
        ],
        [(2, 0, 0, 50, 100)],
    ),
]


@pytest.mark.parametrize(("amount", "loans", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hand_cases(amount, loans, expected):
    result = allocate(amount, loans)
    assert rows(result) == expected
    assert result.total_fen == amount
    assert (result.penalty_fen, result.overdue_interest_fen, result.interest_fen, result.principal_fen) == tuple(
        sum(r[i] for r in expected) for i in range(1, 5)
    )


def test_input_order_does_not_matter():
    assert allocate(90, THREE) == allocate(90, list(reversed(THREE)))


def test_amount_due_total():
    assert amount_due_total(ONE) == 10_600
    assert amount_due_total([]) == 0


def test_overpayment_refused_with_amounts():
    with pytest.raises(Overpayment) as caught:
        allocate(10_601, ONE)
    assert (caught.value.amount_due_fen, caught.value.requested_fen) == (10_601 - 1, 10_601)
    assert isinstance(caught.value, ValueError)


def test_paying_when_nothing_is_owed_is_overpayment():
    with pytest.raises(Overpayment):
        allocate(1, [])
    with pytest.raises(Overpayment):
        allocate(1, [loan(1, None, D(2025, 1, 1))])


@pytest.mark.parametrize("amount", [0, -1, -10_600, 1.0, 0.5, Decimal("1"), "100", True, None])
def test_invalid_amount_refused(amount):
    with pytest.raises(InvalidAmount):
        allocate(amount, ONE)


def test_negative_or_fractional_dues_refused():
    with pytest.raises(ValueError, match="penalty_fen"):
        loan(1, None, D(2025, 1, 1), penalty=-1)
    with pytest.raises(ValueError, match="principal_fen"):
        loan(1, None, D(2025, 1, 1), principal=1.5)


def test_duplicate_loan_refused():
    with pytest.raises(ValueError, match="once"):
        allocate(1, [ONE[0], ONE[0]])


# --- properties -------------------------------------------------------------------------------------------

# A narrow date range so that ties on oldest_due and drawn_on are common.
dates = st.dates(D(2025, 1, 1), D(2025, 1, 8))
fen = st.one_of(st.just(0), st.integers(1, 50), st.integers(0, 10**9))


@st.composite
def loan_books(draw, min_size=0):
    ids = draw(st.lists(st.integers(1, 10**6), unique=True, min_size=min_size, max_size=6))
    return [LoanDue(i, draw(st.none() | dates), draw(dates), draw(fen), draw(fen), draw(fen), draw(fen)) for i in ids]


@st.composite
def payments(draw):
    loans = draw(loan_books(min_size=1).filter(lambda book: amount_due_total(book) > 0))
    total = amount_due_total(loans)
    amount = draw(st.one_of(st.just(total), st.just(1), st.integers(1, total)))
    return amount, loans


def paid_by_loan(result: Allocation) -> dict[int, dict[str, int]]:
    return {a.loan_id: {c: getattr(a, c) for c in CATEGORIES} for a in result.per_loan}


def paid(result: Allocation, loan_id: int, category: str) -> int:
    return paid_by_loan(result).get(loan_id, {}).get(category, 0)


@given(payments())
def test_totals_equal_the_amount(payment):
    amount, loans = payment
    result = allocate(amount, loans)
    assert result.total_fen == amount
    assert sum(a.total_fen for a in result.per_loan) == amount
    for category in CATEGORIES:
        assert getattr(result, category) == sum(getattr(a, category) for a in result.per_loan)


@given(payments())
def test_no_category_of_a_loan_exceeds_what_it_owed(payment):
    amount, loans = payment
    result = allocate(amount, loans)
    for due in loans:
        for category in CATEGORIES:
            assert 0 <= paid(result, due.loan_id, category) <= getattr(due, category)


@given(payments())
def test_later_category_gets_nothing_while_an_earlier_one_still_owes(payment):
    amount, loans = payment
    result = allocate(amount, loans)
    for i, earlier in enumerate(CATEGORIES):
        unpaid_earlier = any(paid(result, d.loan_id, earlier) < getattr(d, earlier) for d in loans)
        if unpaid_earlier:
            assert all(getattr(result, later) == 0 for later in CATEGORIES[i + 1 :])


@given(payments())
def test_within_a_category_the_oldest_due_is_paid_first(payment):
    amount, loans = payment
    result = allocate(amount, loans)
    ordered = sorted(loans, key=priority_key)
    for category in CATEGORIES:
        short = False  # an earlier loan in priority order still owes in this category
        for due in ordered:
            if short:
                assert paid(result, due.loan_id, category) == 0
            short = short or paid(result, due.loan_id, category) < getattr(due, category)


@given(payments())
def test_per_loan_lists_only_receiving_loans_in_priority_order(payment):
    amount, loans = payment
    result = allocate(amount, loans)
    assert all(a.total_fen > 0 for a in result.per_loan)
    by_id = {d.loan_id: d for d in loans}
    keys = [priority_key(by_id[a.loan_id]) for a in result.per_loan]
    assert keys == sorted(keys)


@given(payments(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(payment, random):
    amount, loans = payment
    shuffled = list(loans)
    random.shuffle(shuffled)
    assert allocate(amount, shuffled) == allocate(amount, loans)


@given(loan_books(min_size=1))
def test_paying_the_total_settles_every_loan(loans):
    total = amount_due_total(loans)
    if total == 0:
        return
    owed = {d.loan_id: {c: getattr(d, c) for c in CATEGORIES} for d in loans if d.total_fen}
    assert paid_by_loan(allocate(total, loans)) == owed


@given(loan_books(), st.integers(1, 10**12))
def test_overpayment_refused(loans, excess):
    total = amount_due_total(loans)
    with pytest.raises(Overpayment) as caught:
        allocate(total + excess, loans)
    assert (caught.value.amount_due_fen, caught.value.requested_fen) == (total, total + excess)


@given(loan_books(), st.integers(max_value=0))
def test_non_positive_amount_refused(loans, amount):
    with pytest.raises(InvalidAmount):
        allocate(amount, loans)
