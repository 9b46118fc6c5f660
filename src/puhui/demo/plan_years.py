"""Demo plan years (DOMAIN §5–6): the whole-village campaign rolled out over the plan's first years, played on its
business dates beside the credit history, so that every indicator has a history to chart and the 2017 targets can
be checked against the end of 2017.

- 2016: a pilot village in each township that has households on the register, launched between April and November;
- 2017 to the spring of the demo year: the other villages month by month (the demo township's before the demo
  year, whose campaigns the deliberation demo launches itself);
- a month after its launch, two villages in three put all their households into a round (a panel of generated
  evaluators, left open for votes); the others are still profiling.
Everything goes through the real services on its business date (`campaign_launch`, `panel_member_add`,
`round_open`): nothing is written as rows.
"""

import datetime
import random
from collections import defaultdict
from collections.abc import Callable

from django.contrib.auth.models import Group

from puhui.deliberation.models import Campaign, PanelMember
from puhui.deliberation.services import campaign_launch, panel_member_add, round_open
from puhui.demo import plan
from puhui.households.models import Household
from puhui.org import roles
from puhui.org.models import User, Village

PILOTS_FROM, PILOTS_UNTIL = datetime.date(2016, 4, 1), datetime.date(2016, 11, 30)
ROLLOUT_FROM = datetime.date(2017, 1, 9)
ROUND_AFTER = datetime.timedelta(days=30)
PANEL_SIZE = 5
Schedule = dict[datetime.date, list[Callable[[], None]]]


def plan_years_schedule(*, until: datetime.date, seed: int = 330781) -> Schedule:
    """The steps to take, by business date, before `until` (the demo's business date)."""
    rng = random.Random(seed)
    villages = list(
        Village.objects.filter(is_rural=True, households__isnull=False, grids__account_manager__isnull=False)
        .select_related("township")
        .distinct()
        .order_by("township__code", "code")
    )
    pilots = {}
    for village in villages:
        pilots.setdefault(village.township_id, village)
    rollout = [v for v in villages if v not in pilots.values()]
    demo_year_start = datetime.date(until.year, 1, 1)
    launches = _spread(list(pilots.values()), PILOTS_FROM, PILOTS_UNTIL)
    demo_township = [v for v in rollout if v.township.code == plan.DEMO_TOWNSHIP]
    others = [v for v in rollout if v.township.code != plan.DEMO_TOWNSHIP]
    launches |= _spread(demo_township, ROLLOUT_FROM, demo_year_start - datetime.timedelta(days=30))
    launches |= _spread(others, ROLLOUT_FROM, until - 2 * ROUND_AFTER)
    schedule: Schedule = defaultdict(list)
    for village, day in launches.items():
        schedule[day].append(lambda village=village: _launch(village))
        if rng.random() < 2 / 3 and day + ROUND_AFTER < until:
            schedule[day + ROUND_AFTER].append(lambda village=village: _round(village))
    return schedule


def _spread(villages: list[Village], first: datetime.date, last: datetime.date) -> dict[Village, datetime.date]:
    """Launch dates evenly over [first, last], on weekdays."""
    if not villages:
        return {}
    step = (last - first) / max(1, len(villages) - 1) if len(villages) > 1 else datetime.timedelta(0)
    days = {}
    for n, village in enumerate(villages):
        day = first + step * n
        day = datetime.date(day.year, day.month, day.day) + datetime.timedelta(days=max(0, day.weekday() - 4))
        days[village] = day
    return days


def _launcher(village: Village) -> User:
    return village.grids.filter(account_manager__isnull=False).order_by("code").first().account_manager


def _launch(village: Village) -> None:
    from puhui.core.selectors import business_date_current

    today = business_date_current()
    kind = Campaign.Kind.PILOT if today.year == PILOTS_FROM.year else Campaign.Kind.ROLLOUT
    campaign = campaign_launch(user=_launcher(village), village=village, plan_year=today.year, kind=kind)
    categories = list(PanelMember.Category.values)
    for n, evaluator in enumerate(panel_evaluators(PANEL_SIZE)):
        category = categories[n % len(categories)]
        panel_member_add(user=_launcher(village), campaign=campaign, evaluator=evaluator, category=category)


def _round(village: Village) -> None:
    campaign = Campaign.objects.filter(village=village).order_by("-launched_on").first()
    households = list(Household.objects.filter(village=village).order_by("number"))
    round_open(user=_launcher(village), campaign=campaign, households=households)


def panel_evaluators(count: int) -> list[User]:
    """Generated evaluators (评议员N号) without a usable password: the panels the demo evaluator does not sit on."""
    group = Group.objects.get(name=roles.EVALUATOR)
    users = []
    for n in range(1, count + 1):
        user, created = User.objects.get_or_create(username=f"pingyi_{n}", defaults={"full_name": f"评议员{n}号"})
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
        users.append(user)
    return users
