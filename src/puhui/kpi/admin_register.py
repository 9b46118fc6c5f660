"""Admin pages of the service-point register and the designations: the head office edits service points and
the designation rules; runs and designation periods are history, read-only."""

from django.contrib import admin

from puhui.core.admin import ReadOnlyAdmin
from puhui.kpi.models import Designation, DesignationRules, DesignationRun, ServicePoint


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "village", "active_from", "active_until"]
    list_filter = ["kind", "village__township"]
    search_fields = ["name", "village__name", "village__code"]
    list_select_related = ["village"]
    raw_id_fields = ["village"]
    date_hierarchy = "active_from"


@admin.register(DesignationRules)
class DesignationRulesAdmin(admin.ModelAdmin):
    """One row: edited, never added twice nor deleted."""

    list_display = [
        "__str__",
        "household_min_grade",
        "rating_valid_years",
        "village_min_credit_household_share",
        "village_max_npl_ratio",
        "township_min_credit_village_share",
        "township_max_npl_ratio",
    ]

    def has_add_permission(self, request) -> bool:
        return not DesignationRules.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DesignationRun)
class DesignationRunAdmin(ReadOnlyAdmin):
    list_display = ["as_of", "trigger", "run_by", "run_at", "counts"]
    list_filter = ["trigger"]
    date_hierarchy = "as_of"


@admin.register(Designation)
class DesignationAdmin(ReadOnlyAdmin):
    list_display = ["level", "household", "village", "township", "since", "until", "lost_reasons"]
    list_filter = ["level", ("until", admin.EmptyFieldListFilter)]
    list_select_related = ["household__village", "village", "township"]
    search_fields = ["village__name", "village__code", "township__name", "township__code"]
    raw_id_fields = ["household", "village", "township", "granted_run", "lost_run"]
