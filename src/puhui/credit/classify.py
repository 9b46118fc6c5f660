"""Five-category loan classification (五级分类, 2023 rules) by days past due, pure: no Django.

DPD (逾期天数) = days from the oldest unpaid due date to the business date: an amount due on the 21st and
unpaid is 0 days past due on the 21st and 1 on the 22nd. Default bands (inclusive):
DPD 0 正常 normal; 1–90 关注 special mention; 91–270 次级 substandard; 271–360 可疑 doubtful; > 360 损失 loss.
NPL (不良) = substandard + doubtful + loss. A line with any loan in special mention or worse is frozen.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Classification(StrEnum):
    """The five categories, best first; the value is the stored code (functions also accept the code)."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def label_zh(self) -> str:
        """The regulatory Chinese name (正常/关注/次级/可疑/损失)."""
        return _LABELS_ZH[self]

    @property
    def severity(self) -> int:
        """0 for normal up to 4 for loss; larger is worse."""
        return _ORDER.index(self)


_ORDER = tuple(Classification)
_LABELS_ZH = {
    Classification.NORMAL: "正常",
    Classification.SPECIAL_MENTION: "关注",
    Classification.SUBSTANDARD: "次级",
    Classification.DOUBTFUL: "可疑",
    Classification.LOSS: "损失",
}
_NPL = frozenset({Classification.SUBSTANDARD, Classification.DOUBTFUL, Classification.LOSS})


@dataclass(frozen=True)
class Thresholds:
    """The highest DPD of each band; any DPD ≥ 1 is at least special mention, above doubtful_max is loss."""

    special_mention_max: int = 90
    substandard_max: int = 270
    doubtful_max: int = 360

    def __post_init__(self) -> None:
        if not 1 <= self.special_mention_max < self.substandard_max < self.doubtful_max:
            raise ValueError("thresholds must satisfy 1 ≤ special_mention_max < substandard_max < doubtful_max")


DEFAULT = Thresholds()


def days_past_due(oldest_unpaid_due: datetime.date | None, business_date: datetime.date) -> int:
    """Days since the oldest unpaid due date; 0 when nothing is unpaid or it is not yet past due."""
    if oldest_unpaid_due is None:
        return 0
    return max(0, (business_date - oldest_unpaid_due).days)


def classify(dpd: int, thresholds: Thresholds = DEFAULT) -> Classification:
    """The category for a number of days past due."""
    if dpd < 0:
        raise ValueError(f"days past due cannot be negative, got {dpd}")
    if dpd == 0:
        return Classification.NORMAL
    if dpd <= thresholds.special_mention_max:
        return Classification.SPECIAL_MENTION
    if dpd <= thresholds.substandard_max:
        return Classification.SUBSTANDARD
    if dpd <= thresholds.doubtful_max:
        return Classification.DOUBTFUL
    return Classification.LOSS


def is_npl(c: Classification) -> bool:
    """Non-performing: substandard, doubtful or loss."""
    return Classification(c) in _NPL


def freezes_line(c: Classification) -> bool:
    """A loan in special mention or worse freezes its credit line for new drawdowns."""
    return Classification(c) is not Classification.NORMAL


def worst(classifications: Iterable[Classification]) -> Classification:
    """The most severe category; normal when there is none (no loans, nothing past due)."""
    return max(map(Classification, classifications), key=_ORDER.index, default=Classification.NORMAL)
