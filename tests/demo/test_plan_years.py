"""The demo's plan years: campaigns launched and rounds opened on their business dates, through the services."""

import datetime

from puhui.core.services import business_date_set
from puhui.deliberation.models import Campaign, PanelMember, Round, RoundHousehold
from puhui.demo.plan_years import PILOTS_FROM, PILOTS_UNTIL, ROUND_AFTER, plan_years_schedule
from puhui.households.models import Household
from puhui.org.models import Grid

UNTIL = datetime.date(2018, 6, 29)


def _households(world):
    grids = {g.village_id: g for g in Grid.objects.all()}
    for village in (world.village_mine, world.village_other, world.village_out):
        for n in range(3):
            Household.objects.create(village=village, grid=grids[village.pk], number=f"{village.code}-{n}")


def _play(schedule):
    for day in sorted(schedule):
        business_date_set(business_date=day)
        for step in schedule[day]:
            step()


def test_campaigns_and_rounds_on_their_dates(world):
    _households(world)
    schedule = plan_years_schedule(until=UNTIL, seed=7)
    _play(schedule)
    campaigns = list(Campaign.objects.select_related("village__township"))
    assert {c.village_id for c in campaigns} == {world.village_mine.pk, world.village_other.pk, world.village_out.pk}
    pilots = [c for c in campaigns if c.kind == Campaign.Kind.PILOT]
    # one pilot per township, launched in 2016 between the pilot dates; the others later, before the demo date
    assert sorted(c.village.township.code for c in pilots) == sorted({"330781101", "330781102"})
    assert all(PILOTS_FROM <= c.launched_on <= PILOTS_UNTIL + datetime.timedelta(days=3) for c in pilots)
    assert all(c.plan_year == c.launched_on.year and c.launched_on < UNTIL for c in campaigns)
    assert all(c.launched_on.weekday() < 5 for c in campaigns)
    for round_ in Round.objects.select_related("campaign"):
        assert round_.opened_on == round_.campaign.launched_on + ROUND_AFTER
        assert RoundHousehold.objects.filter(round=round_).count() == 3  # every household of the village
    # the panels are generated evaluators: the demo evaluator sees none of these rounds
    assert not PanelMember.objects.filter(user=world.users["evaluator"]).exists()
    assert PanelMember.objects.filter(campaign=campaigns[0]).count() == 5


def test_the_demo_township_is_launched_before_the_demo_year(world):
    _households(world)
    _play(plan_years_schedule(until=UNTIL, seed=7))
    demo_township = Campaign.objects.filter(village__township__code="330781102")
    assert demo_township.exists() and not demo_township.filter(plan_year=UNTIL.year).exists()
