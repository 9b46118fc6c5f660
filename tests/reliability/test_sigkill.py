"""SIGKILL (issue #7): a 10,000-row register import and a run of end of day killed mid-way leave whole households
and whole business dates only, the books balanced, and a rerun ends exactly where an uninterrupted run ends.

The commands run in child processes against databases of their own (a SQLite file, or a database of the test
cluster when the suite runs on PostgreSQL), so that the kill is a real one."""

import json
import random

import pytest

from tests.reliability.killing import database_copy, database_drop, database_new, killed_after, killed_when

pytestmark = pytest.mark.django_db(transaction=True)

LINES = """
import datetime
from decimal import Decimal
from puhui.core.services import business_date_set
from puhui.credit.services import line_activate, line_drawdown
from puhui.demo.services import demo_load
from puhui.households.models import Household, Person
from puhui.org.models import Grid
demo_load()
day = datetime.date(2017, 7, 3)
business_date_set(business_date=day)
grid = Grid.objects.filter(account_manager__isnull=False).order_by("pk").first()
for n in range(40):
    household = Household.objects.create(village=grid.village, grid=grid, number=f"KILL{n:03d}")
    head = Person.objects.create(household=household, relation="head", name=f"户主{n}")
    line = line_activate(user=grid.account_manager, household=household, borrower=head, limit_fen=20_000_000,
                         grade="AA", rate=Decimal("5.20"), start_date=day)
    line_drawdown(user=grid.account_manager, line_id=line.pk, amount_fen=1_000_000 + 7_919 * n, channel="counter")
"""
BOOKS = """
import json
from django.db.models import Count, Sum
from puhui.core.selectors import business_date_current
from puhui.credit.models import EodRun, Journal, Leg, Loan
from puhui.credit.selectors import trial_balance
tb = trial_balance()
print(json.dumps({
    "balanced": tb.balanced, "debits": tb.debits_fen, "principal": tb.principal_control_fen,
    "interest": tb.interest_control_fen, "loans_interest": tb.loans_interest_fen,
    "business_date": business_date_current().isoformat(),
    "closed": sorted(EodRun.objects.filter(status="succeeded").values_list("business_date", flat=True)),
    "loans": sorted(Loan.objects.values_list(
        "principal_fen", "outstanding_principal_fen", "interest_accrued_fen", "interest_due_fen",
        "penalty_accrued_fen", "normal_remainder_units", "accrued_through", "dpd", "classification")),
    "journals": sorted(Journal.objects.values_list("business_date", "kind").annotate(
        n_legs=Count("legs"), total=Sum("legs__amount_fen"))),
    "unbalanced_journals": Journal.objects.annotate(total=Sum("legs__amount_fen")).exclude(total=0).count(),
}, default=str))
"""
REGISTER = """
import json
from django.db.models import Count
from puhui.households.models import Household
print(json.dumps(sorted(Household.objects.filter(number__startswith="BENCH-").annotate(n=Count("members"))
                        .values_list("number", "n", "village__code"))))
"""
WORKBOOK = "from bench.workloads.import_ import workbook; print(workbook(10_000))"


@pytest.fixture
def base(tmp_path):
    database = database_new(tmp_path / "base")
    database.run("migrate", "--verbosity", "0")
    yield database
    database_drop(database)


def test_end_of_day_killed_mid_run_then_rerun_gives_the_same_books(base, tmp_path):
    base.shell(LINES)
    whole = database_copy(base, tmp_path / "whole")
    try:
        whole.run("eod", "--until", "2017-09-15")
        expected = json.loads(whole.shell(BOOKS))
        process = base.start("eod", "--until", "2017-09-15")
        closed = "SELECT COUNT(*) FROM credit_eodrun WHERE status = 'succeeded'"
        assert killed_when(process, base, closed, random.Random(7).randint(5, 60)) == -9, "finished before the kill"
        cut = json.loads(base.shell(BOOKS))
        # whole business dates only: every closed date's accrual journal is there and balanced, nothing of the next
        assert cut["balanced"] and cut["unbalanced_journals"] == 0
        assert cut["principal"] == sum(loan[1] for loan in cut["loans"])
        assert cut["business_date"] > "2017-07-03" and len(cut["closed"]) < len(expected["closed"])
        base.run("eod", "--until", "2017-09-15")
        assert json.loads(base.shell(BOOKS)) == expected
    finally:
        database_drop(whole)


def test_register_import_killed_mid_run_then_rerun_imports_the_same(base, tmp_path):
    base.shell("from puhui.demo.services import demo_load; demo_load()")
    path = base.shell(WORKBOOK)
    whole = database_copy(base, tmp_path / "whole")
    try:
        whole.run("import-households", path)
        expected = json.loads(whole.shell(REGISTER))
        assert len(expected) > 3000
        process = base.start("import-households", path)
        killed_after(process, random.Random(11).uniform(1.5, 3.5))
        cut = json.loads(base.shell(REGISTER))
        assert set(map(tuple, cut)) <= set(map(tuple, expected))  # whole households: every member or none
        base.run("import-households", path)
        assert json.loads(base.shell(REGISTER)) == expected
    finally:
        database_drop(whole)
