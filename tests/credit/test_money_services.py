"""Drawdown and repayment services: locked, balanced, refused cleanly (DOMAIN §4, API.md 422 codes)."""

import datetime
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from puhui.core.services import business_date_set
from puhui.credit.errors import CreditRefused
from puhui.credit.models import CreditLine, Journal, Leg, Loan
from puhui.credit.selectors import trial_balance
from puhui.credit.services import line_activate, line_drawdown, line_repay
from puhui.households.models import Household, Person
from puhui.org import roles

START = datetime.date(2017, 7, 3)


def make_line(world, limit_fen=30_000_000, number="H1") -> CreditLine:
    household = Household.objects.create(village=world.village_mine, grid=world.grid_mine, number=number)
    borrower = Person.objects.create(household=household, relation="head", name="张三")
    business_date_set(business_date=START)
    return line_activate(
        user=world.users[roles.BRANCH_MANAGER],
        household=household,
        borrower=borrower,
        limit_fen=limit_fen,
        grade="AAA",
        rate=Decimal("4.85"),
        start_date=START,
    )


def assert_books_balanced():
    balance = trial_balance()
    assert balance.balanced, balance
    assert all(
        sum(Leg.objects.filter(journal=j).values_list("amount_fen", flat=True)) == 0 for j in Journal.objects.all()
    )


def test_drawdown_posts_a_balanced_journal(world):
    line = make_line(world)
    manager = world.users[roles.ACCOUNT_MANAGER]
    loan = line_drawdown(user=manager, line_id=line.pk, amount_fen=2_000_000, channel="field", purpose="茶叶")
    line.refresh_from_db()
    assert (line.outstanding_principal_fen, line.available_fen) == (2_000_000, 28_000_000)
    assert (loan.drawn_on, loan.maturity, loan.rate) == (START, datetime.date(2018, 7, 3), Decimal("4.85"))
    balance = trial_balance()
    assert (balance.debits_fen, balance.credits_fen, balance.principal_control_fen) == (2_000_000,) * 3
    assert_books_balanced()


def test_maturity_never_after_the_line_end(world):
    line = make_line(world)
    business_date_set(business_date=datetime.date(2020, 3, 1))
    loan = line_drawdown(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=100, channel="mobile")
    assert loan.maturity == line.end_date == datetime.date(2020, 7, 3)


@pytest.mark.parametrize(
    ("setup", "amount", "code"),
    [
        (lambda line: None, 0, "invalid_amount"),
        (lambda line: None, -5, "invalid_amount"),
        (lambda line: None, 30_000_001, "exceeds_available"),
        (lambda line: CreditLine.objects.filter(pk=line.pk).update(status="frozen"), 100, "line_frozen"),
        (lambda line: CreditLine.objects.filter(pk=line.pk).update(status="closed"), 100, "line_not_active"),
        (lambda line: business_date_set(business_date=datetime.date(2020, 7, 3)), 100, "line_expired"),
        (lambda line: business_date_set(business_date=datetime.date(2017, 7, 2)), 100, "line_not_active"),
    ],
)
def test_drawdown_refusals_change_nothing(world, setup, amount, code):
    line = make_line(world)
    setup(line)
    with pytest.raises(CreditRefused) as refused:
        line_drawdown(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=amount, channel="mobile")
    assert refused.value.code == code and refused.value.message
    assert not Loan.objects.exists() and not Journal.objects.exists()
    line.refresh_from_db()
    assert line.outstanding_principal_fen == 0


def test_an_overdue_loan_freezes_drawdowns(world):
    line = make_line(world)
    loan = line_drawdown(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=500, channel="mobile")
    Loan.objects.filter(pk=loan.pk).update(dpd=3)
    with pytest.raises(CreditRefused, match="line_frozen"):
        line_drawdown(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=500, channel="mobile")


def test_repayment_oldest_loan_first_and_no_overpayment(world):
    line = make_line(world)
    farmer = world.users[roles.FARMER]
    first = line_drawdown(user=farmer, line_id=line.pk, amount_fen=2_000_000, channel="mobile")
    business_date_set(business_date=START + datetime.timedelta(days=10))
    second = line_drawdown(user=farmer, line_id=line.pk, amount_fen=1_000_000, channel="counter")
    split = line_repay(user=farmer, line_id=line.pk, amount_fen=2_500_000, channel="mobile")
    assert split.principal_fen == 2_500_000
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.outstanding_principal_fen, second.outstanding_principal_fen) == (0, 500_000)
    with pytest.raises(CreditRefused, match="exceeds_amount_due"):
        line_repay(user=farmer, line_id=line.pk, amount_fen=500_001, channel="mobile")
    with pytest.raises(CreditRefused, match="invalid_amount"):
        line_repay(user=farmer, line_id=line.pk, amount_fen=0, channel="mobile")
    line.refresh_from_db()
    assert line.outstanding_principal_fen == 500_000
    assert_books_balanced()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL")
def test_concurrent_drawdowns_never_exceed_the_limit(world):
    """200 drawdowns at once on one line ask for twice its limit: none goes over, the books balance."""
    line = make_line(world, limit_fen=2_000_000)
    farmer = world.users[roles.FARMER]
    amounts = [20_000] * 200  # 200 × 200.00 yuan: twice the 20,000.00 yuan limit

    def draw(amount):
        try:
            line_drawdown(user=farmer, line_id=line.pk, amount_fen=amount, channel="mobile")
            return amount
        except CreditRefused:
            return 0
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=32) as pool:
        accepted = sum(pool.map(draw, amounts))
    line.refresh_from_db()
    assert accepted == line.outstanding_principal_fen == 2_000_000
    assert Loan.objects.count() == 100
    assert_books_balanced()
