"""The demo's credit history: played through the real services and end of day, every class reached."""

import pytest
from django.db.models import Count

from puhui.core.selectors import business_date_current
from puhui.credit.models import CreditLine, EodRun, Loan
from puhui.credit.selectors import trial_balance
from puhui.demo import credit_history
from puhui.demo.services import DEMO_START_DATE
from puhui.households.models import Household, Person


@pytest.fixture
def heads(world):
    for n in range(24):
        household = Household.objects.create(village=world.village_mine, grid=world.grid_mine, number=f"D{n:03d}")
        Person.objects.create(household=household, relation="head", name=f"农户{n}")


def test_history_reaches_every_class_with_balanced_books(heads, monkeypatch):
    monkeypatch.setitem(credit_history.LINES, "small", 24)
    made = credit_history.demo_credit_history_load(scale="small", until=DEMO_START_DATE)
    assert made == 24 and business_date_current() == DEMO_START_DATE
    assert EodRun.objects.filter(status="succeeded").count() == (DEMO_START_DATE - credit_history.HISTORY_START).days
    classes = dict(
        Loan.objects.filter(outstanding_principal_fen__gt=0).values_list("classification").annotate(n=Count("pk"))
    )
    assert set(classes) == {"normal", "special_mention", "substandard", "doubtful", "loss"}, classes
    assert set(Loan.objects.values_list("channel", flat=True)) == {"counter", "field", "agent", "mobile", "online"}
    assert CreditLine.objects.filter(status="frozen").exists()
    assert Loan.objects.filter(outstanding_principal_fen=0).exists()  # repaid at maturity, some drawn again
    assert trial_balance().balanced
    assert credit_history.demo_credit_history_load(scale="small", until=DEMO_START_DATE) == 0  # played once
