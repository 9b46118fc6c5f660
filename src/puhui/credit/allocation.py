"""Repayment allocation (还款冲销顺序), pure: no Django, integer fen only.

Rule (DOMAIN §4, Civil Code art. 561):

1. The category order applies to the borrower's debt as a whole: penalty interest (罚息/复利) →
   overdue interest (逾期利息) → current interest (正常利息) → principal (本金). No fen goes to a later
   category while any loan still owes anything in an earlier one.
2. Within one category, loans are paid one after another in priority order: the loan whose obligation fell
   due first (``oldest_due`` ascending; a loan with nothing due yet, ``None``, comes after every loan with a
   due date), then ``drawn_on`` ascending, then ``loan_id`` ascending. Each loan is paid in full in that
   category before the next one receives anything. The order of the input sequence does not matter.
3. ``principal_fen`` is all outstanding principal, due or not, so paying past the interest is a prepayment
   (随借随还, no fee).
4. The amount must be a positive integer number of fen (else ``InvalidAmount``) and at most the total owed
   (else ``Overpayment``): nothing is silently kept.

``Allocation.per_loan`` lists, in priority order, only the loans that receive something.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

# The Civil Code art. 561 order; the names are the fields of LoanDue, LoanAllocation and Allocation.
CATEGORIES = ("penalty_fen", "overdue_interest_fen", "interest_fen", "principal_fen")


class InvalidAmount(ValueError):
    """A repayment amount that is not a positive integer number of fen."""


class Overpayment(ValueError):
    """The amount exceeds everything owed; the payment is refused, not partly kept."""

    def __init__(self, amount_due_fen: int, requested_fen: int) -> None:
        super().__init__(f"repayment of {requested_fen} fen exceeds the {amount_due_fen} fen owed")
        self.amount_due_fen = amount_due_fen
        self.requested_fen = requested_fen


@dataclass(frozen=True)
class LoanDue:
    """What one loan owes now, by category."""

    loan_id: int
    oldest_due: datetime.date | None  # oldest unpaid due date; None when nothing is due yet
    drawn_on: datetime.date
    penalty_fen: int
    overdue_interest_fen: int
    interest_fen: int
    principal_fen: int  # all outstanding principal (prepayment allowed)

    def __post_init__(self) -> None:
        for name in CATEGORIES:
            value = getattr(self, name)
            if not _is_fen(value) or value < 0:
                raise ValueError(f"loan {self.loan_id}: {name} must be a non-negative integer, got {value!r}")

    @property
    def total_fen(self) -> int:
        """Everything this loan owes."""
        return sum(getattr(self, name) for name in CATEGORIES)


@dataclass(frozen=True)
class LoanAllocation:
    """The part of a repayment that goes to one loan, by category."""

    loan_id: int
    penalty_fen: int
    overdue_interest_fen: int
    interest_fen: int
    principal_fen: int

    @property
    def total_fen(self) -> int:
        """Everything this loan receives."""
        return sum(getattr(self, name) for name in CATEGORIES)


@dataclass(frozen=True)
class Allocation:
    """A whole repayment split over loans (priority order) with category totals."""

    per_loan: tuple[LoanAllocation, ...]
    penalty_fen: int
    overdue_interest_fen: int
    interest_fen: int
    principal_fen: int

    @property
    def total_fen(self) -> int:
        """The amount allocated (equals the repayment)."""
        return sum(getattr(self, name) for name in CATEGORIES)


def amount_due_total(loans: Sequence[LoanDue]) -> int:
    """Everything owed across the loans: the most a single repayment may be."""
    return sum(loan.total_fen for loan in loans)


def priority_key(loan: LoanDue) -> tuple[bool, datetime.date, datetime.date, int]:
    """Sort key of the oldest-due-first rule: oldest_due (None last), drawn_on, loan_id."""
    return (loan.oldest_due is None, loan.oldest_due or datetime.date.max, loan.drawn_on, loan.loan_id)


def allocate(amount_fen: int, loans: Sequence[LoanDue]) -> Allocation:
    """Split a repayment over the loans by category order, oldest due first within each category."""
    if not _is_fen(amount_fen) or amount_fen <= 0:
        raise InvalidAmount(f"repayment must be a positive integer number of fen, got {amount_fen!r}")
    _check_unique(loans)
    amount_due = amount_due_total(loans)
    if amount_fen > amount_due:
        raise Overpayment(amount_due, amount_fen)
    ordered = sorted(loans, key=priority_key)
    paid = {loan.loan_id: dict.fromkeys(CATEGORIES, 0) for loan in ordered}
    remaining = amount_fen
    for category in CATEGORIES:
        for loan in ordered:
            take = min(remaining, getattr(loan, category))
            paid[loan.loan_id][category] = take
            remaining -= take
    per_loan = tuple(LoanAllocation(loan_id=loan_id, **parts) for loan_id, parts in paid.items() if any(parts.values()))
    totals = {category: sum(getattr(part, category) for part in per_loan) for category in CATEGORIES}
    return Allocation(per_loan=per_loan, **totals)


def _is_fen(value: object) -> bool:
    # bool is an int subclass; True fen is a bug, not one fen.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_unique(loans: Sequence[LoanDue]) -> None:
    ids = [loan.loan_id for loan in loans]
    if len(ids) != len(set(ids)):
        raise ValueError("each loan may appear only once")
