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

    @property
    def max_score(self) -> int:
        """The highest panel score these points allow (30 by default)."""
        return max(self.integrity_points.values())


DEFAULT_RULES = Rules()


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
    """Aggregate one household's votes of a closed round."""
    every = tuple(votes)
    if not all(isinstance(vote, Vote) for vote in every):
        raise TypeError("aggregate takes Vote values")
    counted = [vote for vote in every if vote.knows_household]
    quorate = len(counted) >= rules.quorum
    habit_flags = tuple((habit, sum(habit in vote.habits for vote in counted)) for habit in Habit)
    refusals = sum(vote.refuses for vote in counted)
    veto = _veto_reasons(len(counted), refusals, habit_flags, rules) if quorate else ()
    outcome = Outcome.UNDECIDED if not quorate else Outcome.VETOED if veto else Outcome.PASSED
    high_interest = sum(vote.informal_high_interest for vote in counted)
    return Result(
        outcome=outcome,
        counted=len(counted),
        abstentions=len(every) - len(counted),
        veto_reasons=veto,
        panel_amount_fen=median_fen([v.suggested_fen for v in counted]) if outcome is Outcome.PASSED else None,
        panel_score=panel_score([v.integrity for v in counted if v.integrity is not None], rules) if quorate else None,
        refusals=refusals,
        habit_flags=habit_flags,
        debt_counts=tuple((debt, sum(vote.debt is debt for vote in counted)) for debt in Debt),
        high_interest_count=high_interest,
        high_interest_flagged=high_interest >= rules.high_interest_min_evaluators,
        refusal_reasons=_tally_reasons(counted),
    )


def median_fen(values: Sequence[int]) -> int:
    """The median in fen; with an even count, the mean of the two middle values rounded down to the fen."""
    if not values:
        raise ValueError("the median of no values is undefined")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


def panel_score(integrities: Sequence[Integrity], rules: Rules = DEFAULT_RULES) -> Decimal:
    """Mean integrity points, rounded half-up to ``rules.score_places`` decimal places."""
    if not integrities:
        raise ValueError("the panel score of no votes is undefined")
    mean = Fraction(sum(rules.integrity_points[Integrity(i)] for i in integrities), len(integrities))
    return round_half_up(mean, rules.score_places)


def round_half_up(value: Fraction, places: int) -> Decimal:
    """An exact value rounded half away from zero (四舍五入) to a number of decimal places."""
    scaled = abs(value) * 10**places
    digits = math.floor(scaled + Fraction(1, 2))
    return Decimal(-digits if value < 0 else digits).scaleb(-places)


def _veto_reasons(
    counted: int, refusals: int, habit_flags: tuple[tuple[Habit, int], ...], rules: Rules
) -> tuple[str, ...]:
    reasons = [
        veto_code(habit)
        for habit, flags in habit_flags
        if habit in rules.veto_habits and flags >= rules.veto_habit_min_evaluators
    ]
    if Fraction(refusals, counted) > rules.refusal_veto_share:
        reasons.append(VETO_REFUSALS)
    return tuple(reasons)


def _tally_reasons(counted: Sequence[Vote]) -> tuple[tuple[str, int], ...]:
    tally = Counter(reason for vote in counted if vote.refuses for reason in set(vote.refusal_reasons))
    return tuple(sorted(tally.items(), key=lambda item: (-item[1], item[0])))
