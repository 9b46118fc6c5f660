"""Credit household, village and township designations (信用户 / 信用村 / 信用乡镇, DOMAIN §5), pure: no Django.

Defaults, all configurable through ``DesignationThresholds``:

- 信用户: a rating of A or better, still valid (rated less than 3 years ago: valid up to the day before the
  third anniversary), and no loan in 关注 special mention or worse.
- 信用村: credit households / households ≥ 70 % and NPL balance / loan balance < 5 %.
- 信用乡镇: credit villages / villages ≥ 50 % and NPL balance / loan balance < 5 %.

Ratios are compared exactly as fractions (no float): exactly 70 % or 50 % is met, exactly 5 % is not.
A zero denominator (no households, no villages, no loan balance) means the condition is not met: there is
nothing to measure, and a designation is earned, not assumed.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from puhui.credit.classify import Classification, freezes_line

# Rating grades, best first (DOMAIN §3.6); anything else (no credit, no rating) is below A.
GRADES = ("AAA", "AA", "A")


@dataclass(frozen=True)
class DesignationThresholds:
    """The configurable defaults of the three designations."""

    village_credit_household_share: Decimal = Decimal("0.70")  # met at or above
    township_credit_village_share: Decimal = Decimal("0.50")  # met at or above
    npl_ratio_below: Decimal = Decimal("0.05")  # met strictly below
    rating_valid_years: int = 3
    min_grade: str = "A"

    def __post_init__(self) -> None:
        for name in ("village_credit_household_share", "township_credit_village_share", "npl_ratio_below"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a Decimal between 0 and 1, got {value!r}")
        if self.min_grade not in GRADES:
            raise ValueError(f"min_grade must be one of {GRADES}, got {self.min_grade!r}")
        if self.rating_valid_years < 1:
            raise ValueError("rating_valid_years must be at least 1")


DEFAULT = DesignationThresholds()


def is_credit_household(
    rating_grade: str | None,
    rated_on: datetime.date | None,
    today: datetime.date,
    worst_loan_class: Classification | str | None,
    thresholds: DesignationThresholds = DEFAULT,
) -> bool:
    """信用户: a valid rating of the minimum grade or better and no loan in special mention or worse."""
    return (
        grade_at_least(rating_grade, thresholds.min_grade)
        and rating_is_valid(rated_on, today, thresholds.rating_valid_years)
        and (worst_loan_class is None or not freezes_line(Classification(worst_loan_class)))
    )


def is_credit_village(
    credit_households: int,
    households: int,
    npl_balance_fen: int,
    loan_balance_fen: int,
    thresholds: DesignationThresholds = DEFAULT,
) -> bool:
    """信用村: enough credit households and an NPL ratio below the limit."""
    return share_at_least(credit_households, households, thresholds.village_credit_household_share) and (
        npl_ratio_below(npl_balance_fen, loan_balance_fen, thresholds.npl_ratio_below)
    )


def is_credit_township(
    credit_villages: int,
    villages: int,
    npl_balance_fen: int,
    loan_balance_fen: int,
    thresholds: DesignationThresholds = DEFAULT,
) -> bool:
    """信用乡镇: enough credit villages and an NPL ratio below the limit."""
    return share_at_least(credit_villages, villages, thresholds.township_credit_village_share) and (
        npl_ratio_below(npl_balance_fen, loan_balance_fen, thresholds.npl_ratio_below)
    )


def grade_at_least(grade: str | None, min_grade: str) -> bool:
    """Whether a grade is min_grade or better; an unknown or missing grade never is."""
    return grade in GRADES and GRADES.index(grade) <= GRADES.index(min_grade)


def rating_is_valid(rated_on: datetime.date | None, today: datetime.date, valid_years: int) -> bool:
    """Whether a rating made on rated_on is still current today (before its valid_years anniversary)."""
    return rated_on is not None and today < _add_years(rated_on, valid_years)


def share_at_least(part: int, whole: int, share: Decimal) -> bool:
    """part / whole ≥ share, exactly; not met when whole is zero."""
    _check_part(part, whole)
    return whole > 0 and Fraction(part, whole) >= Fraction(share)


def npl_ratio_below(npl_balance_fen: int, loan_balance_fen: int, limit: Decimal) -> bool:
    """NPL balance / loan balance < limit, exactly; not met when there is no loan balance."""
    _check_part(npl_balance_fen, loan_balance_fen)
    return loan_balance_fen > 0 and Fraction(npl_balance_fen, loan_balance_fen) < Fraction(limit)


def _check_part(part: int, whole: int) -> None:
    # A part larger than its whole is a bug upstream; refusing it beats a meaningless designation.
    if not 0 <= part <= whole:
        raise ValueError(f"expected 0 ≤ {part} ≤ {whole}")


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap target year: the anniversary is the 28th
        return day.replace(year=day.year + years, day=28)
