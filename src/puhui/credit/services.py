"""Money services: activation, drawdown (用信), repayment (还款). Each runs in one transaction with the
line locked (select_for_update), counters moved with F(), a balanced journal, and the acting user audited."""

import datetime

from auditlog.context import set_actor
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from puhui.core.selectors import business_date_current
from puhui.credit import allocation
from puhui.credit.errors import CreditRefused
from puhui.credit.ledger import LegSpec, journal_post
from puhui.credit.models import Account, CreditLine, Journal, Leg, Loan

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


def _drawable(line: CreditLine, today: datetime.date, amount_fen: int) -> None:
    if amount_fen <= 0:
        raise CreditRefused("invalid_amount")
    if line.status == CreditLine.Status.FROZEN:
        raise CreditRefused("line_frozen")
    if line.status == CreditLine.Status.EXPIRED or today >= line.end_date:
        raise CreditRefused("line_expired")
    if line.status != CreditLine.Status.ACTIVE or today < line.start_date:
        raise CreditRefused("line_not_active")
    if line.loans.filter(outstanding_principal_fen__gt=0, dpd__gt=0).exists():
        raise CreditRefused("line_frozen")
    if amount_fen > line.available_fen:
        raise CreditRefused("exceeds_available", available=line.available_fen)


@transaction.atomic
def line_drawdown(*, user, line_id: int, amount_fen: int, channel: str, purpose: str = "") -> Loan:
    """用信: a loan on the line, due in the default term and never after the line's end."""
    today = business_date_current()
    line = _line_locked(line_id)
    _drawable(line, today, amount_fen)
    maturity = min(add_months(today, settings.PUHUI_LOAN_TERM_MONTHS), line.end_date)
    with set_actor(user):
        loan = Loan.objects.create(
            line=line,
            principal_fen=amount_fen,
            outstanding_principal_fen=amount_fen,
            rate=line.rate,
            drawn_on=today,
            maturity=maturity,
            channel=channel,
            purpose=purpose[:60],
            created_by=user,
        )
        CreditLine.objects.filter(pk=line.pk).update(
            outstanding_principal_fen=F("outstanding_principal_fen") + amount_fen
        )
        journal_post(
            kind=Journal.Kind.DRAWDOWN,
            business_date=today,
            line=line,
            actor=user,
            legs=[
                LegSpec(Account.Code.LOAN_PRINCIPAL, amount_fen, loan.pk),
                LegSpec(Account.Code.CUSTOMER_SETTLEMENT, -amount_fen),
            ],
        )
    return loan


def _loans_due(line: CreditLine) -> list[allocation.LoanDue]:
    """What each open loan owes now. Interest receivable comes from the ledger (end of day posts it)."""
    receivable = dict(
        Leg.objects.filter(loan__line=line, account__code=Account.Code.INTEREST_RECEIVABLE)
        .values("loan_id")
        .annotate(balance=Sum("amount_fen"))
        .values_list("loan_id", "balance")
    )
    return [
        allocation.LoanDue(
            loan_id=loan.pk,
            oldest_due=loan.maturity,
            drawn_on=loan.drawn_on,
            penalty_fen=0,
            overdue_interest_fen=0,
            interest_fen=receivable.get(loan.pk, 0),
            principal_fen=loan.outstanding_principal_fen,
        )
        for loan in line.loans.filter(outstanding_principal_fen__gt=0)
    ]


@transaction.atomic
def line_repay(*, user, line_id: int, amount_fen: int, channel: str) -> allocation.Allocation:
    """还款: allocated penalty → overdue interest → interest → principal, oldest due first; no overpayment."""
    today = business_date_current()
    line = _line_locked(line_id)
    try:
        split = allocation.allocate(amount_fen, _loans_due(line))
    except allocation.InvalidAmount as exc:
        raise CreditRefused("invalid_amount") from exc
    except allocation.Overpayment as exc:
        raise CreditRefused("exceeds_amount_due", amount_due=exc.amount_due_fen) from exc
    legs = [LegSpec(Account.Code.CUSTOMER_SETTLEMENT, amount_fen)]
    with set_actor(user):
        for part in split.per_loan:
            if part.principal_fen:
                Loan.objects.filter(pk=part.loan_id).update(
                    outstanding_principal_fen=F("outstanding_principal_fen") - part.principal_fen
                )
            legs.append(LegSpec(Account.Code.LOAN_PRINCIPAL, -part.principal_fen, part.loan_id))
            interest = part.penalty_fen + part.overdue_interest_fen + part.interest_fen
            legs.append(LegSpec(Account.Code.INTEREST_RECEIVABLE, -interest, part.loan_id))
        CreditLine.objects.filter(pk=line.pk).update(
            outstanding_principal_fen=F("outstanding_principal_fen") - split.principal_fen
        )
        journal_post(kind=Journal.Kind.REPAYMENT, business_date=today, line=line, actor=user, legs=legs)
    return split


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
        line.save(update_fields=["status", "updated_at"])
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
    if line.outstanding_principal_fen or _loans_due(line):
        raise CreditRefused("line_has_balance")
    return _line_transition(user, line_id, CreditLine.Status.CLOSED)


@transaction.atomic
def journal_reverse(*, user, journal_id: int) -> Journal:
    """冲正: a journal with every leg negated; loan and line principal move back with it. Once per journal."""
    original = Journal.objects.select_related("line").get(pk=journal_id)
    if original.kind == Journal.Kind.REVERSAL or Journal.objects.filter(reverses=original).exists():
        raise CreditRefused("already_reversed")
    line = _line_locked(original.line_id)
    legs = list(original.legs.select_related("account"))
    principal_moves = [
        (leg.loan_id, -leg.amount_fen) for leg in legs if leg.account.code == Account.Code.LOAN_PRINCIPAL
    ]
    try:
        with transaction.atomic(), set_actor(user):
            return _reversal_post(user, line, original, legs, principal_moves)
    except IntegrityError as exc:  # a loan's principal would leave 0…principal, or the line its limit
        raise CreditRefused("reversal_not_possible") from exc


def _reversal_post(user, line, original, legs, principal_moves) -> Journal:
    for loan_id, change in principal_moves:
        Loan.objects.filter(pk=loan_id).update(outstanding_principal_fen=F("outstanding_principal_fen") + change)
    CreditLine.objects.filter(pk=line.pk).update(
        outstanding_principal_fen=F("outstanding_principal_fen") + sum(change for _, change in principal_moves)
    )
    return journal_post(
        kind=Journal.Kind.REVERSAL,
        business_date=business_date_current(),
        line=line,
        actor=user,
        reverses=original,
        legs=[LegSpec(leg.account.code, -leg.amount_fen, leg.loan_id) for leg in legs],
    )
