"""Fixture data for the KPI tests: campaigns, households, persons, rounds, lines and loans, in bulk."""

import datetime
from decimal import Decimal

from puhui.credit.models import CreditLine, Loan
from puhui.deliberation.models import Campaign, Round, RoundHousehold
from puhui.households.models import Household, Person
from puhui.org import roles
from puhui.org.models import Grid, Village

D = datetime.date
CHANNELS = ["mobile", "counter", "online", "field", "agent"]
STATUSES = ["active", "frozen", "closed", "expired", "active"]


def campaign(village: Village, launched_on: datetime.date, user) -> Campaign:
    return Campaign.objects.create(
        village=village, plan_year=launched_on.year, kind="pilot", launched_on=launched_on, launched_by=user
    )


def populate(world, village: Village, grid: Grid, n: int, *, prefix: str, start: datetime.date) -> None:
    """n households of 3 persons (i % 3 collected), every other one in a round, lines and loans varied."""
    user = world.users[roles.BRANCH_MANAGER]
    households = Household.objects.bulk_create(
        [Household(village=village, grid=grid, number=f"{prefix}{i:04d}") for i in range(n)]
    )
    Person.objects.bulk_create(
        [
            Person(household=h, relation="head" if k == 0 else "child", name=f"人{i}-{k}", is_collected=k < i % 4)
            for i, h in enumerate(households)
            for k in range(3)
        ]
    )
    heads = {p.household_id: p for p in Person.objects.filter(household__in=households, relation="head")}
    campaign_ = village.campaigns.order_by("launched_on").first()
    if campaign_ is not None:
        first = Round.objects.create(
            campaign=campaign_, number=1 + campaign_.rounds.count(), opened_on=start, opened_by=user
        )
        later = Round.objects.create(
            campaign=campaign_, number=1 + campaign_.rounds.count(), opened_on=D(start.year + 1, 3, 1), opened_by=user
        )
        RoundHousehold.objects.bulk_create(
            [
                RoundHousehold(round=first if i % 4 else later, household=h)
                for i, h in enumerate(households)
                if i % 2 == 0
            ]
            + [RoundHousehold(round=later, household=h) for i, h in enumerate(households) if i % 4 == 2]
        )
    lines = CreditLine.objects.bulk_create(
        [
            CreditLine(
                household=h,
                borrower=heads[h.pk],
                limit_fen=30_000_000,
                grade="AA",
                rate=Decimal("4.85"),
                start_date=start + datetime.timedelta(days=30 * (i % 12)),
                end_date=D(start.year + 3, 12, 31),
                status=STATUSES[i % 5],
            )
            for i, h in enumerate(households)
            if i % 3 != 2
        ]
    )
    Loan.objects.bulk_create(
        [
            Loan(
                line=line,
                principal_fen=[5_000_000, 30_000_000, 30_000_001, 100_000][(i + k) % 4],
                outstanding_principal_fen=0,
                rate=Decimal("4.85"),
                drawn_on=line.start_date + datetime.timedelta(days=40 * k),
                maturity=line.start_date + datetime.timedelta(days=40 * k + 365),
                channel=CHANNELS[(i + k) % 5],
                rate_scaled=4_850_000,
                penalty_rate_scaled=7_275_000,
                created_by=user,
            )
            for i, line in enumerate(lines)
            for k in range(i % 3)
        ]
    )
