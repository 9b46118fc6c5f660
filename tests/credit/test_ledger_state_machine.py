"""Hypothesis state machine over the money services: after every step the books hold (DOMAIN §4)."""

import datetime
from contextlib import suppress

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from puhui.core.selectors import business_date_current
from puhui.credit.eod import eod_run
from puhui.credit.errors import CreditRefused
from puhui.credit.models import CreditLine, Journal, Loan
from puhui.credit.selectors import trial_balance
from puhui.credit.services import (
    journal_reverse,
    line_drawdown,
    line_freeze,
    line_repay,
    line_unfreeze,
)
from puhui.org import roles
from tests.credit.test_money_services import START, make_line

LIMIT = 1_000_000


def test_books_hold_after_every_step(world):
    user = world.users[roles.BRANCH_MANAGER]
    examples = iter(range(10**6))

    class Books(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.day = START
            # each example starts from the same books and dates: its writes are rolled back in teardown,
            # so no example pays for the loans and journals of the earlier ones
            self.savepoint = transaction.savepoint()
            self.line = make_line(world, limit_fen=LIMIT, number=f"SM{next(examples)}")

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        @rule(amount=st.integers(min_value=-10, max_value=LIMIT + 10))
        def drawdown(self, amount):
            with suppress(CreditRefused):
                line_drawdown(user=user, line_id=self.line.pk, amount_fen=amount, channel="counter")

        @rule(amount=st.integers(min_value=-10, max_value=LIMIT + 10))
        def repay(self, amount):
            with suppress(CreditRefused):
                line_repay(user=user, line_id=self.line.pk, amount_fen=amount, channel="counter")

        @rule(days=st.integers(min_value=1, max_value=40))
        def end_of_day(self, days):
            # real end of day for every date in between: accrual, settlement, overdue, freeze
            until = min(self.day + datetime.timedelta(days=days - 1), datetime.date(2020, 6, 1))
            eod_run(user=user, until=until, snapshot=False)  # the books here; snapshots have their own tests
            self.day = business_date_current()

        @rule()
        def freeze_or_unfreeze(self):
            status = CreditLine.objects.get(pk=self.line.pk).status
            with suppress(CreditRefused):
                (line_unfreeze if status == CreditLine.Status.FROZEN else line_freeze)(user=user, line_id=self.line.pk)

        @precondition(lambda self: Journal.objects.filter(line=self.line).exists())
        @rule(pick=st.integers(min_value=0, max_value=1000))
        def reverse(self, pick):
            journals = list(Journal.objects.filter(line=self.line).order_by("pk"))
            journal = journals[pick % len(journals)]
            with suppress(CreditRefused):
                journal_reverse(user=user, journal_id=journal.pk)

        @invariant()
        def books_balance(self):
            balance = trial_balance()
            assert balance.debits_fen == balance.credits_fen
            assert balance.principal_control_fen == balance.loans_outstanding_fen
            assert balance.interest_control_fen == balance.loans_interest_fen

        @invariant()
        def outstanding_within_limit(self):
            current = CreditLine.objects.get(pk=self.line.pk)
            loans = sum(Loan.objects.filter(line=self.line).values_list("outstanding_principal_fen", flat=True))
            assert 0 <= current.outstanding_principal_fen == loans <= current.limit_fen

    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
