"""背靠背公议 aggregation: one household's blind votes → the panel's view, pure: no Django.

Rules (DOMAIN §3 step 4; every threshold is a field of ``Rules``, the defaults are shown):

1. Abstention (不了解, ``knows_household`` false): the vote is not counted anywhere — not in the quorum, the
   tallies, the veto, the median or the score. The rest of an abstaining vote is ignored.
2. Quorum (法定票数): fewer than 3 counted votes → ``undecided`` (待定; the household goes to a later round).
   Below the quorum nothing is decided, not even a veto, and there is no panel amount or score; the
   tallies (flags, debt, refusals, high-interest) are still reported for staff.
3. Veto (一票否决 → 不予授信), on a quorate panel; every reason that applies is listed, in this order:
   - ``veto_gambling`` / ``veto_drugs``: the habit (赌博 / 涉毒) flagged by ≥ 2 counted evaluators. Each
     habit counts on its own: one gambling flag plus one drugs flag is no veto. The veto habits are
     configurable (``veto_<habit>`` for any ``Habit``), listed in ``Habit`` order;
   - ``veto_refusals``: refusals (建议额度 0) strictly more than 1/3 of the counted votes (exactly 1/3 is
     not a veto; 2 of 6 passes, 3 of 8 is vetoed).
4. Panel amount (评议额度) = median of the counted suggestions, refusals (0) included. With an even count it
   is the mean of the two middle values rounded **down** to the fen: the bank may grant less than the
   panel's view, never more. It is given only when the outcome is ``passed``: a vetoed household has no
   amount, so nothing downstream can grant on it.
5. Panel score (评议得分, 0–30) = mean of the counted integrity points (很好 30, 较好 25, 一般 15, 差 0),
   computed exactly and rounded half-up (四舍五入) to 2 decimal places (``Decimal``). It is given whenever
   the panel is quorate, vetoed included, so staff see how the panel judged the household.
6. 民间高息借款: ``high_interest_flagged`` when ≥ 2 counted evaluators report informal high-interest
   borrowing — an input of the grey list (灰名单) in eligibility screening, reported whatever the outcome.
7. Refusal reasons (拒绝理由) are tallied over counted refusing votes, each distinct reason once per vote,
   most frequent first, then by reason.

Money is integer fen (never ``float``); the result does not depend on the order of the votes.

Two steps, so that a batch may count in SQL and decide here: ``tally`` reduces the votes to a ``Tally``
(counts, the sum of integrity points, the two middle suggestions: everything rules 2–7 need), ``decide``
applies rules 2–6 to a ``Tally`` with integer arithmetic only. ``aggregate(votes)`` is
``decide(tally(votes))``: there is one implementation of the rules.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType


class Integrity(StrEnum):
    """诚信度, best first."""

    VERY_GOOD = "very_good"  # 很好
    GOOD = "good"  # 较好
    FAIR = "fair"  # 一般
    POOR = "poor"  # 差


class Habit(StrEnum):
    """不良嗜好 flags."""

    GAMBLING = "gambling"  # 赌博
    DRUGS = "drugs"  # 涉毒
    ALCOHOLISM = "alcoholism"  # 酗酒
    OTHER = "other"  # 其他


class Debt(StrEnum):
    """家庭负债 as the evaluator sees it."""

    NONE = "none"  # 无
    LITTLE = "little"  # 少量
    HIGH = "high"  # 较高


class Outcome(StrEnum):
    """The panel's decision for one household."""

    UNDECIDED = "undecided"  # 待定: below quorum
    VETOED = "vetoed"  # 不予授信 (refused by deliberation)
    PASSED = "passed"  # 通过


VETO_REFUSALS = "veto_refusals"
DEFAULT_INTEGRITY_POINTS: Mapping[Integrity, int] = MappingProxyType(
    {Integrity.VERY_GOOD: 30, Integrity.GOOD: 25, Integrity.FAIR: 15, Integrity.POOR: 0}
)
_HABITS, _DEBTS = tuple(Habit), tuple(Debt)


def veto_code(habit: Habit) -> str:
    """The veto reason code of a habit: ``veto_drugs``, ``veto_gambling``, …"""
    return f"veto_{Habit(habit).value}"


# Validation helpers come before the dataclasses: DEFAULT_RULES is built at import.
def _is_fen(value: object) -> bool:
    # bool is an int subclass; True fen is a bug, not one fen.
    return isinstance(value, int) and not isinstance(value, bool)


def _require_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r}")


def _require_count(name: str, value: object, minimum: int) -> None:
    if type(value) is int and value >= minimum:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


def _not_a_string(name: str, values: Iterable[str]) -> Iterable[str]:
    # A bare string is iterable too: "drugs" would become the letters d, r, u, g, s.
    if isinstance(values, str):
        raise TypeError(f"{name} must be a collection of codes, not the string {values!r}")
    return values


def _reasons(values: Iterable[str]) -> tuple[str, ...]:
    reasons = tuple(_not_a_string("refusal_reasons", values))
    if not all(isinstance(reason, str) and reason.strip() for reason in reasons):
        raise ValueError(f"refusal reasons must be non-empty strings, got {reasons!r}")
    return reasons


def _exact(name: str, value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise TypeError(f"{name} must be an int, Fraction or Decimal (never float), got {value!r}")
    return Fraction(value)


def _points(points: Mapping[Integrity, int]) -> Mapping[Integrity, int]:
    normalized = {Integrity(key): value for key, value in points.items()}
    if set(normalized) != set(Integrity):
        raise ValueError("integrity_points must give points for every integrity level")
    for key, value in normalized.items():
        _require_count(f"integrity_points[{key}]", value, minimum=0)
    return MappingProxyType(normalized)


def _check_levels(name: str, pairs: object, levels: tuple[StrEnum, ...]) -> tuple[int, ...]:
    """The counts of ``((level, count), …)`` naming every level in enum order, as enum members."""
    if type(pairs) is not tuple or len(pairs) != len(levels):
        raise ValueError(f"{name} must be a tuple of (level, count) for every {type(levels[0]).__name__}, in order")
    counts = []
    for pair, level in zip(pairs, levels, strict=True):
        if type(pair) is not tuple or len(pair) != 2 or pair[0] is not level:
            raise ValueError(f"{name} must be a tuple of (level, count) for every {type(levels[0]).__name__}, in order")
        if type(pair[1]) is not int or pair[1] < 0:
            _require_count(f"{name}[{level.value}]", pair[1], minimum=0)
        counts.append(pair[1])
    return tuple(counts)


@dataclass(frozen=True, kw_only=True)
class Vote:
    """背靠背评议: one evaluator's blind vote on one household; codes given as strings become enums."""

    knows_household: bool  # False: abstain (不了解), the rest of the vote is ignored
    integrity: Integrity | None  # required on a counted vote
    debt: Debt | None  # required on a counted vote
    suggested_fen: int  # 建议授信额度; 0 = refuse
    habits: frozenset[Habit] = frozenset()
    informal_high_interest: bool = False  # 民间高息借款
    refusal_reasons: tuple[str, ...] = ()  # only with a refusal

    def __post_init__(self) -> None:
        _require_bool("knows_household", self.knows_household)
        _require_bool("informal_high_interest", self.informal_high_interest)
        if not _is_fen(self.suggested_fen):
            raise TypeError(f"suggested_fen must be an integer number of fen, got {self.suggested_fen!r}")
        if self.suggested_fen < 0:
            raise ValueError(f"suggested_fen cannot be negative, got {self.suggested_fen}")
        object.__setattr__(self, "integrity", None if self.integrity is None else Integrity(self.integrity))
        object.__setattr__(self, "debt", None if self.debt is None else Debt(self.debt))
        object.__setattr__(self, "habits", frozenset(map(Habit, _not_a_string("habits", self.habits))))
        object.__setattr__(self, "refusal_reasons", _reasons(self.refusal_reasons))
        if self.knows_household and (self.integrity is None or self.debt is None):
            raise ValueError("a counted vote needs an integrity rating and a debt level")
        if self.refusal_reasons and self.suggested_fen != 0:
            raise ValueError("refusal reasons belong to a refusal (suggested_fen 0)")

    @classmethod
    def abstention(cls) -> "Vote":
        """The vote of an evaluator who does not know the household."""
        return cls(knows_household=False, integrity=None, debt=None, suggested_fen=0)

    @property
    def refuses(self) -> bool:
        """A counted refusal (suggested amount 0)."""
        return self.knows_household and self.suggested_fen == 0


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The bank's aggregation rules (*defaults* of DOMAIN §3 step 4)."""

    quorum: int = 3
    veto_habits: frozenset[Habit] = frozenset({Habit.GAMBLING, Habit.DRUGS})
    veto_habit_min_evaluators: int = 2
    refusal_veto_share: Fraction = Fraction(1, 3)  # veto when refusals / counted is strictly greater
    high_interest_min_evaluators: int = 2
    integrity_points: Mapping[Integrity, int] = field(default_factory=lambda: DEFAULT_INTEGRITY_POINTS, hash=False)
    score_places: int = 2  # panel score decimal places, rounded half-up

    def __post_init__(self) -> None:
        for name in ("quorum", "veto_habit_min_evaluators", "high_interest_min_evaluators"):
            _require_count(name, getattr(self, name), minimum=1)
        _require_count("score_places", self.score_places, minimum=0)
        object.__setattr__(self, "veto_habits", frozenset(map(Habit, _not_a_string("veto_habits", self.veto_habits))))
        share = _exact("refusal_veto_share", self.refusal_veto_share)
        if not 0 <= share < 1:
            raise ValueError(f"refusal_veto_share must lie in [0, 1), got {share}")
        object.__setattr__(self, "refusal_veto_share", share)
        object.__setattr__(self, "integrity_points", _points(self.integrity_points))
        # Derived once for decide (plain attributes, not fields: equality, hash and repr ignore them).
        object.__setattr__(self, "_share", (share.numerator, share.denominator))
        vetoes = tuple((index, veto_code(habit)) for index, habit in enumerate(_HABITS) if habit in self.veto_habits)
        object.__setattr__(self, "_habit_vetoes", vetoes)  # (index in habit_flags, reason code), Habit order

    @property
    def max_score(self) -> int:
        """The highest panel score these points allow (30 by default)."""
        return max(self.integrity_points.values())


DEFAULT_RULES = Rules()


@dataclass(frozen=True, kw_only=True)
class Tally:
    """What the rules need of one household's votes; every count is over counted votes only (rule 1).

    ``points_sum`` is the sum of the counted votes' integrity points under the ``Rules`` it is decided with;
    ``median_low_fen`` / ``median_high_fen`` are the two middle counted suggestions in ascending order (the
    same value when the count is odd, None without counted votes); ``refusal_reasons`` may be empty when
    the caller does not tally them. The constructor checks the fields' types and formats and that the counts
    agree with each other (it cannot know the points), and puts ``refusal_reasons`` in rule 7's order;
    ``Tally.trusted`` skips all of that.
    """

    counted: int
    abstentions: int
    refusals: int
    habit_flags: tuple[tuple[Habit, int], ...]  # every habit, in Habit order
    high_interest_count: int
    points_sum: int
    median_low_fen: int | None
    median_high_fen: int | None
    debt_counts: tuple[tuple[Debt, int], ...]  # every level, in Debt order
    refusal_reasons: tuple[tuple[str, int], ...] = ()  # most frequent first, then by reason

    def __post_init__(self) -> None:
        counted, low, high = self.counted, self.median_low_fen, self.median_high_fen
        for name in ("counted", "abstentions", "refusals", "high_interest_count", "points_sum"):
            _require_count(name, getattr(self, name), minimum=0)
        if counted == 0:
            if low is not None or high is not None:
                raise ValueError("without counted votes there is no median")
        else:
            if not (_is_fen(low) and _is_fen(high)) or not 0 <= low <= high:  # type: ignore[operator]
                raise ValueError(f"the middle suggestions must be fen, low ≤ high, got {low!r} and {high!r}")
            if counted % 2 and low != high:
                raise ValueError("with an odd count the two middle suggestions are the same one")
        habit_counts = _check_levels("habit_flags", self.habit_flags, _HABITS)
        if sum(_check_levels("debt_counts", self.debt_counts, _DEBTS)) != counted:
            raise ValueError("debt_counts must add up to the counted votes")
        if max(self.refusals, self.high_interest_count, *habit_counts) > counted:
            raise ValueError("no tally can exceed the counted votes")
        if self.refusal_reasons != ():
            object.__setattr__(self, "refusal_reasons", self._checked_reasons())

    def _checked_reasons(self) -> tuple[tuple[str, int], ...]:
        reasons = dict(_not_a_string("refusal_reasons", self.refusal_reasons))  # type: ignore[arg-type]
        if len(reasons) != len(self.refusal_reasons):
            raise ValueError("a refusal reason is tallied twice")
        for reason, count in reasons.items():
            _reasons((reason,))
            _require_count(f"refusal_reasons[{reason}]", count, minimum=1)
            if count > self.refusals:
                raise ValueError(f"refusal reason {reason!r} is given more often than there are refusals")
        return _ordered_reasons(reasons.items())

    @classmethod
    def trusted(
        cls,
        counted: int,
        abstentions: int,
        refusals: int,
        habit_flags: tuple[tuple[Habit, int], ...],
        high_interest_count: int,
        points_sum: int,
        median_low_fen: int | None,
        median_high_fen: int | None,
        debt_counts: tuple[tuple[Debt, int], ...],
        refusal_reasons: tuple[tuple[str, int], ...] = (),
    ) -> "Tally":
        """A Tally without any check, for values already in the field formats (``tally`` uses it; so may a
        query whose counts are consistent by construction). The caller guarantees what the constructor checks:
        ints, Habit / Debt members for every level in enum order, reasons sorted as rule 7 says."""
        self = object.__new__(cls)
        self.__dict__.update(
            counted=counted,
            abstentions=abstentions,
            refusals=refusals,
            habit_flags=habit_flags,
            high_interest_count=high_interest_count,
            points_sum=points_sum,
            median_low_fen=median_low_fen,
            median_high_fen=median_high_fen,
            debt_counts=debt_counts,
            refusal_reasons=refusal_reasons,
        )
        return self


@dataclass(frozen=True)
class Result:
    """The panel's view of one household; tallies cover counted votes only."""

    outcome: Outcome
    counted: int
    abstentions: int
    veto_reasons: tuple[str, ...]  # empty unless vetoed
    panel_amount_fen: int | None  # only when passed
    panel_score: Decimal | None  # when quorate (passed or vetoed)
    refusals: int
    habit_flags: tuple[tuple[Habit, int], ...]  # every habit, in Habit order
    debt_counts: tuple[tuple[Debt, int], ...]  # every level, in Debt order
    high_interest_count: int
    high_interest_flagged: bool
    refusal_reasons: tuple[tuple[str, int], ...]  # most frequent first, then by reason

    def flags(self, habit: Habit) -> int:
        """How many counted evaluators flagged a habit."""
        return dict(self.habit_flags)[Habit(habit)]


def aggregate(votes: Iterable[Vote], rules: Rules = DEFAULT_RULES) -> Result:
    """Aggregate one household's votes of a closed round: ``decide(tally(votes, rules), rules)``."""
    return decide(tally(votes, rules), rules)


def tally(votes: Iterable[Vote], rules: Rules = DEFAULT_RULES) -> Tally:
    """Count one household's votes (rules 1 and 7): abstentions apart, everything else over counted votes."""
    every = tuple(votes)
    if not all(isinstance(vote, Vote) for vote in every):
        raise TypeError("aggregate and tally take Vote values")
    points = rules.integrity_points
    habit_flags = dict.fromkeys(_HABITS, 0)
    debt_counts = dict.fromkeys(_DEBTS, 0)
    suggestions = []
    refusals = high_interest = points_sum = 0
    reasons: Counter[str] = Counter()
    for vote in every:
        if not vote.knows_household:
            continue
        suggested = vote.suggested_fen
        suggestions.append(suggested)
        if suggested == 0:
            refusals += 1
            if vote.refusal_reasons:
                reasons.update(set(vote.refusal_reasons))
        for habit in vote.habits:
            habit_flags[habit] += 1
        high_interest += vote.informal_high_interest
        points_sum += points[vote.integrity]  # type: ignore[index]
        debt_counts[vote.debt] += 1  # type: ignore[index]
    counted = len(suggestions)
    low, high = _middles(sorted(suggestions)) if counted else (None, None)
    return Tally.trusted(
        counted,
        len(every) - counted,
        refusals,
        tuple(habit_flags.items()),
        high_interest,
        points_sum,
        low,
        high,
        tuple(debt_counts.items()),
        _ordered_reasons(reasons.items()),
    )


def decide(tally: Tally, rules: Rules = DEFAULT_RULES) -> Result:
    """Rules 2–6 on a household's tally: quorum, vetoes, panel amount, panel score and the high-interest flag.

    Integer arithmetic only: the refusal veto is ``refusals × d > n × counted`` for the share n/d, the amount
    ``(low + high) // 2`` of the two middle suggestions, the score ``points_sum / counted`` rounded half-up.
    The tally is not re-checked (its constructor did that).
    """
    if not isinstance(tally, Tally):
        raise TypeError(f"decide takes a Tally, got {tally!r}")
    counted = tally.counted
    if counted < rules.quorum:
        outcome, veto, amount, score = Outcome.UNDECIDED, (), None, None
    else:
        flags, minimum = tally.habit_flags, rules.veto_habit_min_evaluators
        reasons = [code for index, code in rules._habit_vetoes if flags[index][1] >= minimum]
        numerator, denominator = rules._share
        if tally.refusals * denominator > numerator * counted:
            reasons.append(VETO_REFUSALS)
        score = _mean_half_up(tally.points_sum, counted, rules.score_places)
        if reasons:
            outcome, veto, amount = Outcome.VETOED, tuple(reasons), None
        else:
            outcome, veto = Outcome.PASSED, ()
            amount = (tally.median_low_fen + tally.median_high_fen) // 2  # type: ignore[operator]
    high_interest = tally.high_interest_count
    return Result(
        outcome,
        counted,
        tally.abstentions,
        veto,
        amount,
        score,
        tally.refusals,
        tally.habit_flags,
        tally.debt_counts,
        high_interest,
        high_interest >= rules.high_interest_min_evaluators,
        tally.refusal_reasons,
    )


def median_fen(values: Sequence[int]) -> int:
    """The median in fen; with an even count, the mean of the two middle values rounded down to the fen."""
    if not values:
        raise ValueError("the median of no values is undefined")
    low, high = _middles(sorted(values))
    return (low + high) // 2


def panel_score(integrities: Sequence[Integrity], rules: Rules = DEFAULT_RULES) -> Decimal:
    """Mean integrity points, rounded half-up to ``rules.score_places`` decimal places."""
    if not integrities:
        raise ValueError("the panel score of no votes is undefined")
    points = sum(rules.integrity_points[Integrity(i)] for i in integrities)
    return _mean_half_up(points, len(integrities), rules.score_places)


def round_half_up(value: Fraction, places: int) -> Decimal:
    """An exact value rounded half away from zero (四舍五入) to a number of decimal places."""
    scaled = abs(value) * 10**places
    digits = math.floor(scaled + Fraction(1, 2))
    return Decimal(-digits if value < 0 else digits).scaleb(-places)


def _middles(ordered: Sequence[int]) -> tuple[int, int]:
    """The two middle values of an ascending non-empty sequence (the same one when its length is odd)."""
    count = len(ordered)
    return ordered[(count - 1) // 2], ordered[count // 2]


def _mean_half_up(total: int, count: int, places: int) -> Decimal:
    """``round_half_up(Fraction(total, count), places)`` for total ≥ 0 and count > 0, in integers:
    ⌊total × 10^places / count + ½⌋ = (2 × total × 10^places + count) // (2 × count)."""
    return Decimal((2 * total * 10**places + count) // (2 * count)).scaleb(-places)


def _ordered_reasons(counts: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts, key=lambda item: (-item[1], item[0])))
