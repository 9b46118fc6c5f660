"""Admin pages of the credit app: the bank's credit rules (editable) and end-of-day runs (read-only).

Lines, loans and the ledger change only through the services (and journals never change), so they are not
editable here."""

from django.contrib import admin

from puhui.core.admin import ReadOnlyAdmin
from puhui.credit.models import CreditRules, EodRun


@admin.register(CreditRules)
class CreditRulesAdmin(admin.ModelAdmin):
    """One row: the defaults of DOMAIN §4 until the head office changes them."""

    list_display = [
        "loan_term_months",
        "penalty_multiplier",
        "compound_interest",
        "settlement_day",
        "special_mention_max_dpd",
        "substandard_max_dpd",
        "doubtful_max_dpd",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return not CreditRules.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EodRun)
class EodRunAdmin(ReadOnlyAdmin):
    list_display = ["business_date", "status", "attempts", "started_by", "started_at", "finished_at"]
    list_filter = ["status"]
