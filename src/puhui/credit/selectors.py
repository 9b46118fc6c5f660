"""Reads of credit lines and the ledger."""

import datetime
from dataclasses import dataclass
from itertools import groupby

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from puhui.credit.models import Account, CreditLine, Leg, Loan


@dataclass(frozen=True)
class TrialBalance:
    debits_fen: int
    credits_fen: int
    principal_control_fen: int
    loans_outstanding_fen: int

    @property
    def balanced(self) -> bool:
        return self.debits_fen == self.credits_fen and self.principal_control_fen == self.loans_outstanding_fen


def trial_balance() -> TrialBalance:
    """Σ debits = Σ credits, and the principal control account equals the loans' outstanding principal."""
    sums = Leg.objects.aggregate(
        debits=Coalesce(Sum("amount_fen", filter=Q(amount_fen__gt=0)), 0),
        credits=Coalesce(Sum("amount_fen", filter=Q(amount_fen__lt=0)), 0),
        principal=Coalesce(Sum("amount_fen", filter=Q(account__code=Account.Code.LOAN_PRINCIPAL)), 0),
    )
    loans = Loan.objects.aggregate(total=Coalesce(Sum("outstanding_principal_fen"), 0))["total"]
    return TrialBalance(sums["debits"], -sums["credits"], sums["principal"], loans)


def line_get(*, user, pk: int) -> CreditLine:
    line = CreditLine.objects.visible_to(user).filter(pk=pk).first()
    if line is None:
        raise Http404
    return line


def line_list(*, user, status: str | None = None, village_code: str | None = None):
    lines = CreditLine.objects.visible_to(user).order_by("pk")
    if status:
        lines = lines.filter(status=status)
    if village_code:
        lines = lines.filter(household__village__code=village_code)
    return lines


def line_accrued_interest_fen(line: CreditLine) -> int:
    """Interest posted and not yet paid, to the fen (the interest-receivable balance of the line's loans)."""
    return Leg.objects.filter(loan__line=line, account__code=Account.Code.INTEREST_RECEIVABLE).aggregate(
        total=Coalesce(Sum("amount_fen"), 0)
    )["total"]


@dataclass(frozen=True)
class StatementEntry:
    date: datetime.date
    kind: str
    amount_fen: int
    principal_after_fen: int
    interest_after_fen: int


STATEMENT_ACCOUNTS = (Account.Code.LOAN_PRINCIPAL, Account.Code.INTEREST_RECEIVABLE)


def line_statement(line: CreditLine) -> list[StatementEntry]:
    """Every posting on the line in order, with the principal and unpaid interest after it."""
    principal = interest = 0
    entries = []
    legs = (
        Leg.objects.filter(
            journal__line=line, account__code__in=[Account.Code.LOAN_PRINCIPAL, Account.Code.INTEREST_RECEIVABLE]
        )
        .order_by("journal_id", "pk")
        .values_list("journal_id", "journal__business_date", "journal__kind", "account__code", "amount_fen")
    )
    for _journal, rows in groupby(legs, key=lambda r: r[0]):
        rows = list(rows)
        moved_principal = sum(r[4] for r in rows if r[3] == Account.Code.LOAN_PRINCIPAL)
        moved_interest = sum(r[4] for r in rows if r[3] == Account.Code.INTEREST_RECEIVABLE)
        principal += moved_principal
        interest += moved_interest
        amount = abs(moved_principal) + abs(moved_interest)
        entries.append(StatementEntry(rows[0][1], rows[0][2], amount, principal, interest))
    return entries
