"""A loan's purpose in the plan's programmes (DK7 美丽家园, DK8 美丽田园)."""

import pytest

from puhui.credit.models import Loan
from puhui.credit.purposes import purpose_kind_of
from puhui.credit.services import line_drawdown
from puhui.org import roles
from tests.credit.test_money_services import make_line


@pytest.mark.parametrize(
    ("purpose", "kind"),
    [
        ("美丽家园 房屋修缮", "home_improvement"),
        ("美丽田园产业链", "industry_chain"),
        ("Home_Improvement", "home_improvement"),
        ("industry_chain", "industry_chain"),
        ("茶叶种植", "general"),
        ("", "general"),
        ("   ", "general"),
        ("美丽田园与美丽家园", "industry_chain"),  # the first named
        ("家园", "general"),
    ],
)
def test_purpose_kind_of(purpose, kind):
    assert purpose_kind_of(purpose) == kind


def test_drawdown_records_the_purpose_kind(world):
    line = make_line(world, limit_fen=10_000_000)
    user = world.users[roles.ACCOUNT_MANAGER]
    line_drawdown(user=user, line_id=line.pk, amount_fen=100_000, channel="counter", purpose="美丽家园 厨房改造")
    line_drawdown(user=user, line_id=line.pk, amount_fen=100_000, channel="counter", purpose="生猪养殖")
    assert sorted(Loan.objects.filter(line=line).values_list("purpose_kind", flat=True)) == [
        "general",
        "home_improvement",
    ]
