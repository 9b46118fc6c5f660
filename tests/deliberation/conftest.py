"""A village campaign with a five-member panel and ten profiled households, for the workflow tests."""

import datetime
from dataclasses import dataclass

import pytest

from puhui.core.services import business_date_set
from puhui.deliberation.models import Campaign, PanelMember
from puhui.deliberation.services import campaign_launch, panel_member_add
from puhui.households.models import Household, Person
from puhui.org import roles
from tests.conftest import make_user

START = datetime.date(2017, 5, 2)
GOOD_VOTE = {
    "knows_household": True,
    "integrity": "very_good",
    "debt": "none",
    "suggested_fen": 15_000_000,
    "habits": [],
    "informal_high_interest": False,
}


@dataclass
class Village:
    campaign: Campaign
    panel: list  # the evaluator users
    households: list[Household]


@pytest.fixture
def village(world) -> Village:
    business_date_set(business_date=START)
    manager = world.users[roles.ACCOUNT_MANAGER]
    campaign = campaign_launch(user=manager, village=world.village_mine, plan_year=2017, kind=Campaign.Kind.PILOT)
    households = []
    for n in range(10):
        household = Household.objects.create(
            village=world.village_mine,
            grid=world.grid_mine,
            number=f"V{n:03d}",
            annual_net_income_fen=8_000_000 + n * 1_000_000,
            total_assets_fen=50_000_000 + n * 5_000_000,
            debts_fen=2_000_000,
        )
        Person.objects.create(
            household=household, relation="head", name=f"张{n}明", birth_date=datetime.date(1975, 3, n + 1)
        )
        Person.objects.create(
            household=household, relation="spouse", name=f"李{n}", birth_date=datetime.date(1977, 1, 1)
        )
        households.append(household)
    panel = [world.users[roles.EVALUATOR]] + [make_user(f"eval{n}", roles.EVALUATOR) for n in range(1, 5)]
    for user in panel:
        panel_member_add(user=manager, campaign=campaign, evaluator=user, category=PanelMember.Category.REPRESENTATIVE)
    return Village(campaign, panel, households)
