"""Reads of credit lines and the ledger."""

from dataclasses import dataclass

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from puhui.credit.models import Account, Leg, Loan


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
