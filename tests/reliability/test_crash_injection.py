"""Crash injection (issue #7): every money and approval service is failed at each of its write steps in turn;
after every failure the database is exactly as before (no partial journal, no orphan audit row), and the service
then runs through with the books balanced."""

import datetime

from puhui.core.selectors import business_date_current
from puhui.core.services import business_date_set
from puhui.credit.eod import eod_run
from puhui.credit.models import CreditLine, EodRun, Journal
from puhui.credit.services import (
    journal_reverse,
    line_close,
    line_drawdown,
    line_freeze,
    line_repay,
    line_unfreeze,
)
from puhui.deliberation import approval, granting
from puhui.deliberation.models import Proposal
from puhui.deliberation.services import round_open
from puhui.org import roles
from tests.credit.test_money_services import START, assert_books_balanced, make_line
from tests.deliberation.test_workflow import vote_all
from tests.reliability.faults import crash_at_every_write

DAY = datetime.timedelta(days=1)


def test_money_services_fail_whole_at_every_write(world):
    manager, branch = world.users[roles.ACCOUNT_MANAGER], world.users[roles.BRANCH_MANAGER]
    line = make_line(world, limit_fen=10_000_000)
    steps = {}

    def step(name, action):
        result, steps[name] = crash_at_every_write(action)
        assert_books_balanced()
        return result

    step("drawdown", lambda: line_drawdown(user=manager, line_id=line.pk, amount_fen=3_000_000, channel="counter"))
    step("drawdown", lambda: line_drawdown(user=manager, line_id=line.pk, amount_fen=1_000_000, channel="field"))
    # end of day fails a date whole (one transaction per date): the failed run is recorded, then resumed. The days
    # up to the 17th close normally; the 18th to the 20th (settlement: interest falls due) are failed at each write.
    eod_run(user=branch, until=START + 14 * DAY)
    for _ in range(3):
        step("eod", lambda: eod_run(user=branch, until=business_date_current()))
    assert EodRun.objects.filter(status=EodRun.Status.SUCCEEDED).count() == 18
    assert sum(loan.interest_due_fen for loan in CreditLine.objects.get(pk=line.pk).loans.all()) > 0
    step("repay", lambda: line_repay(user=manager, line_id=line.pk, amount_fen=1_500_000, channel="counter"))
    step("freeze", lambda: line_freeze(user=branch, line_id=line.pk))
    step("unfreeze", lambda: line_unfreeze(user=branch, line_id=line.pk))
    step("drawdown", lambda: line_drawdown(user=manager, line_id=line.pk, amount_fen=200_000, channel="counter"))
    last = Journal.objects.filter(line=line).order_by("pk").last()
    step("reverse", lambda: journal_reverse(user=branch, journal_id=last.pk))
    owed = CreditLine.objects.get(pk=line.pk)
    due = owed.outstanding_principal_fen + sum(
        loan.interest_accrued_fen + loan.interest_due_fen + loan.penalty_accrued_fen + loan.penalty_due_fen
        for loan in owed.loans.all()
    )
    step("repay_all", lambda: line_repay(user=manager, line_id=line.pk, amount_fen=due, channel="counter"))
    step("close", lambda: line_close(user=branch, line_id=line.pk))
    assert CreditLine.objects.get(pk=line.pk).status == CreditLine.Status.CLOSED
    assert all(n >= 1 for n in steps.values()), steps
    assert steps["eod"] >= 5 and steps["drawdown"] >= 3, steps  # a write per step at least: faults were injected


def test_approval_services_fail_whole_at_every_write(world, village):
    manager, branch = world.users[roles.ACCOUNT_MANAGER], world.users[roles.BRANCH_MANAGER]
    steps = {}

    def step(name, action):
        result, steps[name] = crash_at_every_write(action)
        return result

    round_ = step(
        "round_open", lambda: round_open(user=manager, campaign=village.campaign, households=village.households)
    )
    vote_all(village, round_)
    step("batch_close", lambda: granting.village_batch_close(user=manager, round_id=round_.pk))
    for proposal in Proposal.objects.order_by("pk"):
        step(
            "grey_decide",
            lambda p=proposal: granting.grey_decide(user=manager, proposal_id=p.pk, accept=True, reason="征信正常"),
        )
    campaign = village.campaign.pk
    notice = step(
        "notice", lambda: approval.notice_publish(user=manager, campaign_id=campaign, objection_phone="0579-88888888")
    )
    first = Proposal.objects.order_by("pk").first()
    objection = step(
        "objection", lambda: approval.objection_record(user=manager, proposal_id=first.pk, content="反映有赌博行为")
    )
    step("resolve", lambda: approval.objection_resolve(user=manager, objection_id=objection.pk, resolution="不属实"))
    batch = step("submit", lambda: approval.batch_submit(user=manager, campaign_id=campaign))
    business_date_set(business_date=notice.ends_on + DAY)
    step("decide", lambda: approval.proposal_decide(user=branch, proposal_id=first.pk, approve=True, reason="同意"))
    step("batch_decide", lambda: approval.batch_decide(user=branch, batch_id=batch.pk, approve=True, reason="同意"))
    signed = step(
        "sign",
        lambda: approval.proposal_sign(
            user=manager, proposal_id=first.pk, contract_number="ZJLX-0001", signed_on=business_date_current()
        ),
    )
    assert CreditLine.objects.get(pk=signed.line_id).status == CreditLine.Status.ACTIVE
    assert Proposal.objects.filter(status=Proposal.Status.APPROVED).count() == 9
    assert all(n >= 1 for n in steps.values()), steps
