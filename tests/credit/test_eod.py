"""End of day (日终): accrual, settlement, overdue, classification, freeze and expiry, in set-based SQL.

The expected figures come from hand computation and from replaying credit/interest.py day by day.
"""

import datetime
from decimal import Decimal

import pytest

from puhui.core.selectors import business_date_current
from puhui.core.services import business_date_set
from puhui.credit import classify, interest
from puhui.credit.eod import eod_day, eod_run
from puhui.credit.errors import CreditRefused
from puhui.credit.models import Account, CreditLine, CreditRules, EodRun, Journal, Leg, Loan
from puhui.credit.selectors import credit_rules, trial_balance
from puhui.credit.services import line_drawdown, line_repay
from puhui.org import roles
from tests.credit.test_money_services import START, make_line

DAY = datetime.timedelta(days=1)


def drawn(world, amount_fen, *, rate="4.35", number="H1", limit_fen=30_000_000) -> Loan:
    line = make_line(world, limit_fen=limit_fen, number=number)
    CreditLine.objects.filter(pk=line.pk).update(rate=Decimal(rate))
    return line_drawdown(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=amount_fen, channel="mobile")


def receivable(loan: Loan) -> int:
    return sum(
        Leg.objects.filter(loan=loan, account__code=Account.Code.INTEREST_RECEIVABLE).values_list(
            "amount_fen", flat=True
        )
    )


def simulate(principal_fen, rate, drawn_on, maturity, through, settlement_day=20):
    """The loan's interest buckets after end of day `through`, replayed with the pure interest module."""
    state, accrued_n, accrued_p, due_n, due_p, due_since = interest.LoanAccruals(), 0, 0, 0, 0, None
    day = drawn_on
    while day <= through:
        overdue = principal_fen if interest.accrues_as_overdue(day, maturity) else 0
        state, fen = interest.accrue_loan_day(
            state,
            principal_fen=principal_fen - overdue,
            overdue_principal_fen=overdue,
            overdue_interest_fen=due_n + due_p,  # settled before today, so due on or before today
            contract_rate=Decimal(rate),
        )
        accrued_n, accrued_p = accrued_n + fen.normal_fen, accrued_p + fen.penalty_fen + fen.compound_fen
        if interest.is_settlement_day(day, settlement_day) or day + DAY == maturity:
            if accrued_n + accrued_p and due_since is None:
                due_since = interest.interest_due_date(day)
            due_n, due_p, accrued_n, accrued_p = due_n + accrued_n, due_p + accrued_p, 0, 0
        day += DAY
    return {
        "interest_accrued_fen": accrued_n,
        "penalty_accrued_fen": accrued_p,
        "interest_due_fen": due_n,
        "penalty_due_fen": due_p,
        "interest_due_since": due_since,
    }


BUCKETS = ("interest_accrued_fen", "penalty_accrued_fen", "interest_due_fen", "penalty_due_fen", "interest_due_since")


def buckets(loan: Loan) -> dict:
    loan.refresh_from_db()
    return {name: getattr(loan, name) for name in BUCKETS}


def test_three_days_hand_computed(world):
    # 10,000.00 at 4.35 %: 1,000,000 × 4.35 % ÷ 360 = 120.8333… fen a day; 241.67 → 242; 362.5 → 363 (half-up)
    loan = drawn(world, 1_000_000)
    runs = eod_run(user=world.users[roles.HEAD_OFFICE], until=START + 2 * DAY)
    assert [run.business_date for run in runs] == [START, START + DAY, START + 2 * DAY]
    assert business_date_current() == START + 3 * DAY
    loan.refresh_from_db()
    assert (loan.interest_accrued_fen, receivable(loan)) == (363, 363)
    assert [r.counts["interest_fen"] for r in runs] == [121, 121, 121]
    assert Journal.objects.filter(kind=Journal.Kind.ACCRUAL).count() == 3
    income = Leg.objects.filter(account__code=Account.Code.INTEREST_INCOME).values_list("amount_fen", flat=True)
    assert sum(income) == -363
    assert trial_balance().balanced


def test_settlement_on_the_20th_then_past_due_freezes_and_repayment_cures(world):
    loan = drawn(world, 1_000_000)
    eod_run(user=world.users[roles.HEAD_OFFICE], until=datetime.date(2017, 7, 20))
    loan.refresh_from_db()
    # 18 days (3 July – 20 July) × 120.8333… = 2,175.00 exactly, due on the 21st
    assert (loan.interest_due_fen, loan.interest_accrued_fen, loan.interest_due_since) == (
        2175,
        0,
        datetime.date(2017, 7, 21),
    )
    assert (loan.dpd, loan.line.status) == (0, CreditLine.Status.ACTIVE)
    eod_run(user=world.users[roles.HEAD_OFFICE])  # the 21st closes unpaid
    loan.refresh_from_db()
    line = CreditLine.objects.get(pk=loan.line_id)
    assert (loan.dpd, loan.classification) == (1, "special_mention")
    assert (line.status, line.frozen_by_eod) == (CreditLine.Status.FROZEN, True)
    # compound interest on the unpaid 2,175 at 4.35 × 1.5 = 6.525 %: 0.394 fen, posted 0 so far
    assert loan.penalty_accrued_fen == 0 and loan.compound_remainder_units > 0
    with pytest.raises(CreditRefused) as refused:
        line_drawdown(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=100, channel="mobile")
    assert refused.value.code == "line_frozen"
    paid = line_repay(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=3000, channel="mobile")
    assert (paid.penalty_fen, paid.overdue_interest_fen, paid.interest_fen, paid.principal_fen) == (0, 2175, 121, 704)
    loan.refresh_from_db()
    line.refresh_from_db()
    assert (loan.dpd, loan.classification, loan.interest_due_since) == (0, "normal", None)
    assert (line.status, line.frozen_by_eod) == (CreditLine.Status.ACTIVE, False)
    assert trial_balance().balanced


def test_a_freeze_by_staff_is_not_lifted_by_end_of_day(world):
    from puhui.credit.services import line_freeze

    loan = drawn(world, 1_000_000)
    line_freeze(user=world.users[roles.BRANCH_MANAGER], line_id=loan.line_id)
    eod_run(user=world.users[roles.HEAD_OFFICE], until=START + 5 * DAY)
    assert CreditLine.objects.get(pk=loan.line_id).status == CreditLine.Status.FROZEN


def test_a_month_past_maturity_matches_the_interest_module(world):
    rules = credit_rules()
    rules.loan_term_months = 1
    rules.save()
    loan = drawn(world, 5_432_100, rate="5.2")
    assert loan.maturity == datetime.date(2017, 8, 3)
    through = datetime.date(2017, 9, 25)  # matured, settled on 20 July, at maturity, on 20 August and 20 September
    eod_run(user=world.users[roles.HEAD_OFFICE], until=through)
    expected = simulate(5_432_100, "5.2", START, loan.maturity, through)
    assert buckets(loan) == expected
    assert expected["penalty_due_fen"] > 0 and expected["penalty_accrued_fen"] > 0  # penalty and compound at work
    assert receivable(loan) == sum(v for k, v in expected.items() if k.endswith("_fen"))
    loan.refresh_from_db()
    # oldest unpaid due date: the interest settled on 20 July, due the 21st; DPD as of the next business date
    assert loan.dpd == (through + DAY - datetime.date(2017, 7, 21)).days
    assert loan.classification == classify.classify(loan.dpd).value
    assert trial_balance().balanced


@pytest.mark.parametrize(
    ("principal_fen", "rate", "days"),
    [(1, "4.35", 400), (30_000_000, "4.35", 400), (1_234_567, "6.0375", 500), (99_999, "24", 300)],
)
def test_long_runs_post_the_exact_accrual_rounded_once(world, principal_fen, rate, days):
    loan = drawn(world, principal_fen, rate=rate)
    through = START + (days - 1) * DAY
    eod_run(user=world.users[roles.HEAD_OFFICE], until=through, snapshot=False)  # the interest, not the KPIs
    expected = simulate(principal_fen, rate, START, loan.maturity, through)
    assert buckets(loan) == expected
    assert trial_balance().balanced


def test_end_of_day_twice_for_one_date_changes_nothing(world):
    loan = drawn(world, 1_000_000)
    head = world.users[roles.HEAD_OFFICE]
    first = eod_day(user=head, business_date=START)
    legs, state = Leg.objects.count(), buckets(loan)
    again = eod_day(user=head, business_date=START)
    assert (again.pk, again.attempts, again.status) == (first.pk, 1, EodRun.Status.SUCCEEDED)
    assert (Leg.objects.count(), buckets(loan), business_date_current()) == (legs, state, START + DAY)
    with pytest.raises(CreditRefused) as refused:
        eod_day(user=head, business_date=START + 5 * DAY)  # not the business date
    assert refused.value.code == "eod_not_business_date"
    assert not EodRun.objects.filter(business_date=START + 5 * DAY, status=EodRun.Status.SUCCEEDED).exists()


def test_a_crash_mid_day_leaves_nothing_and_the_rerun_completes(world, monkeypatch):
    import puhui.credit.eod as eod

    loan = drawn(world, 1_000_000)
    head = world.users[roles.HEAD_OFFICE]
    eod_run(user=head, until=START + DAY)
    real_lines = eod._lines

    def crash(cursor, day):
        raise RuntimeError("power cut")

    monkeypatch.setattr(eod, "_lines", crash)
    with pytest.raises(RuntimeError):
        eod_day(user=head, business_date=START + 2 * DAY)
    failed = EodRun.objects.get(business_date=START + 2 * DAY)
    assert (failed.status, business_date_current()) == (EodRun.Status.FAILED, START + 2 * DAY)
    assert Journal.objects.filter(kind=Journal.Kind.ACCRUAL).count() == 2
    assert buckets(loan)["interest_accrued_fen"] == 242
    monkeypatch.setattr(eod, "_lines", real_lines)
    eod_run(user=head, until=START + 9 * DAY)
    resumed = EodRun.objects.get(business_date=START + 2 * DAY)
    assert (resumed.status, resumed.attempts) == (EodRun.Status.SUCCEEDED, 2)
    assert buckets(loan) == simulate(1_000_000, "4.35", START, loan.maturity, START + 9 * DAY)
    assert trial_balance().balanced


DPDS = (0, 1, 2, 89, 90, 91, 92, 269, 270, 271, 359, 360, 361, 800)


def test_classification_in_sql_matches_the_pure_rule(world):
    line = make_line(world)
    farmer = world.users[roles.FARMER]
    loans = [line_drawdown(user=farmer, line_id=line.pk, amount_fen=100, channel="mobile") for _ in DPDS]
    next_day = START + DAY
    for loan, dpd in zip(loans, DPDS, strict=True):
        Loan.objects.filter(pk=loan.pk).update(interest_due_fen=1, interest_due_since=next_day - dpd * DAY)
    eod_day(user=world.users[roles.HEAD_OFFICE], business_date=START)
    got = list(Loan.objects.filter(pk__in=[x.pk for x in loans]).order_by("pk").values_list("dpd", "classification"))
    assert got == [(dpd, classify.classify(dpd).value) for dpd in DPDS]
    assert CreditLine.objects.get(pk=line.pk).status == CreditLine.Status.FROZEN


def test_a_day_counts_the_loans_whose_category_changed_not_those_whose_dpd_moved(world):
    """关注 up to 90 days past due, 次级 from 91 (defaults): DPD 89, 90, 91 on three days — two reclassifications."""
    loan = drawn(world, 100)
    Loan.objects.filter(pk=loan.pk).update(interest_due_fen=1, interest_due_since=START + DAY - 89 * DAY)
    head = world.users[roles.HEAD_OFFICE]
    counted = [eod_day(user=head, business_date=START + n * DAY).counts["loans_reclassified"] for n in range(3)]
    loan.refresh_from_db()
    assert (loan.dpd, loan.classification) == (91, "substandard")
    assert counted == [1, 0, 1]  # 正常 → 关注, DPD 89 → 90 within 关注, 关注 → 次级


def test_classification_bands_are_the_banks_rules(world):
    CreditRules.objects.update_or_create(pk=1, defaults={"special_mention_max_dpd": 30, "substandard_max_dpd": 60})
    loan = drawn(world, 100)
    Loan.objects.filter(pk=loan.pk).update(interest_due_fen=1, interest_due_since=START + DAY - 31 * DAY)
    eod_day(user=world.users[roles.HEAD_OFFICE], business_date=START)
    loan.refresh_from_db()
    assert (loan.dpd, loan.classification) == (31, "substandard")


def test_lines_expire_at_their_end_date(world):
    loan = drawn(world, 100)
    line = CreditLine.objects.get(pk=loan.line_id)
    assert line.end_date == datetime.date(2020, 7, 3)
    Loan.objects.filter(pk=loan.pk).update(accrued_through=datetime.date(2020, 6, 30))  # skip three years of days
    business_date_set(business_date=datetime.date(2020, 7, 1))
    run = eod_day(user=world.users[roles.HEAD_OFFICE], business_date=datetime.date(2020, 7, 1))
    assert run.counts["lines_expired"] == 0
    run = eod_day(user=world.users[roles.HEAD_OFFICE], business_date=datetime.date(2020, 7, 2))
    assert run.counts["lines_expired"] == 1
    assert CreditLine.objects.get(pk=line.pk).status == CreditLine.Status.EXPIRED


def test_a_loan_paid_off_stops_accruing(world):
    loan = drawn(world, 1_000_000)
    head, farmer = world.users[roles.HEAD_OFFICE], world.users[roles.FARMER]
    eod_run(user=head, until=START + DAY)  # 242 fen of interest
    line_repay(user=farmer, line_id=loan.line_id, amount_fen=1_000_242, channel="mobile")
    run = eod_day(user=head, business_date=START + 2 * DAY)
    assert run.counts["loans_accrued"] == 0
    assert buckets(loan)["interest_accrued_fen"] == 0
    assert trial_balance().balanced


def test_repayment_pays_interest_before_principal(world):
    loan = drawn(world, 1_000_000)
    eod_run(user=world.users[roles.HEAD_OFFICE], until=START + 2 * DAY)  # 363 fen
    split = line_repay(user=world.users[roles.FARMER], line_id=loan.line_id, amount_fen=500, channel="mobile")
    assert (split.interest_fen, split.principal_fen) == (363, 137)
    loan.refresh_from_db()
    assert (loan.interest_accrued_fen, loan.outstanding_principal_fen, receivable(loan)) == (0, 999_863, 0)
    with pytest.raises(CreditRefused) as refused:
        line_repay(user=world.users[roles.FARMER], line_id=loan.line_id, amount_fen=999_864, channel="mobile")
    assert refused.value.code == "exceeds_amount_due"
