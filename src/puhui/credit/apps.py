from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "puhui.credit"
    label = "credit"
    verbose_name = _("Credit lines and ledger")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from puhui.credit.models import CreditLine, CreditRules, Loan, Repayment

        auditlog.register(CreditLine)
        auditlog.register(Loan)
        auditlog.register(Repayment)
        auditlog.register(CreditRules)
