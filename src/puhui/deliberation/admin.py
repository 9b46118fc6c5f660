"""Admin of the deliberation app: the bank's rules and LPR table, campaigns read-only.

Votes and ballots are deliberately not registered: a vote's content is readable only through the auditor's
round page once the round is closed (blind deliberation)."""

from django.contrib import admin

from puhui.deliberation.models import Campaign, DeliberationRules, LprRate


@admin.register(DeliberationRules)
class DeliberationRulesAdmin(admin.ModelAdmin):
    list_display = ["panel_min_size", "quorum", "notice_days", "branch_authority_fen", "line_years"]

    def has_add_permission(self, request):
        return not DeliberationRules.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LprRate)
class LprRateAdmin(admin.ModelAdmin):
    list_display = ["effective_on", "rate"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["village", "plan_year", "kind", "stage", "launched_on"]
    list_filter = ["stage", "plan_year", "kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
