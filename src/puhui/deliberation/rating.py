"""评级定额: the 100-point scorecard, grade, credit limit and rate of one household, pure: no Django.

Money is integer fen (1 yuan = 100 fen); ratios are exact ``Fraction``; scores and rates are ``Decimal``,
rates in annual percent (``Decimal("4.35")`` is 4.35 % a year). A ``float`` anywhere is refused
(``TypeError``), never rounded.

Scorecard (DOMAIN §3 step 6, *default* weights; every band is a field of ``Scorecard``). A banded item scores
the points of the last band whose lower bound (inclusive) the value reaches, with that band's reason code;
"a–b" below means a ≤ value < b:

- household_size 家庭人口, 8: 1 person → 2; 2 → 5; 3–5 → 8; ≥ 6 → 6.
- working_members 劳动力, 8: none → 0; 1 → 4; 2 → 7; ≥ 3 → 8.
- assets_vs_median 总资产 ÷ 村中位数, 13: < 0.5× → 3; 0.5–1× → 7; 1–1.5× → 10; ≥ 1.5× → 13.
- net_assets 净资产 (assets − debts), 13: negative → 0; 0–50k yuan → 4; 50k–200k → 8; 200k–500k → 11;
  ≥ 500k → 13.
- bank_shareholding 本行股金, 4: none → 0; under 10k yuan → 2; ≥ 10k yuan → 4.
- income_vs_median 家庭年纯收入 ÷ 村中位数, 14: negative → 0; 0–0.5× → 3; 0.5–1× → 7; 1–1.5× → 11; ≥ 1.5× → 14.
- panel_score 评议得分, 30: the panel's score (0–30, from ``aggregate``) as it is (reason ``panel_score``).
- repayment_history 还款记录, 10: clean 按时还款 → 10; no history 无借贷记录 → 6; overdue since settled 有逾期已结清
  → 3; overdue now 当前逾期 → 0 (reason ``repayment_<history>``).

The score is the exact sum (a ``Decimal`` with the panel score's two places), between 0 and 100.

Grades (``Terms.grades``): score ≥ 85 AAA, ≥ 75 AA, ≥ 60 A, below: no grade and no credit.

Limit (授信额度) = min(grade cap [AAA 300,000 / AA 200,000 / A 100,000 yuan], panel amount (评议额度, the
median), capacity = 2 × annual net income + 10 % × net assets (negative net assets contribute 0; a negative
capacity counts as 0)), never above the plan's ceiling 300,000 yuan, rounded **down** to 1,000 yuan. The
binding constraint is named (``limit_by_grade_cap`` / ``limit_by_panel`` / ``limit_by_capacity``; on a tie
the first in that order). A limit below 1,000 yuan is no credit (``limit_below_minimum``).

Rate (利率) = 1-year LPR (the latest effective on the day, ``lpr_on``) + grade spread (AAA +0.50, AA +0.85,
A +1.20 percentage points).

Speed (a county rates ~200,000 households): ``Scorecard`` and ``Terms`` keep their bounds and ratios as integer
pairs, so a value a/b reaches a bound p/q when a × q ≥ p × b and capacity is floored with ``//``: exact, and no
``Fraction`` per household; ``Decimal`` only for the score and rate the API returns.
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple

YUAN = 100  # fen per yuan
LIMIT_BY_GRADE_CAP = "limit_by_grade_cap"
LIMIT_BY_PANEL = "limit_by_panel"
LIMIT_BY_CAPACITY = "limit_by_capacity"
LIMIT_BELOW_MINIMUM = "limit_below_minimum"
NO_GRADE = "no_grade"


# Validation helpers come first: the defaults below are built at import.
def _require_int(name: str, value: object, minimum: int | None) -> None:
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


def _decimal(name: str, value: object) -> Decimal:
    if type(value) is Decimal and value.is_finite():
        return value  # Decimal(value) would be an equal copy
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"{name} must be a Decimal or an int (never float), got {value!r}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return result


def _exact(name: str, value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise TypeError(f"{name} must be an int, Fraction or Decimal (never float), got {value!r}")
    return Fraction(value)


class Grade(StrEnum):
    """信用等级, best first."""

    AAA = "AAA"
    AA = "AA"
    A = "A"


class RepaymentHistory(StrEnum):
    """还款记录 of the household with the bank and the credit bureau."""

    CLEAN = "clean"  # 按时还款
    NO_HISTORY = "no_history"  # 无借贷记录
    SETTLED_OVERDUE = "settled_overdue"  # 有逾期, 已结清
    CURRENT_OVERDUE = "current_overdue"  # 当前逾期


class NoLprError(LookupError):
    """No LPR is effective on the requested day."""


class ItemScore(NamedTuple):
    """One scorecard line: ``("assets_vs_median", Decimal(13), "assets_ge_1_5x_median")``."""

    item: str
    points: Decimal
    reason: str


@dataclass(frozen=True)
class Band:
    """One scoring band: ``points`` for a value of at least ``at_least`` (None: no lower bound)."""

    at_least: Fraction | None
    points: int
    reason: str

    def __post_init__(self) -> None:
        if self.at_least is not None:
            object.__setattr__(self, "at_least", _exact("at_least", self.at_least))
        _require_int("points", self.points, minimum=0)
        if not isinstance(self.reason, str) or not self.reason:
            raise ValueError(f"a band needs a reason code, got {self.reason!r}")


def _bands(*rows: tuple[int | Fraction | None, int, str]) -> tuple[Band, ...]:
    return tuple(
        Band(Fraction(at_least) if at_least is not None else None, points, reason) for at_least, points, reason in rows
    )


def _check_bands(item: str, bands: tuple[Band, ...]) -> None:
    if not bands or not all(isinstance(band, Band) for band in bands) or bands[0].at_least is not None:
        raise ValueError(f"{item}: bands must be Band values, the first without a lower bound")
    bounds = [band.at_least for band in bands[1:] if band.at_least is not None]
    if len(bounds) != len(bands) - 1 or any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
        raise ValueError(f"{item}: lower bounds must ascend strictly")


def _band_lines(item: str, bands: tuple[Band, ...]) -> tuple[tuple[int, int, ItemScore], ...]:
    # (p, q, line) per band, highest first, for the bound p/q; the first band, unbounded, gets 0/0, which every
    # value reaches (a × 0 ≥ 0 × b). Built once per Scorecard: ItemScore and Decimal are immutable.
    bounds = [(0, 0)] + [(band.at_least.numerator, band.at_least.denominator) for band in bands[1:]]
    lines = [
        (p, q, ItemScore(item, Decimal(band.points), band.reason)) for (p, q), band in zip(bounds, bands, strict=True)
    ]
    return tuple(reversed(lines))


def _line(value: int, per: int, lines: tuple[tuple[int, int, ItemScore], ...]) -> ItemScore:
    """The line of the last band whose bound p/q value/per reaches (per > 0): value × q ≥ p × per."""
    for bound, bound_per, line in lines:
        if value * bound_per >= bound * per:
            return line
    raise AssertionError("the first band has no bound")


HOUSEHOLD_SIZE_BANDS = _bands(
    (None, 2, "household_size_1"),
    (2, 5, "household_size_2"),
    (3, 8, "household_size_3_5"),
    (6, 6, "household_size_ge_6"),
)
WORKING_MEMBERS_BANDS = _bands(
    (None, 0, "working_none"), (1, 4, "working_1"), (2, 7, "working_2"), (3, 8, "working_ge_3")
)
ASSETS_VS_MEDIAN_BANDS = _bands(  # total assets ÷ village median
    (None, 3, "assets_lt_0_5x_median"),
    (Fraction(1, 2), 7, "assets_0_5x_to_1x_median"),
    (1, 10, "assets_1x_to_1_5x_median"),
    (Fraction(3, 2), 13, "assets_ge_1_5x_median"),
)
NET_ASSETS_BANDS = _bands(  # fen
    (None, 0, "net_assets_negative"),
    (0, 4, "net_assets_lt_50k"),
    (50_000 * YUAN, 8, "net_assets_50k_to_200k"),
    (200_000 * YUAN, 11, "net_assets_200k_to_500k"),
    (500_000 * YUAN, 13, "net_assets_ge_500k"),
)
SHAREHOLDING_BANDS = _bands(  # fen
    (None, 0, "shareholding_none"), (1, 2, "shareholding_lt_10k"), (10_000 * YUAN, 4, "shareholding_ge_10k")
)
INCOME_VS_MEDIAN_BANDS = _bands(  # annual net income ÷ village median
    (None, 0, "income_negative"),
    (0, 3, "income_lt_0_5x_median"),
    (Fraction(1, 2), 7, "income_0_5x_to_1x_median"),
    (1, 11, "income_1x_to_1_5x_median"),
    (Fraction(3, 2), 14, "income_ge_1_5x_median"),
)
DEFAULT_REPAYMENT_POINTS: Mapping[RepaymentHistory, int] = MappingProxyType(  # in RepaymentHistory order
    dict(zip(RepaymentHistory, (10, 6, 3, 0), strict=True))
)
BANDED_ITEMS = (
    "household_size",
    "working_members",
    "assets_vs_median",
    "net_assets",
    "bank_shareholding",
    "income_vs_median",
)
ITEMS = (*BANDED_ITEMS, "panel_score", "repayment_history")


@dataclass(frozen=True, kw_only=True)
class Scorecard:
    """The bank's scorecard: bands per item, the panel weight and repayment points; the maxima sum to 100."""

    household_size: tuple[Band, ...] = HOUSEHOLD_SIZE_BANDS
    working_members: tuple[Band, ...] = WORKING_MEMBERS_BANDS
    assets_vs_median: tuple[Band, ...] = ASSETS_VS_MEDIAN_BANDS
    net_assets: tuple[Band, ...] = NET_ASSETS_BANDS
    bank_shareholding: tuple[Band, ...] = SHAREHOLDING_BANDS
    income_vs_median: tuple[Band, ...] = INCOME_VS_MEDIAN_BANDS
    panel_max: int = 30
    repayment_points: Mapping[RepaymentHistory, int] = field(
        default_factory=lambda: DEFAULT_REPAYMENT_POINTS, hash=False
    )

    def __post_init__(self) -> None:
        for item in BANDED_ITEMS:
            _check_bands(item, getattr(self, item))
        _require_int("panel_max", self.panel_max, minimum=0)
        points = {RepaymentHistory(key): value for key, value in self.repayment_points.items()}
        if set(points) != set(RepaymentHistory):
            raise ValueError("repayment_points must give points for every repayment history")
        for value in points.values():
            _require_int("repayment points", value, minimum=0)
        object.__setattr__(self, "repayment_points", MappingProxyType(points))
        if self.max_total != 100:
            raise ValueError(f"the item maxima must sum to 100, got {self.max_total}")
        # Derived once for score_items (plain attributes, not fields: equality, hash and repr ignore them).
        object.__setattr__(self, "_lines", tuple(_band_lines(item, getattr(self, item)) for item in BANDED_ITEMS))
        lines = {
            key: ItemScore("repayment_history", Decimal(value), f"repayment_{key.value}")
            for key, value in points.items()
        }
        object.__setattr__(self, "_repayment_lines", lines)

    def weight(self, item: str) -> int:
        """The most points an item can give."""
        if item == "panel_score":
            return self.panel_max
        if item == "repayment_history":
            return max(self.repayment_points.values())
        bands: tuple[Band, ...] = getattr(self, item)
        return max(band.points for band in bands)

    @property
    def max_total(self) -> int:
        """The sum of the item weights."""
        return sum(self.weight(item) for item in ITEMS)


DEFAULT_SCORECARD = Scorecard()


@dataclass(frozen=True)
class GradeTerms:
    """One grade: the lowest score that earns it, its limit cap and its spread over the LPR."""

    grade: Grade
    min_score: Decimal
    cap_fen: int
    spread: Decimal  # percentage points over the 1-year LPR

    def __post_init__(self) -> None:
        object.__setattr__(self, "grade", Grade(self.grade))
        object.__setattr__(self, "min_score", _decimal("min_score", self.min_score))
        object.__setattr__(self, "spread", _decimal("spread", self.spread))
        _require_int("cap_fen", self.cap_fen, minimum=1)
        if not 0 <= self.min_score <= 100 or self.spread < 0:
            raise ValueError(f"{self.grade}: min_score must lie in 0..100 and spread must not be negative")


DEFAULT_GRADES = (
    GradeTerms(Grade.AAA, Decimal(85), 300_000 * YUAN, Decimal("0.50")),
    GradeTerms(Grade.AA, Decimal(75), 200_000 * YUAN, Decimal("0.85")),
    GradeTerms(Grade.A, Decimal(60), 100_000 * YUAN, Decimal("1.20")),
)


@dataclass(frozen=True, kw_only=True)
class Terms:
    """Grades, limit and rate rules (*defaults* of DOMAIN §3 step 6)."""

    grades: tuple[GradeTerms, ...] = DEFAULT_GRADES  # best first
    ceiling_fen: int = 300_000 * YUAN  # the plan's ceiling per household
    step_fen: int = 1_000 * YUAN  # limits are rounded down to a multiple of this
    minimum_fen: int = 1_000 * YUAN  # below this, no credit
    income_multiple: Fraction = Fraction(2)  # capacity: × annual net income
    net_assets_share: Fraction = Fraction(1, 10)  # capacity: + this share of positive net assets

    def __post_init__(self) -> None:
        for name in ("ceiling_fen", "step_fen", "minimum_fen"):
            _require_int(name, getattr(self, name), minimum=1)
        for name in ("income_multiple", "net_assets_share"):
            value = _exact(name, getattr(self, name))
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
            object.__setattr__(self, name, value)
        grades = tuple(self.grades)
        if [terms.grade for terms in grades] != list(Grade):
            raise ValueError("grades must list AAA, AA and A once each, best first")
        if any(better.min_score <= worse.min_score for better, worse in zip(grades, grades[1:], strict=False)):
            raise ValueError("a better grade needs a strictly higher min_score")
        if any(terms.cap_fen > self.ceiling_fen for terms in grades):
            raise ValueError("no grade cap may exceed the ceiling")
        object.__setattr__(self, "grades", grades)
        # Derived once (plain attributes, not fields): capacity a/b × income + c/d × net assets, exactly floored,
        # is (a·d × income + c·b × net assets) // (b·d).
        object.__setattr__(self, "_by_grade", {terms.grade: terms for terms in grades})
        a, b = self.income_multiple.numerator, self.income_multiple.denominator
        c, d = self.net_assets_share.numerator, self.net_assets_share.denominator
        object.__setattr__(self, "_capacity", (a * d, c * b, b * d))

    def of(self, grade: Grade) -> GradeTerms:
        """The terms of one grade."""
        return self._by_grade[grade if type(grade) is Grade else Grade(grade)]


DEFAULT_TERMS = Terms()


@dataclass(frozen=True, kw_only=True)
class RatingInput:
    """What the scorecard needs about one household (amounts in fen) and its panel result."""

    household_size: int  # 家庭人口
    working_members: int  # 劳动力
    total_assets_fen: int  # 家庭总资产
    debts_fen: int  # 家庭负债
    net_income_fen: int  # 家庭年纯收入 (may be negative)
    shareholding_fen: int  # 本行股金
    repayment_history: RepaymentHistory
    village_median_assets_fen: int
    village_median_income_fen: int
    panel_score: Decimal  # 评议得分 0–panel_max, from aggregate
    panel_amount_fen: int  # 评议额度 (panel median), from aggregate

    def __post_init__(self) -> None:
        _require_int("household_size", self.household_size, minimum=1)
        _require_int("working_members", self.working_members, minimum=0)
        if self.working_members > self.household_size:
            raise ValueError("working_members cannot exceed household_size")
        for name in ("total_assets_fen", "debts_fen", "shareholding_fen", "panel_amount_fen"):
            _require_int(name, getattr(self, name), minimum=0)
        _require_int("net_income_fen", self.net_income_fen, minimum=None)
        for name in ("village_median_assets_fen", "village_median_income_fen"):
            _require_int(name, getattr(self, name), minimum=1)
        if type(self.repayment_history) is not RepaymentHistory:  # a code given as a string
            object.__setattr__(self, "repayment_history", RepaymentHistory(self.repayment_history))
        if (score := _decimal("panel_score", self.panel_score)) is not self.panel_score:
            object.__setattr__(self, "panel_score", score)
        if self.panel_score < 0:
            raise ValueError(f"panel_score cannot be negative, got {self.panel_score}")

    @property
    def net_assets_fen(self) -> int:
        """净资产 = total assets − debts (may be negative)."""
        return self.total_assets_fen - self.debts_fen


@dataclass(frozen=True)
class Limit:
    """The credit limit and what bound it."""

    limit_fen: int  # 0 = no credit
    reason: str  # the binding code when granted, else limit_below_minimum or no_grade
    binding: str | None  # the smallest constraint, even when below the minimum; None without a grade
    grade_cap_fen: int | None
    panel_fen: int
    capacity_fen: int


@dataclass(frozen=True)
class Rating:
    """评级定额 result: scorecard lines, score, grade, limit and rate (None without credit)."""

    items: tuple[ItemScore, ...]
    score: Decimal
    grade: Grade | None
    limit: Limit
    rate_percent: Decimal | None


def score_items(facts: RatingInput, scorecard: Scorecard = DEFAULT_SCORECARD) -> tuple[ItemScore, ...]:
    """Every scorecard line, in ``ITEMS`` order."""
    if facts.panel_score > scorecard.panel_max:
        raise ValueError(f"panel_score {facts.panel_score} exceeds the panel weight {scorecard.panel_max}")
    size, working, assets, net_assets, shares, income = scorecard._lines
    return (
        _line(facts.household_size, 1, size),
        _line(facts.working_members, 1, working),
        _line(facts.total_assets_fen, facts.village_median_assets_fen, assets),
        _line(facts.total_assets_fen - facts.debts_fen, 1, net_assets),
        _line(facts.shareholding_fen, 1, shares),
        _line(facts.net_income_fen, facts.village_median_income_fen, income),
        ItemScore("panel_score", facts.panel_score, "panel_score"),
        scorecard._repayment_lines[facts.repayment_history],
    )


def grade_for(score: Decimal, terms: Terms = DEFAULT_TERMS) -> Grade | None:
    """The best grade whose minimum the score reaches; None below the lowest (no credit)."""
    score = _decimal("score", score)
    for grade in terms.grades:  # best first
        if score >= grade.min_score:
            return grade.grade
    return None


def capacity_fen(net_income_fen: int, net_assets_fen: int, terms: Terms = DEFAULT_TERMS) -> int:
    """还款能力: income multiple × net income + share of positive net assets, floored to the fen, at least 0."""
    _require_int("net_income_fen", net_income_fen, minimum=None)
    _require_int("net_assets_fen", net_assets_fen, minimum=None)
    income_times, assets_times, per = terms._capacity
    return max((income_times * net_income_fen + assets_times * max(net_assets_fen, 0)) // per, 0)


def credit_limit(
    grade: Grade | None, panel_fen: int, net_income_fen: int, net_assets_fen: int, terms: Terms = DEFAULT_TERMS
) -> Limit:
    """The limit: the smallest of grade cap, panel amount and capacity, under the ceiling, rounded down."""
    _require_int("panel_fen", panel_fen, minimum=0)
    capacity = capacity_fen(net_income_fen, net_assets_fen, terms)
    if grade is None:
        return Limit(0, NO_GRADE, None, None, panel_fen, capacity)
    cap = terms.of(grade).cap_fen
    binding, smallest = LIMIT_BY_GRADE_CAP, cap  # on a tie the first in this order binds
    if panel_fen < smallest:
        binding, smallest = LIMIT_BY_PANEL, panel_fen
    if capacity < smallest:
        binding, smallest = LIMIT_BY_CAPACITY, capacity
    limit = min(smallest, terms.ceiling_fen) // terms.step_fen * terms.step_fen
    if limit < terms.minimum_fen:
        return Limit(0, LIMIT_BELOW_MINIMUM, binding, cap, panel_fen, capacity)
    return Limit(limit, binding, binding, cap, panel_fen, capacity)


def rate_percent(grade: Grade, lpr_percent: Decimal, terms: Terms = DEFAULT_TERMS) -> Decimal:
    """Annual rate in percent: the 1-year LPR plus the grade's spread."""
    return _decimal("lpr_percent", lpr_percent) + terms.of(grade).spread


def lpr_on(table: Sequence[tuple[datetime.date, Decimal]], day: datetime.date) -> Decimal:
    """The 1-year LPR in force on a day: the rate of the latest effective date on or before it."""
    rates: dict[datetime.date, Decimal] = {}
    for effective, rate in table:
        rate = _decimal("LPR", rate)
        if rates.setdefault(effective, rate) != rate:
            raise ValueError(f"two different LPRs are effective on {effective}")
    effective_dates = [effective for effective in rates if effective <= day]
    if not effective_dates:
        raise NoLprError(f"no LPR is effective on or before {day}")
    return rates[max(effective_dates)]


def rate_household(
    facts: RatingInput,
    lpr_percent: Decimal,
    scorecard: Scorecard = DEFAULT_SCORECARD,
    terms: Terms = DEFAULT_TERMS,
) -> Rating:
    """评级定额 of one household: scorecard, grade, limit and rate."""
    lpr_percent = _decimal("lpr_percent", lpr_percent)
    items = score_items(facts, scorecard)
    score = Decimal(0)
    for line in items:  # the exact sum, in item order
        score += line.points
    grade = grade_for(score, terms)
    limit = credit_limit(grade, facts.panel_amount_fen, facts.net_income_fen, facts.net_assets_fen, terms)
    rate = rate_percent(grade, lpr_percent, terms) if grade is not None and limit.limit_fen else None
    return Rating(items, score, grade, limit, rate)
