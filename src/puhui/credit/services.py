"""Money services: activation, drawdown (用信), repayment (还款). Each runs in one transaction with the
line locked (select_for_update), counters moved with F(), a balanced journal, and the acting user audited."""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from puhui.core.audit import audit_changed, audit_created, audit_write, set_actor
from puhui.core.bulk import instance_new, instances_insert, pipeline_paused, pipelined
from puhui.core.idempotency import posting_atomic
from puhui.core.selectors import business_date_for_posting
from puhui.credit import allocation, classify, interest, posting
from puhui.credit.errors import CreditRefused
from puhui.credit.ledger import LegSpec, account_ids, journal_post
from puhui.credit.models import LOAN_OPEN, Account, CreditLine, Journal, Loan, Repayment, RepaymentPart
from puhui.credit.purposes import purpose_kind_of
from puhui.credit.selectors import classification_thresholds, credit_rules, line_scope_visible

LINE_YEARS = 3  # DOMAIN §3 step 9: 一次授信三年


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@transaction.atomic
def line_activate(
    *, user, household, borrower, limit_fen: int, grade: str, rate, start_date: datetime.date
) -> CreditLine:
    """激活: an active line valid three years from `start_date` (approval and signing come before it)."""
    with set_actor(user):
        return CreditLine.objects.create(
            household=household,
            borrower=borrower,
            limit_fen=limit_fen,
            grade=grade,
            rate=rate,
            start_date=start_date,
            end_date=add_years(start_date, LINE_YEARS),
        )


def _line_locked(line_id: int) -> CreditLine:
    return CreditLine.objects.select_for_update().get(pk=line_id)


def _drawable(line, today: datetime.date, amount_fen: int) -> None:
    if amount_fen <= 0:
        raise CreditRefused("invalid_amount")
    if line.status == CreditLine.Status.FROZEN:
        raise CreditRefused("line_frozen")
    if line.status == CreditLine.Status.EXPIRED or today >= line.end_date:
        raise CreditRefused("line_expired")
    if line.status != CreditLine.Status.ACTIVE or today < line.start_date:
        raise CreditRefused("line_not_active")
    if line.has_past_due_loan:
        raise CreditRefused("line_frozen")
    if amount_fen > line.available_fen:
        raise CreditRefused("exceeds_available", available=line.available_fen)


def _line_for_posting(line_id: int, *, reserve: tuple = (), loans: bool = False, visible_to=None):
    """The line locked for the posting, with the business date and the credit rules it needs (made with
    their defaults if missing) and ids reserved for the rows it will write (see posting.line_lock).
    With `visible_to` (a user), a line outside that user's scope is not found either."""
    line = posting.line_lock(line_id, reserve=reserve, loans=loans, user_id=getattr(visible_to, "pk", None))
    if line is None or (visible_to is not None and not line_scope_visible(visible_to, line.scope)):
        raise CreditLine.DoesNotExist(f"credit line {line_id}")
    if line.loan_term_months is None or not line.chart_complete or line.today is None:
        pipeline_paused()  # an empty database (tests): what is missing is made, catching a concurrent maker's
        if line.loan_term_months is None:
            rules = credit_rules()
            line.loan_term_months, line.penalty_multiplier = rules.loan_term_months, rules.penalty_multiplier
            line.thresholds = classification_thresholds(rules)
        if not line.chart_complete:
            account_ids()  # the chart is made again (a test emptied the database)
        if line.today is None:
            line.today = business_date_for_posting()
    return line


@posting_atomic
def line_drawdown(*, user, line_id: int, amount_fen: int, channel: str, purpose: str = "", visible_to=None) -> Loan:
    """用信: a loan on the line, due in the default term and never after the line's end. The loan comes
    back with its line as it stands after the drawdown (`loan.line`). With `visible_to` (the caller of an API
    request), a line out of that user's scope raises CreditLine.DoesNotExist: the scope is checked in the
    line's locked read, not by a query of its own."""
    line = _line_for_posting(line_id, reserve=(Loan, Journal), visible_to=visible_to)
    today = line.today
    _drawable(line, today, amount_fen)
    pipelined()
    loan = instance_new(
        Loan,
        id=line.reserved_ids.get(Loan),
        line_id=line.id,
        principal_fen=amount_fen,
        outstanding_principal_fen=amount_fen,
        rate=line.rate,
        rate_scaled=interest.scaled_rate(line.rate),
        penalty_rate_scaled=interest.scaled_rate(interest.penalty_rate(line.rate, line.penalty_multiplier)),
        drawn_on=today,
        maturity=min(add_months(today, line.loan_term_months), line.end_date),
        channel=channel,
        purpose=purpose[:60],
        purpose_kind=purpose_kind_of(purpose),
        created_by_id=user.pk,
    )
    instances_insert([loan])
    posting.line_principal_move(line.id, amount_fen)
    line.outstanding_principal_fen += amount_fen
    journal_post(
        kind=Journal.Kind.DRAWDOWN,
        business_date=today,
        line=line,
        actor=user,
        legs=[
            LegSpec(Account.Code.LOAN_PRINCIPAL, amount_fen, loan.pk),
            LegSpec(Account.Code.CUSTOMER_SETTLEMENT, -amount_fen),
        ],
        journal_id=line.reserved_ids.get(Journal),
    )
    audit_write(user, [audit_created(loan)])
    loan.line = posting.line_model(line)
    return loan


def loan_oldest_due(loan: Loan, today: datetime.date) -> datetime.date | None:
    """The oldest unpaid due date: unpaid settled interest, or principal once the loan has matured."""
    dates = [loan.interest_due_since] if loan.interest_due_since else []
    if loan.outstanding_principal_fen and loan.maturity <= today:
        dates.append(loan.maturity)
    return min(dates, default=None)


def _loan_due(loan: Loan, today: datetime.date) -> allocation.LoanDue:
    """What one loan owes now in the Civil Code categories; penalty includes compound interest (复利)."""
    return allocation.LoanDue(
        loan_id=loan.pk,
        oldest_due=loan_oldest_due(loan, today),
        drawn_on=loan.drawn_on,
        penalty_fen=loan.penalty_due_fen + loan.penalty_accrued_fen,
        overdue_interest_fen=loan.interest_due_fen,
        interest_fen=loan.interest_accrued_fen,
        principal_fen=loan.outstanding_principal_fen,
    )


def _buckets_paid(loan: Loan, part: allocation.LoanAllocation) -> dict[str, int]:
    """The allocation in the loan's buckets: settled penalty before penalty still accruing."""
    penalty_due = min(part.penalty_fen, loan.penalty_due_fen)
    return {
        "penalty_due_fen": penalty_due,
        "penalty_accrued_fen": part.penalty_fen - penalty_due,
        "interest_due_fen": part.overdue_interest_fen,
        "interest_accrued_fen": part.interest_fen,
        "principal_fen": part.principal_fen,
    }


@dataclass(frozen=True)
class RepaymentPosted:
    split: allocation.Allocation
    line: CreditLine  # as it stands after the repayment (not read again)


def line_repay(*, user, line_id: int, amount_fen: int, channel: str) -> allocation.Allocation:
    """还款: allocated penalty → overdue interest → interest → principal, oldest due first; no overpayment."""
    return line_repayment_post(user=user, line_id=line_id, amount_fen=amount_fen, channel=channel).split


@posting_atomic
def line_repayment_post(*, user, line_id: int, amount_fen: int, channel: str, visible_to=None) -> RepaymentPosted:
    """`line_repay`, answering the line as well (`visible_to`: as in line_drawdown)."""
    line = _line_for_posting(line_id, reserve=(Journal, Repayment), loans=True, visible_to=visible_to)
    today = line.today
    loans = {loan.pk: loan for loan in line.open_loans}
    try:
        split = allocation.allocate(amount_fen, [_loan_due(loan, today) for loan in loans.values()])
    except allocation.InvalidAmount as exc:
        raise CreditRefused("invalid_amount") from exc
    except allocation.Overpayment as exc:
        raise CreditRefused("exceeds_amount_due", amount_due=exc.amount_due_fen) from exc
    pipelined()
    legs = [LegSpec(Account.Code.CUSTOMER_SETTLEMENT, amount_fen)]
    parts, audit, thresholds = [], [], line.thresholds
    for part in split.per_loan:
        loan = loans[part.loan_id]
        paid = _buckets_paid(loan, part)
        parts.append(instance_new(RepaymentPart, loan_id=loan.pk, interest_due_since=loan.interest_due_since, **paid))
        audit.append(_loan_pay(loan, paid, today, thresholds))
        legs.append(LegSpec(Account.Code.LOAN_PRINCIPAL, -part.principal_fen, part.loan_id))
        legs.append(LegSpec(Account.Code.INTEREST_RECEIVABLE, -(part.total_fen - part.principal_fen), part.loan_id))
    posting.line_principal_move(line.id, -split.principal_fen)
    line.outstanding_principal_fen -= split.principal_fen
    journal = journal_post(
        kind=Journal.Kind.REPAYMENT,
        business_date=today,
        line=line,
        actor=user,
        legs=legs,
        journal_id=line.reserved_ids.get(Journal),
    )
    repayment = instance_new(
        Repayment,
        id=line.reserved_ids.get(Repayment),
        journal_id=journal.pk,
        line_id=line.id,
        amount_fen=amount_fen,
        channel=channel,
        business_date=today,
    )
    instances_insert([repayment])
    for part in parts:
        part.repayment_id = repayment.pk
    instances_insert(parts, returning=False)
    audit.append(audit_created(repayment))
    if line.status == CreditLine.Status.FROZEN and line.frozen_by_eod and not any(loan.dpd for loan in loans.values()):
        # a line end of day froze for a past-due loan is active again once no loan is past due
        posting.line_thaw(line.id)
        thawed = posting.line_model(line)
        audit.append(audit_changed(thawed, {"status": (line.status, CreditLine.Status.ACTIVE)}))
        line.status, line.frozen_by_eod = CreditLine.Status.ACTIVE, False
    audit_write(user, audit)
    return RepaymentPosted(split, posting.line_model(line))


REPAYMENT_BUCKETS = ("penalty_due_fen", "penalty_accrued_fen", "interest_due_fen", "interest_accrued_fen")
LOAN_PAID_FIELDS = (*REPAYMENT_BUCKETS, "outstanding_principal_fen", "interest_due_since", "dpd", "classification")


def _loan_pay(loan: Loan, paid: dict[str, int], today: datetime.date, thresholds: classify.Thresholds):
    """Take a repayment off the loan's buckets; a loan paid up to date is cured at once (DPD 0, 正常).
    Returns the audit record of the change."""
    before = {name: getattr(loan, name) for name in LOAN_PAID_FIELDS}
    for bucket in REPAYMENT_BUCKETS:
        setattr(loan, bucket, getattr(loan, bucket) - paid[bucket])
    loan.outstanding_principal_fen -= paid["principal_fen"]
    if not (loan.interest_due_fen or loan.penalty_due_fen):
        loan.interest_due_since = None
    dpd = classify.days_past_due(loan_oldest_due(loan, today), today)
    # only ever an improvement: end of day is what worsens a classification
    loan.dpd = min(loan.dpd, dpd)
    loan.classification = classify.classify(loan.dpd, thresholds).value
    posting.loan_update(loan, LOAN_PAID_FIELDS)
    return audit_changed(loan, {name: (before[name], getattr(loan, name)) for name in LOAN_PAID_FIELDS})


# Line status transitions (ARCHITECTURE convention 6): from → allowed targets.
LINE_TRANSITIONS = {
    CreditLine.Status.ACTIVE: {CreditLine.Status.FROZEN, CreditLine.Status.CLOSED, CreditLine.Status.EXPIRED},
    CreditLine.Status.FROZEN: {CreditLine.Status.ACTIVE, CreditLine.Status.CLOSED, CreditLine.Status.EXPIRED},
    CreditLine.Status.EXPIRED: {CreditLine.Status.CLOSED},
    CreditLine.Status.CLOSED: set(),
}


def _line_transition(user, line_id: int, target: str) -> CreditLine:
    line = _line_locked(line_id)
    if target not in LINE_TRANSITIONS[line.status]:
        raise CreditRefused("invalid_transition", status=line.status, target=target)
    with set_actor(user):
        line.status = target
        line.frozen_by_eod = False  # whatever staff decide now is theirs to lift, not end of day's
        line.save(update_fields=["status", "frozen_by_eod", "updated_at"])
    return line


@transaction.atomic
def line_freeze(*, user, line_id: int) -> CreditLine:
    """冻结: no new drawdowns; repayments go on."""
    return _line_transition(user, line_id, CreditLine.Status.FROZEN)


@transaction.atomic
def line_unfreeze(*, user, line_id: int) -> CreditLine:
    """解冻: refused while a loan is past due (end of day would freeze the line again)."""
    if Loan.objects.filter(line_id=line_id, outstanding_principal_fen__gt=0, dpd__gt=0).exists():
        raise CreditRefused("line_frozen")
    return _line_transition(user, line_id, CreditLine.Status.ACTIVE)


@transaction.atomic
def line_close(*, user, line_id: int) -> CreditLine:
    """关闭: only a line that owes nothing."""
    line = _line_locked(line_id)
    if line.outstanding_principal_fen or line.loans.filter(LOAN_OPEN).exists():
        raise CreditRefused("line_has_balance")
    return _line_transition(user, line_id, CreditLine.Status.CLOSED)


@transaction.atomic
def journal_reverse(*, user, journal_id: int) -> Journal:
    """冲正: a journal with every leg negated, loans and line moved back with it. Once per journal; end-of-day
    accruals and drawdowns whose loan has accrued interest cannot be reversed (their interest is booked)."""
    original = Journal.objects.select_related("line").get(pk=journal_id)
    if original.kind == Journal.Kind.REVERSAL or Journal.objects.filter(reverses=original).exists():
        raise CreditRefused("already_reversed")
    if original.line_id is None:
        raise CreditRefused("reversal_not_possible")
    today = business_date_for_posting()
    line = _line_locked(original.line_id)
    legs = list(original.legs.select_related("account"))
    principal_moves = [
        (leg.loan_id, -leg.amount_fen) for leg in legs if leg.account.code == Account.Code.LOAN_PRINCIPAL
    ]
    if (
        original.kind == Journal.Kind.DRAWDOWN
        and Loan.objects.filter(
            pk__in=[loan_id for loan_id, _ in principal_moves], accrued_through__isnull=False
        ).exists()
    ):
        raise CreditRefused("reversal_not_possible")
    try:
        with transaction.atomic(), set_actor(user):
            if original.kind == Journal.Kind.REPAYMENT:
                _repayment_restore(original)
            return _reversal_post(user, line, original, legs, principal_moves, today)
    except IntegrityError as exc:  # a loan's principal would leave 0…principal, or the line its limit
        raise CreditRefused("reversal_not_possible") from exc


def _repayment_restore(journal: Journal) -> None:
    """Put back the interest a reversed repayment took off each loan, and its oldest due date."""
    for part in RepaymentPart.objects.filter(repayment__journal=journal).select_related("loan"):
        loan = part.loan
        for bucket in REPAYMENT_BUCKETS:
            setattr(loan, bucket, getattr(loan, bucket) + getattr(part, bucket))
        if part.interest_due_since and (
            loan.interest_due_since is None or part.interest_due_since < loan.interest_due_since
        ):
            loan.interest_due_since = part.interest_due_since
        loan.save(update_fields=[*REPAYMENT_BUCKETS, "interest_due_since"])


def _reversal_post(user, line, original, legs, principal_moves, today) -> Journal:
    for loan_id, change in principal_moves:
        Loan.objects.filter(pk=loan_id).update(outstanding_principal_fen=F("outstanding_principal_fen") + change)
    CreditLine.objects.filter(pk=line.pk).update(
        outstanding_principal_fen=F("outstanding_principal_fen") + sum(change for _, change in principal_moves)
    )
    return journal_post(
        kind=Journal.Kind.REVERSAL,
        business_date=today,
        line=line,
        actor=user,
        reverses=original,
        legs=[LegSpec(leg.account.code, -leg.amount_fen, leg.loan_id) for leg in legs],
    )
