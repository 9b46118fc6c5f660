"""Daily interest accrual, settlement and overdue interest (计息/结息/罚息/复利), pure: no Django.

Rules (DOMAIN §4, the bank's defaults):

1. Interest accrues daily on outstanding principal, actual/360: one day = principal × rate ÷ 100 ÷ 360.
   End of day D accrues one day on the principal outstanding at the close of D, so the drawdown day counts
   and the repayment day does not (算头不算尾); normal interest thus covers [drawdown, maturity).
2. Accrual is exact: an ``Accrual`` carries the running total in integer ``UNITS_PER_FEN`` units (exact for
   any rate with at most ``RATE_PLACES`` decimal places of a percent). Whole fen are posted so that posted
   == round_half_up(exact total) after every day; the sub-fen remainder is carried, never lost or re-rounded.
3. On the 20th (结息日), after that day's accrual, the posted but unsettled interest becomes due; it is due
   the 21st. Principal is due at maturity.
4. An amount still unpaid at the close of its due date is past due for that day's accrual: overdue principal
   accrues penalty interest (罚息) at contract rate × 1.5, and overdue interest compounds (复利) at the same
   penalty rate (both defaults are parameters). Days past due and classification live in ``classify``.

Money is integer fen; rates are ``Decimal`` annual percent (``Decimal("4.35")`` is 4.35 % a year).
"""

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

RATE_PLACES = 6  # decimal places of a percent a rate may have; contract rates use ≤ 4, ×1.5 adds one
UNITS_PER_FEN = 360 * 100 * 10**RATE_PLACES  # one day of 1 fen at rate r% is r × 10**RATE_PLACES units
DEFAULT_PENALTY_MULTIPLIER = Decimal("1.5")
DEFAULT_SETTLEMENT_DAY = 20


@dataclass(frozen=True)
class Accrual:
    """One interest kind of one loan, carried between days: exact accrual, posted fen and settled fen."""

    exact_units: int = 0  # exact interest accrued so far, in 1/UNITS_PER_FEN fen, never rounded
    posted_fen: int = 0  # whole fen posted so far; always round_half_up(exact_units)
    settled_fen: int = 0  # posted fen that have become due at a settlement

    def __post_init__(self) -> None:
        for name in ("exact_units", "posted_fen", "settled_fen"):
            if not _is_int(getattr(self, name)) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {getattr(self, name)!r}")
        if self.posted_fen != round_half_up_fen(self.exact_units) or self.settled_fen > self.posted_fen:
            raise ValueError("posted_fen must equal the rounded exact accrual and settled_fen must not exceed it")

    @property
    def unsettled_fen(self) -> int:
        """Posted interest not yet due (interest receivable until the next settlement)."""
        return self.posted_fen - self.settled_fen


@dataclass(frozen=True)
class LoanAccruals:
    """The three interest kinds of one loan: normal (正常利息), penalty (罚息) and compound (复利)."""

    normal: Accrual = field(default_factory=Accrual)
    penalty: Accrual = field(default_factory=Accrual)
    compound: Accrual = field(default_factory=Accrual)


@dataclass(frozen=True)
class LoanFen:
    """Whole fen per interest kind: posted by one day's accrual, or due from one settlement."""

    normal_fen: int
    penalty_fen: int
    compound_fen: int

    @property
    def total_fen(self) -> int:
        """All three kinds together."""
        return self.normal_fen + self.penalty_fen + self.compound_fen


def round_half_up_fen(units: int) -> int:
    """Whole fen of a non-negative exact amount in units, rounded half-up (四舍五入)."""
    # UNITS_PER_FEN is even, so half a fen is an exact integer number of units.
    return (units + UNITS_PER_FEN // 2) // UNITS_PER_FEN


def daily_interest_units(principal_fen: int, annual_rate: Decimal) -> int:
    """Exact interest of one day (actual/360) on principal_fen at annual_rate, in units."""
    return _fen(principal_fen, "principal_fen") * scaled_rate(annual_rate)


def accrue_day(state: Accrual, principal_fen: int, annual_rate: Decimal) -> tuple[Accrual, int]:
    """Accrue one day on principal_fen; return the new state and the whole fen to post today."""
    exact = state.exact_units + daily_interest_units(principal_fen, annual_rate)
    posted = round_half_up_fen(exact)
    return replace(state, exact_units=exact, posted_fen=posted), posted - state.posted_fen


def settle(state: Accrual) -> tuple[Accrual, int]:
    """Make every posted, unsettled fen due; return the new state and the fen that became due."""
    return replace(state, settled_fen=state.posted_fen), state.unsettled_fen


def penalty_rate(contract_rate: Decimal, multiplier: Decimal = DEFAULT_PENALTY_MULTIPLIER) -> Decimal:
    """The penalty (罚息) annual rate: contract rate × multiplier, exactly."""
    scaled_rate(contract_rate)
    if not isinstance(multiplier, Decimal) or not multiplier.is_finite() or multiplier < 0:
        raise ValueError(f"multiplier must be a finite non-negative Decimal, got {multiplier!r}")
    return contract_rate * multiplier


def is_settlement_day(day: datetime.date, settlement_day: int = DEFAULT_SETTLEMENT_DAY) -> bool:
    """Whether interest settles at the end of this day (结息日, the 20th)."""
    return day.day == settlement_day


def interest_due_date(settlement: datetime.date) -> datetime.date:
    """The date interest settled on this day is due: the next day (the 21st)."""
    return settlement + datetime.timedelta(days=1)


def accrues_as_overdue(day: datetime.date, due_date: datetime.date) -> bool:
    """Whether an amount still unpaid at the close of day accrues at the penalty rate for that day."""
    # 算头不算尾: normal interest stops the day before maturity, so the due date itself is already past due.
    return day >= due_date


def accrue_loan_day(
    state: LoanAccruals,
    *,
    principal_fen: int,
    overdue_principal_fen: int,
    overdue_interest_fen: int,
    contract_rate: Decimal,
    penalty_multiplier: Decimal = DEFAULT_PENALTY_MULTIPLIER,
    compound: bool = True,
) -> tuple[LoanAccruals, LoanFen]:
    """Accrue one day of one loan; amounts are as at the close of the day, principal_fen excludes overdue."""
    rate = penalty_rate(contract_rate, penalty_multiplier)
    normal, normal_fen = accrue_day(state.normal, principal_fen, contract_rate)
    penalty, penalty_fen = accrue_day(state.penalty, overdue_principal_fen, rate)
    # With compounding off the compound accrual stays untouched, whatever interest is overdue.
    compound_state, compound_fen = accrue_day(state.compound, overdue_interest_fen if compound else 0, rate)
    return LoanAccruals(normal, penalty, compound_state), LoanFen(normal_fen, penalty_fen, compound_fen)


def settle_loan(state: LoanAccruals) -> tuple[LoanAccruals, LoanFen]:
    """Settle all three kinds (on the 20th); return the new state and the fen that became due per kind."""
    normal, normal_fen = settle(state.normal)
    penalty, penalty_fen = settle(state.penalty)
    compound, compound_fen = settle(state.compound)
    return LoanAccruals(normal, penalty, compound), LoanFen(normal_fen, penalty_fen, compound_fen)


def interest_between(principal_fen: int, annual_rate: Decimal, start: datetime.date, end: datetime.date) -> int:
    """Interest in fen on a constant principal for the days start (inclusive) to end (exclusive), rounded once."""
    days = (end - start).days
    if days < 0:
        raise ValueError(f"end {end} is before start {start}")
    return round_half_up_fen(daily_interest_units(principal_fen, annual_rate) * days)


def scaled_rate(annual_rate: Decimal) -> int:
    """The rate as an integer number of 10**-RATE_PLACES percent; refuses floats and finer rates."""
    if not isinstance(annual_rate, Decimal) or not annual_rate.is_finite() or annual_rate < 0:
        raise ValueError(f"annual_rate must be a finite non-negative Decimal, got {annual_rate!r}")
    scaled = annual_rate.scaleb(RATE_PLACES)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"annual_rate {annual_rate} has more than {RATE_PLACES} decimal places")
    return int(scaled)


def _fen(value: int, name: str) -> int:
    """A non-negative integer number of fen, or ValueError."""
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer number of fen, got {value!r}")
    return value


def _is_int(value: object) -> bool:
    """An int that is not a bool (True is not one fen)."""
    return isinstance(value, int) and not isinstance(value, bool)
