"""准入 eligibility screening of a household's proposed borrower, pure: no Django.

Rules (DOMAIN §3 step 5; the thresholds are fields of ``EligibilityRules``, defaults shown). Every reason that
applies is listed — black reasons first, then grey, each group in the order below — so staff see the whole
picture even when one black reason already refuses the household.

黑名单 black (refused):

- ``bureau_current_overdue``: the bureau reports a current overdue (当前逾期);
- ``bureau_non_performing``: a non-performing balance on or off balance sheet (不良余额);
- ``serving_sentence``: serving a sentence (服刑);
- ``drug_record``: a drug record (涉毒);
- ``deliberation_veto``: refused by the panel's veto (评议否决).

灰名单 grey (a staff member decides, with a written reason):

- ``bureau_missing``: no bureau facts at all for the borrower (nothing to clear them with);
- ``litigation_defendant``: defendant in litigation (被诉);
- ``settled_overdue_recent``: an overdue settled within the last 24 calendar months: settled on or after the
  day ``today`` shifted back 24 months (the day of month kept, or the month's last day when that month is
  shorter). On 2017-06-30 the cut-off is 2015-06-30: settled 2015-06-30 or 2015-07-01 is recent, 2015-06-29
  is not. On 2017-02-28 a settlement on 2015-02-28 is recent (2015 has no 29 February);
- ``age_outside_range``: the borrower's age in whole years on ``today`` is outside 18–65 inclusive. A birthday
  is reached on the same month and day; someone born on 29 February reaches it on 1 March in other years. So
  a borrower is in range from the 18th birthday to the day before the 66th;
- ``age_unknown``: no birth date (instead of ``age_outside_range``);
- ``informal_high_interest``: the panel flagged informal high-interest borrowing (民间高息借款).

白名单 white: none of these. Low income (低收入农户) is deliberately not a reason: it tags the household for the
low-income programme instead (DOMAIN §3 step 5).

Speed (a county batch screens ~200,000 borrowers on one business day): arguments of the exact expected types
are checked with ``type(x) is …`` before any slower check, and the look-back cut-off is computed once per
``today`` and number of months (``_look_back``, a small cache).
"""

import calendar
import datetime
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

BUREAU_CURRENT_OVERDUE = "bureau_current_overdue"
BUREAU_NON_PERFORMING = "bureau_non_performing"
SERVING_SENTENCE = "serving_sentence"
DRUG_RECORD = "drug_record"
DELIBERATION_VETO = "deliberation_veto"
BUREAU_MISSING = "bureau_missing"
LITIGATION_DEFENDANT = "litigation_defendant"
SETTLED_OVERDUE_RECENT = "settled_overdue_recent"
AGE_OUTSIDE_RANGE = "age_outside_range"
AGE_UNKNOWN = "age_unknown"
INFORMAL_HIGH_INTEREST = "informal_high_interest"

BLACK_REASONS = (BUREAU_CURRENT_OVERDUE, BUREAU_NON_PERFORMING, SERVING_SENTENCE, DRUG_RECORD, DELIBERATION_VETO)
GREY_REASONS = (
    BUREAU_MISSING,
    LITIGATION_DEFENDANT,
    SETTLED_OVERDUE_RECENT,
    AGE_OUTSIDE_RANGE,
    AGE_UNKNOWN,
    INFORMAL_HIGH_INTEREST,
)


class ScreenList(StrEnum):
    """The three lists; the values are those of ``Proposal.Screen``."""

    WHITE = "white"  # 白名单
    GREY = "grey"  # 灰名单
    BLACK = "black"  # 黑名单


def _require_bool(name: str, value: object) -> None:
    if value is not True and value is not False:
        raise TypeError(f"{name} must be a bool, got {value!r}")


def _require_date(name: str, value: object, *, optional: bool = False) -> None:
    if type(value) is datetime.date or (value is None and optional):
        return
    # datetime is a date subclass; a timestamp where a day is meant hides a time-zone question.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise TypeError(f"{name} must be a date, got {value!r}")


def _require_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


@dataclass(frozen=True, kw_only=True)
class BureauFacts:
    """征信: one person's credit-bureau facts as of the query date."""

    queried_on: datetime.date
    current_overdue: bool = False
    non_performing: bool = False
    serving_sentence: bool = False
    drug_record: bool = False
    litigation_defendant: bool = False
    settled_overdue_on: datetime.date | None = None  # the last overdue, since settled

    def __post_init__(self) -> None:
        _require_date("queried_on", self.queried_on)
        _require_date("settled_overdue_on", self.settled_overdue_on, optional=True)
        for name in ("current_overdue", "non_performing", "serving_sentence", "drug_record", "litigation_defendant"):
            _require_bool(name, getattr(self, name))


@dataclass(frozen=True, kw_only=True)
class EligibilityRules:
    """The bank's screening thresholds (DOMAIN §3 step 5 defaults; ``DeliberationRules`` holds the bank's)."""

    age_min: int = 18
    age_max: int = 65
    past_overdue_months: int = 24

    def __post_init__(self) -> None:
        for name in ("age_min", "age_max", "past_overdue_months"):
            _require_count(name, getattr(self, name))
        if self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} is above age_max {self.age_max}")

    @classmethod
    def of(cls, rules: object) -> "EligibilityRules":
        """From the bank's rules row: anything with borrower_age_min, borrower_age_max and past_overdue_months."""
        return cls(
            age_min=rules.borrower_age_min,  # type: ignore[attr-defined]
            age_max=rules.borrower_age_max,  # type: ignore[attr-defined]
            past_overdue_months=rules.past_overdue_months,  # type: ignore[attr-defined]
        )


DEFAULT_ELIGIBILITY_RULES = EligibilityRules()


@dataclass(frozen=True)
class Screening:
    """The result: the list and every reason code that applies, black reasons first."""

    list: ScreenList
    reasons: tuple[str, ...]


def age_on(birth: datetime.date, today: datetime.date) -> int:
    """Age in whole years (周岁) on ``today``; a 29 February birthday is reached on 1 March in other years."""
    before_birthday = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - before_birthday


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day of month ``months`` calendar months earlier, or that month's last day when it is shorter."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def screen(
    facts: BureauFacts | None,
    *,
    borrower_birth: datetime.date | None,
    today: datetime.date,
    panel_vetoed: bool,
    high_interest_flagged: bool,
    rules: EligibilityRules = DEFAULT_ELIGIBILITY_RULES,
) -> Screening:
    """Screen one borrower: black when any black reason applies, grey when only grey ones do, else white."""
    if facts is not None and not isinstance(facts, BureauFacts):
        raise TypeError(f"facts must be BureauFacts or None, got {facts!r}")
    _require_date("borrower_birth", borrower_birth, optional=True)
    _require_date("today", today)
    _require_bool("panel_vetoed", panel_vetoed)
    _require_bool("high_interest_flagged", high_interest_flagged)
    if type(rules) is not EligibilityRules and not isinstance(rules, EligibilityRules):
        raise TypeError(f"rules must be EligibilityRules, got {rules!r}")
    reasons = []  # black reasons, then grey ones, each group in BLACK_REASONS / GREY_REASONS order
    if facts is not None:
        if facts.current_overdue:
            reasons.append(BUREAU_CURRENT_OVERDUE)
        if facts.non_performing:
            reasons.append(BUREAU_NON_PERFORMING)
        if facts.serving_sentence:
            reasons.append(SERVING_SENTENCE)
        if facts.drug_record:
            reasons.append(DRUG_RECORD)
    if panel_vetoed:
        reasons.append(DELIBERATION_VETO)
    black = bool(reasons)
    if facts is None:
        reasons.append(BUREAU_MISSING)
    else:
        if facts.litigation_defendant:
            reasons.append(LITIGATION_DEFENDANT)
        settled = facts.settled_overdue_on
        if settled is not None and settled >= _look_back(today, rules.past_overdue_months):
            reasons.append(SETTLED_OVERDUE_RECENT)
    if borrower_birth is None:
        reasons.append(AGE_UNKNOWN)
    elif not rules.age_min <= age_on(borrower_birth, today) <= rules.age_max:
        reasons.append(AGE_OUTSIDE_RANGE)
    if high_interest_flagged:
        reasons.append(INFORMAL_HIGH_INTEREST)
    if black:
        return Screening(ScreenList.BLACK, tuple(reasons))
    return Screening(ScreenList.GREY if reasons else ScreenList.WHITE, tuple(reasons))


@lru_cache(maxsize=64)
def _look_back(today: datetime.date, months: int) -> datetime.date:
    """The settled-overdue cut-off: ``months_before(today, months)``, once per day and rule (a batch has one)."""
    return months_before(today, months)
