"""Freeze, unfreeze, close and reversal: explicit transitions, the books balanced after each."""

import pytest

from puhui.credit.errors import CreditRefused
from puhui.credit.models import CreditLine, Journal, Loan
from puhui.credit.services import journal_reverse, line_close, line_drawdown, line_freeze, line_repay, line_unfreeze
from puhui.org import roles
from tests.credit.test_money_services import assert_books_balanced, make_line


def test_freeze_blocks_drawdown_and_unfreeze_restores(world):
    line = make_line(world)
    manager = world.users[roles.BRANCH_MANAGER]
    line_freeze(user=manager, line_id=line.pk)
    with pytest.raises(CreditRefused, match="line_frozen"):
        line_drawdown(user=manager, line_id=line.pk, amount_fen=100, channel="counter")
    with pytest.raises(CreditRefused, match="invalid_transition"):
        line_freeze(user=manager, line_id=line.pk)
    line_unfreeze(user=manager, line_id=line.pk)
    assert line_drawdown(user=manager, line_id=line.pk, amount_fen=100, channel="counter").principal_fen == 100


def test_unfreeze_refused_while_a_loan_is_past_due(world):
    line = make_line(world)
    user = world.users[roles.BRANCH_MANAGER]
    loan = line_drawdown(user=user, line_id=line.pk, amount_fen=100, channel="counter")
    line_freeze(user=user, line_id=line.pk)
    Loan.objects.filter(pk=loan.pk).update(dpd=1)
    with pytest.raises(CreditRefused, match="line_frozen"):
        line_unfreeze(user=user, line_id=line.pk)


def test_close_only_without_balance(world):
    line = make_line(world)
    user = world.users[roles.BRANCH_MANAGER]
    line_drawdown(user=user, line_id=line.pk, amount_fen=500, channel="counter")
    with pytest.raises(CreditRefused, match="line_has_balance"):
        line_close(user=user, line_id=line.pk)
    line_repay(user=user, line_id=line.pk, amount_fen=500, channel="counter")
    assert line_close(user=user, line_id=line.pk).status == CreditLine.Status.CLOSED
    with pytest.raises(CreditRefused, match="invalid_transition"):
        line_unfreeze(user=user, line_id=line.pk)


def test_reversal_moves_principal_back_once(world):
    line = make_line(world)
    user = world.users[roles.BRANCH_MANAGER]
    line_drawdown(user=user, line_id=line.pk, amount_fen=2_000, channel="counter")
    line_repay(user=user, line_id=line.pk, amount_fen=500, channel="counter")
    repayment = Journal.objects.get(kind=Journal.Kind.REPAYMENT)
    reversal = journal_reverse(user=user, journal_id=repayment.pk)
    line.refresh_from_db()
    assert line.outstanding_principal_fen == 2_000 == Loan.objects.get().outstanding_principal_fen
    assert_books_balanced()
    with pytest.raises(CreditRefused, match="already_reversed"):
        journal_reverse(user=user, journal_id=repayment.pk)
    with pytest.raises(CreditRefused, match="already_reversed"):
        journal_reverse(user=user, journal_id=reversal.pk)


def test_reversing_a_repaid_drawdown_is_refused_by_the_books(world):
    line = make_line(world)
    user = world.users[roles.BRANCH_MANAGER]
    line_drawdown(user=user, line_id=line.pk, amount_fen=2_000, channel="counter")
    line_repay(user=user, line_id=line.pk, amount_fen=2_000, channel="counter")
    drawdown = Journal.objects.get(kind=Journal.Kind.DRAWDOWN)
    with pytest.raises(CreditRefused, match="reversal_not_possible"):  # the loan's principal would go below zero
        journal_reverse(user=user, journal_id=drawdown.pk)
    assert Journal.objects.count() == 2
    assert_books_balanced()
