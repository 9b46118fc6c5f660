"""Reads of credit lines and the ledger."""

import datetime
from dataclasses import dataclass
from itertools import groupby

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from puhui.core.selectors import singleton_row
from puhui.credit import posting
from puhui.credit.classify import Thresholds
from puhui.credit.models import (
    LOAN_INTEREST_UNPAID,
    LOAN_OPEN,
    Account,
    Classification,
    CreditLine,
    CreditRules,
    EodRun,
    Journal,
    Leg,
    Loan,
)
from puhui.org import roles
from puhui.org.scope import row_in_scope


@dataclass(frozen=True)
class TrialBalance:
    debits_fen: int
    credits_fen: int
    principal_control_fen: int
    loans_outstanding_fen: int
    interest_control_fen: int = 0  # the interest-receivable account
    loans_interest_fen: int = 0  # Σ the loans' unpaid interest buckets

    @property
    def principal_difference_fen(self) -> int:
        return self.principal_control_fen - self.loans_outstanding_fen

    @property
    def interest_difference_fen(self) -> int:
        return self.interest_control_fen - self.loans_interest_fen

    @property
    def balanced(self) -> bool:
        return (
            self.debits_fen == self.credits_fen
            and self.principal_control_fen == self.loans_outstanding_fen
            and self.interest_control_fen == self.loans_interest_fen
        )


def trial_balance() -> TrialBalance:
    """Σ debits = Σ credits, and each control account equals the sum over the loans it controls."""
    sums = Leg.objects.aggregate(
        debits=Coalesce(Sum("amount_fen", filter=Q(amount_fen__gt=0)), 0),
        credits=Coalesce(Sum("amount_fen", filter=Q(amount_fen__lt=0)), 0),
        principal=Coalesce(Sum("amount_fen", filter=Q(account__code=Account.Code.LOAN_PRINCIPAL)), 0),
        interest=Coalesce(Sum("amount_fen", filter=Q(account__code=Account.Code.INTEREST_RECEIVABLE)), 0),
    )
    loans = Loan.objects.aggregate(
        principal=Coalesce(Sum("outstanding_principal_fen"), 0),
        interest=Coalesce(Sum(LOAN_INTEREST_UNPAID), 0),
    )
    return TrialBalance(
        sums["debits"], -sums["credits"], sums["principal"], loans["principal"], sums["interest"], loans["interest"]
    )


def credit_rules() -> CreditRules:
    """The bank's credit rules; the defaults of DOMAIN §4 until the head office changes them in the admin."""
    return singleton_row(CreditRules)


def classification_thresholds(rules: CreditRules) -> Thresholds:
    return Thresholds(
        special_mention_max=rules.special_mention_max_dpd,
        substandard_max=rules.substandard_max_dpd,
        doubtful_max=rules.doubtful_max_dpd,
    )


def line_get(*, user, pk: int) -> CreditLine:
    line = CreditLine.objects.visible_to(user).filter(pk=pk).first()
    if line is None:
        raise Http404
    return line


def line_visible(*, user, pk: int) -> bool:
    """Whether `line_get` would find the line — in one plain query, for the money path."""
    facts = posting.line_scope_facts(pk, user.pk)
    return facts is not None and line_scope_visible(user, facts)


def line_scope_visible(user, facts: posting.ScopeFacts) -> bool:
    """`CreditLine.objects.visible_to(user)` as a rule on the facts of one line."""
    if user.is_authenticated and user.is_active and user.has_role(roles.FARMER):
        if facts.user_is_member:
            return True
        if not user.is_bank_staff:
            return False
    return row_in_scope(user, branch_id=facts.branch_id, manager_id=facts.manager_id, village_id=facts.village_id)


def line_list(*, user, status: str | None = None, village_code: str | None = None):
    lines = CreditLine.objects.visible_to(user).order_by("pk")
    if status:
        lines = lines.filter(status=status)
    if village_code:
        lines = lines.filter(household__village__code=village_code)
    return lines


def line_accrued_interest_fen(line: CreditLine) -> int:
    """Interest posted and not yet paid, to the fen (the loans' unpaid interest; equals their receivable)."""
    return sum(loan.interest_unpaid_fen for loan in line.loans.all())


@dataclass(frozen=True)
class AmountsOwed:
    due_now_fen: int  # what must be paid to be up to date: settled interest, penalties, matured principal
    payoff_fen: int  # everything: all principal and every posted interest fen


def line_amounts_owed(line: CreditLine, today: datetime.date) -> AmountsOwed:
    """应还金额 and 结清金额 of a line as of the business date."""
    due = payoff = 0
    for loan in line.loans.filter(LOAN_OPEN):
        matured = loan.outstanding_principal_fen if loan.maturity <= today else 0
        due += loan.interest_due_fen + loan.penalty_due_fen + loan.penalty_accrued_fen + matured
        payoff += loan.outstanding_principal_fen + loan.interest_unpaid_fen
    return AmountsOwed(due, payoff)


@dataclass(frozen=True)
class StatementEntry:
    date: datetime.date
    kind: str
    amount_fen: int
    principal_after_fen: int
    interest_after_fen: int


STATEMENT_ACCOUNTS = (Account.Code.LOAN_PRINCIPAL, Account.Code.INTEREST_RECEIVABLE)


def line_statement(line: CreditLine) -> list[StatementEntry]:
    """Every posting on the line's loans in order, with the principal and unpaid interest after it.

    End of day accrues every day; consecutive days of accrual are one entry dated on the last of them."""
    principal = interest = 0
    entries: list[StatementEntry] = []
    legs = (
        Leg.objects.filter(loan__line=line, account__code__in=STATEMENT_ACCOUNTS)
        .order_by("journal_id", "pk")
        .values_list("journal_id", "journal__business_date", "journal__kind", "account__code", "amount_fen")
    )
    for _journal, rows in groupby(legs, key=lambda r: r[0]):
        rows = list(rows)
        moved_principal = sum(r[4] for r in rows if r[3] == Account.Code.LOAN_PRINCIPAL)
        moved_interest = sum(r[4] for r in rows if r[3] == Account.Code.INTEREST_RECEIVABLE)
        principal += moved_principal
        interest += moved_interest
        amount, kind = abs(moved_principal) + abs(moved_interest), rows[0][2]
        if kind == Journal.Kind.ACCRUAL and entries and entries[-1].kind == Journal.Kind.ACCRUAL:
            amount += entries.pop().amount_fen
        entries.append(StatementEntry(rows[0][1], kind, amount, principal, interest))
    return entries


@dataclass(frozen=True)
class AccountBalance:
    code: str
    name: str
    debits_fen: int
    credits_fen: int

    @property
    def balance_fen(self) -> int:
        return self.debits_fen - self.credits_fen


def account_balances() -> list[AccountBalance]:
    """Each ledger account's debits, credits and balance (debit positive), in chart order."""
    sums = {
        row["account__code"]: row
        for row in Leg.objects.values("account__code").annotate(
            debits=Coalesce(Sum("amount_fen", filter=Q(amount_fen__gt=0)), 0),
            credits=Coalesce(Sum("amount_fen", filter=Q(amount_fen__lt=0)), 0),
        )
    }
    return [
        AccountBalance(code, str(label), sums.get(code, {}).get("debits", 0), -sums.get(code, {}).get("credits", 0))
        for code, label in Account.Code.choices
    ]


@dataclass(frozen=True)
class ClassBalance:
    classification: str
    label: str
    loans: int
    principal_fen: int
    interest_fen: int


def portfolio_by_classification() -> list[ClassBalance]:
    """Open loans by five-category classification (五级分类): count, principal and unpaid interest."""
    rows = {
        row["classification"]: row
        for row in Loan.objects.filter(LOAN_OPEN)
        .values("classification")
        .annotate(
            loans=Count("pk"),
            principal=Coalesce(Sum("outstanding_principal_fen"), 0),
            interest=Coalesce(Sum(LOAN_INTEREST_UNPAID), 0),
        )
    }
    return [
        ClassBalance(code, str(label), *(rows.get(code, {}).get(k, 0) for k in ("loans", "principal", "interest")))
        for code, label in Classification.choices
    ]


def eod_runs(limit: int = 60):
    """The latest end-of-day runs, newest first."""
    return EodRun.objects.select_related("started_by").order_by("-business_date")[:limit]
